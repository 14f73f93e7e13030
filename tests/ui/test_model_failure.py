"""When the language model fails (its server stops), the page says so in the reader's language and stays
usable: once the model is back, the next question is answered in the same chat. The API ends its stream
with an error event and /v1 answers 503, in OpenAI's shape. A user over the rate limit is told, in the
page, when to ask again."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import Settings
from tests.helpers import (
    CHROMIUM, Client, free_port, loopback_only, start_llm_server, start_server, stop,
)
from tests.ui.browsing import ask_in_page, screenshot, wait_answered, wait_loaded
from ui.i18n import TEXT

LIMIT = 5  # questions a minute

pytestmark = [pytest.mark.server, pytest.mark.browser, pytest.mark.skipif(
    CHROMIUM is None,
    reason="NOT RUN: Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)",
)]


def test_a_failing_model_shows_an_error_and_the_page_goes_on(sample_settings: Settings, tmp_path: Path,
                                                             browser) -> None:
    # Its own server and LLM server: the LLM server is stopped and started again mid-test.
    model, llm_log, port = Settings().llm_model_path, tmp_path / "llm.log", free_port()
    url, llm = start_llm_server(model, llm_log, port=port)
    settings = Settings(data_dir=tmp_path / "data", docs_dir=sample_settings.docs_dir,
                        store_dir=sample_settings.store_path, models_dir=sample_settings.models_path)
    base, server = start_server(settings, tmp_path / "server.log",
                                {"RAG_AUTH": "0", "RAG_LLM_URL": url, "RAG_RATE_LIMIT_PER_MINUTE": str(LIMIT)})
    try:
        context = browser.new_context(locale="ko-KR")
        page = context.new_page()
        page.route("**/*", loopback_only([]))
        page.goto(base, wait_until="load")
        wait_loaded(page)
        assert "15일" in ask_in_page(page, "연차 휴가는 며칠인가요?", answers=1)

        stop(llm)  # the model's server goes away
        page.fill("#question textarea", "비밀번호는 몇 자 이상이어야 하나요?")
        page.click("#send")
        toast = page.get_by_text(TEXT["ko"]["llm_down"][:20])
        toast.first.wait_for(timeout=120_000)
        screenshot(page, "model-down")
        api = Client(base)
        assert api.ask("How long must passwords be?")[-1]["type"] == "error"
        refused = api.request("POST", "/v1/chat/completions",
                              {"messages": [{"role": "user", "content": "How long must passwords be?"}]})
        assert refused.status == 503 and refused.json()["error"]["code"] == "model_unavailable"

        _, llm = start_llm_server(model, llm_log, port=port)  # back, where it was
        answers = page.locator("#conversation .bot-row").count()
        assert "3개월" in ask_in_page(page, "수습 기간은 얼마나 되나요?", answers=answers + 1)
        assert page.locator("#conversation .bot-row").count() == answers + 1
        wait_answered(page, answers=answers + 1)

        # Five questions in this minute (page and API together): the sixth is told to wait.
        page.fill("#question textarea", "What is the taxi limit for late work?")
        page.click("#send")
        wait_text = TEXT["ko"]["rate_limited"].split("{")[0]
        page.locator("#conversation .message.bot", has_text=wait_text).wait_for(timeout=30_000)
        assert page.locator("#conversation .bot-row").count() == answers + 2
        screenshot(page, "rate-limited")
        context.close()
    finally:
        stop(server)
        stop(llm)
