"""Driving the chat page in headless Chromium: asking, waiting for a complete answer, screenshots."""

from __future__ import annotations

import json

from chatbot.language import NOT_FOUND
from settings import REPO_ROOT

OUTPUT = REPO_ROOT / "test-output" / "browser"


def wait_answered(page, answers: int, timeout: float = 120_000) -> str:
    """The last answer's text, once the page shows ``answers`` answers and the last is complete: it ends
    with its citation marker [n] and its evidence is shown (the final event's; a streamed reply may end
    with [n] before the answer is final), or it says that the documents hold nothing on the question."""
    page.wait_for_function(
        f"""() => {{
            const last = [...document.querySelectorAll('#conversation .message')].pop();
            const text = (last?.innerText || '').trim();
            const cited = /\\[\\d+\\]$/.test(text) && document.querySelector('#sources blockquote.evidence');
            return document.querySelectorAll('#conversation .bot-row').length === {answers}
                && (cited || {json.dumps(list(NOT_FOUND.values()), ensure_ascii=False)}.includes(text));
        }}""",
        timeout=timeout,
    )
    return page.locator("#conversation .message").last.inner_text()


def ask_in_page(page, question: str, answers: int) -> str:
    """Type a question, send it with the button, and wait for its complete answer."""
    page.fill("#question textarea", question)
    page.click("#send")
    return wait_answered(page, answers)


def screenshot(page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def wait_loaded(page) -> None:
    """Until the page has loaded its words (the status line names the model in bold; before that it may
    show Gradio's "processing")."""
    page.wait_for_selector("#question textarea")
    page.wait_for_selector("#status strong")
