"""Saved chats in the browser, with sign-in off (each browser its own chats): a chat survives a reload
and a server restart, follow-ups included; another browser does not see it; chats are listed, reopened,
renamed, exported as Markdown with their sources, and deleted. Screenshots go to test-output/browser/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from settings import Settings
from tests.helpers import CHROMIUM, free_port, is_loopback, loopback_only, start_server, stop
from tests.ui.browsing import ask_in_page, screenshot, wait_answered, wait_loaded
from ui.i18n import TEXT

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    CHROMIUM is None,
    reason="NOT RUN: Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)",
)]

LEAVE = "How many days of annual leave do employees get?"
FOLLOW_UP = "And how many days of sick leave?"
PASSWORDS = "How long must passwords be?"


@dataclass
class Restartable:
    settings: Settings
    log: Path
    port: int
    process: object = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        _, self.process = start_server(self.settings, self.log, {"RAG_AUTH": "0"}, port=self.port)

    def restart(self) -> None:
        stop(self.process)
        self.start()


@pytest.fixture
def chat_server(sample_settings: Settings, tmp_path: Path):
    """Its own server, sign-in off (chats kept per browser): it is restarted mid-test."""
    settings = Settings(data_dir=tmp_path / "data", docs_dir=sample_settings.docs_dir,
                        store_dir=sample_settings.store_path, models_dir=sample_settings.models_path)
    server = Restartable(settings, tmp_path / "server.log", free_port())
    server.start()
    yield server
    stop(server.process)


def bot_texts(page) -> list[str]:
    return page.locator("#conversation .message.bot").all_inner_texts()


def listed(page) -> list[str]:
    return page.locator("#chats label").all_inner_texts()


def test_a_chat_survives_a_reload_and_a_restart_and_is_listed_renamed_exported_and_deleted(
        chat_server: Restartable, browser) -> None:
    requested: list[str] = []
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 1000}, accept_downloads=True)
    context.route("**/*", loopback_only(requested))
    page = context.new_page()
    page.goto(chat_server.base, wait_until="load")
    wait_loaded(page)
    assert page.inner_text("#no-chats").strip() == TEXT["en"]["no_chats"]

    ask_in_page(page, LEAVE, answers=1)
    ask_in_page(page, FOLLOW_UP, answers=2)  # a follow-up, read with the question before it
    answers = bot_texts(page)
    assert "15 days" in answers[0]
    assert listed(page) == [LEAVE]  # named after its first question
    screenshot(page, "chat-before-reload")

    page.reload(wait_until="load")
    wait_answered(page, answers=2)
    assert bot_texts(page) == answers and page.locator("#sources details").count() >= 1
    chat_server.restart()
    page.reload(wait_until="load")
    wait_answered(page, answers=2)
    assert bot_texts(page) == answers and listed(page) == [LEAVE]
    screenshot(page, "chat-after-restart")
    # ... and the chat goes on where it was: the follow-up's question is still read with the chat so far.
    ask_in_page(page, "What about contractors?", answers=3)

    # Another browser has chats of its own: none yet.
    other = browser.new_context(locale="en-US")
    other.route("**/*", loopback_only(requested))
    stranger = other.new_page()
    stranger.goto(chat_server.base, wait_until="load")
    wait_loaded(stranger)
    assert listed(stranger) == [] and stranger.locator("#conversation .bot-row").count() == 0
    other.close()

    # A second chat; the first is reopened from the list.
    page.click("#new-chat")
    page.wait_for_function("() => !document.querySelector('#conversation .bot-row')")
    ask_in_page(page, PASSWORDS, answers=1)
    assert listed(page) == [PASSWORDS, LEAVE]  # most recently used first
    page.locator("#chats label", has_text=LEAVE).click()
    wait_answered(page, answers=3)
    assert bot_texts(page)[:2] == answers

    # Renamed, from the keyboard (Enter in the name box).
    page.fill("#chat-name textarea, #chat-name input", "Leave questions")
    page.press("#chat-name textarea, #chat-name input", "Enter")
    page.wait_for_function("() => document.querySelector('#chats label.selected')?.innerText.trim() === "
                           "'Leave questions'")
    assert listed(page) == [PASSWORDS, "Leave questions"]  # in the order last asked in: reading is not asking

    # Exported as Markdown with its sources.
    with page.expect_download() as download:
        page.click("#export-link")
    markdown = download.value.path().read_text()
    assert download.value.suggested_filename == "Leave questions.md"
    assert markdown.startswith("# Leave questions\n")
    for question in (LEAVE, FOLLOW_UP, "What about contractors?"):
        assert f"\n{question}\n" in markdown
    assert "15 days" in markdown and "**Sources**" in markdown and "1. hr/hr-policy.md" in markdown
    assert "**Evidence**" in markdown and "\n> " in markdown
    screenshot(page, "chat-renamed")

    # Deleted, once confirmed; a dismissed confirmation deletes nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#delete")
    page.wait_for_timeout(1_000)
    assert listed(page) == [PASSWORDS, "Leave questions"]  # in the order last asked in: reading is not asking
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete")
    page.wait_for_function("() => document.querySelectorAll('#chats label').length === 1")
    assert listed(page) == [PASSWORDS] and page.locator("#conversation .bot-row").count() == 0
    page.reload(wait_until="load")
    wait_answered(page, answers=1)  # the remaining chat, reopened
    assert listed(page) == [PASSWORDS]
    screenshot(page, "chat-deleted")
    context.close()
    assert [url for url in requested if not is_loopback(url)] == []
