"""The chat page in headless Chromium with every non-loopback request blocked (and recorded: none may
happen): the sign-in form comes first, then the page speaks Korean to a Korean browser, answers a Korean
question with its evidence highlighted in its sources, shows a passage on click, and signs out."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from settings import REPO_ROOT
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, is_loopback, loopback_only, password

OUTPUT = REPO_ROOT / "test-output" / "browser"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="NOT RUN: Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture
def page(server: str):
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ko-KR", viewport={"width": 1200, "height": 1000})
        page = context.new_page()
        page.route("**/*", loopback_only(requested))
        page.goto(server, wait_until="load")
        assert urlparse(page.url).path == "/login"  # the page itself needs a signed-in user
        assert page.inner_text("button").strip() == "로그인"
        page.fill("#user", "staff")
        page.fill("#password", password("staff"))
        page.click("button[type=submit]")
        page.wait_for_selector("#question textarea")
        # The words are set when the page has loaded and told the server its language.
        page.wait_for_function("() => document.querySelector('#status').innerText.trim().length > 0")
        yield page
        browser.close()
    outside = [url for url in requested if not is_loopback(url)]
    assert requested and outside == [], f"the page tried to reach outside this machine: {outside}"


def test_korean_question_gets_an_answer_with_sources(page) -> None:
    assert page.inner_text("#send").strip() == "질문하기"  # follows the browser's language
    assert "SmolLM2-135M-Instruct.Q4_1" in page.inner_text("#status")

    page.fill("#question textarea", "연차 휴가는 며칠인가요?")
    page.click("#send")
    page.wait_for_selector("#sources details", timeout=120_000)
    # The answer is complete when its citation marker [n] has arrived.
    page.wait_for_function(
        "() => /\\[\\d+\\]\\s*$/.test([...document.querySelectorAll('#conversation .message')].pop()?.innerText || '')",
        timeout=120_000,
    )
    page.wait_for_selector("#sources mark", timeout=120_000)
    sources = page.inner_text("#sources")
    assert "hr/인사규정.hwpx" in sources
    evidence = "\n".join(page.locator("#sources .evidence").all_inner_texts())
    assert "근거 문장" in sources and re.search(r"\d+일", evidence)

    # The evidence is highlighted inside its passage, which starts open.
    marked = page.locator("#sources details", has=page.locator("mark")).first
    assert marked.get_attribute("open") is not None
    assert marked.locator("mark").first.inner_text() in evidence
    # A click on a source's name opens or closes its passage.
    last = page.locator("#sources details").last
    was_open = last.get_attribute("open") is not None
    last.locator("summary").click()
    assert (last.get_attribute("open") is not None) != was_open

    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "korean-answer.png"), full_page=True)


def test_signed_in_user_is_named_and_can_sign_out(page, server: str) -> None:
    assert "staff" in page.inner_text("#account")
    page.click("#sign-out")
    page.wait_for_url("**/login")
    page.goto(server, wait_until="load")  # the old cookie is gone, and its session ended with it
    assert urlparse(page.url).path == "/login"


def test_language_is_switchable_and_new_chat_clears(page) -> None:
    page.get_by_text("English", exact=True).click()
    page.wait_for_function("() => document.querySelector('#send').innerText.trim() === 'Ask'")
    page.locator(".example").first.click()  # an example question from the sample documents
    page.wait_for_selector("#sources details", timeout=120_000)
    assert "hr/hr-policy.md" in page.inner_text("#sources")
    page.click("#new-chat")  # while the answer may still be streaming
    page.wait_for_function("() => !document.querySelector('#sources details')")
    page.wait_for_timeout(5_000)  # room for a stream that was not stopped to write into the page again
    assert page.locator("#conversation .message").count() == 0
    assert not page.locator("#sources details").count()
