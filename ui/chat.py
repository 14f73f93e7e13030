"""The chat page (Gradio): streamed answers, their evidence and sources under them, Korean and English.

The conversation lives in the browser: each question sends the chat so far,
and the follow-ups are read from it, so a page whose next request lands on
another front-end (docs/DEPLOY.md, scale-out) goes on where it was. The page
loads nothing from outside this server: system fonts, no analytics.
"""

from __future__ import annotations

import html
import logging
from typing import Iterator

import gradio as gr

from chatbot import (
    ChatEngine, DoneEvent, Event, Evidence, LLMUnavailable, Passage, QueueEvent, Reader, SourcesEvent, TokenEvent,
)

from .i18n import EXAMPLES, LANGUAGES, TEXT, browser_language

log = logging.getLogger(__name__)

THEME = gr.themes.Default(font=["system-ui", "Apple SD Gothic Neo", "Malgun Gothic", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])
CSS = """
#sources details { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 4px 10px; margin: 4px 0; }
#sources summary { cursor: pointer; font-weight: 600; }
#sources .passage { white-space: pre-wrap; margin-top: 6px; }
#sources mark { background: #fde68a; color: inherit; }
#sources .evidence { border-left: 3px solid #f59e0b; margin: 4px 0; padding: 2px 10px; }
#sources .evidence cite { display: block; font-size: 0.85em; opacity: 0.75; }
#account .account { text-align: right; font-size: 0.9em; }
#account button { margin-left: 8px; padding: 2px 10px; border: 1px solid var(--border-color-primary);
                  border-radius: 6px; background: none; cursor: pointer; }
"""


def render_sources(passages: list[Passage], found: bool, lang: str, evidence: list[Evidence] | None = None) -> str:
    """The evidence sentences, then each source as a <details> (click its name to read the passage)
    with its evidence sentences highlighted; a source holding evidence starts open."""
    words = TEXT[lang]
    if not found:
        return f"<p>{html.escape(words['no_sources'])}</p>"
    evidence = evidence or []
    quotes = "".join(
        f"<blockquote class='evidence'>{html.escape(e.sentence)}"
        f"<cite>[{e.citation}] {html.escape(passages[e.citation - 1].label)}</cite></blockquote>"
        for e in evidence
    )
    items = "".join(
        f"<details{' open' if any(e.citation == n for e in evidence) else ''}>"
        f"<summary>[{n}] {html.escape(p.label)}</summary>"
        f"<div class='passage'>{_highlighted(p.text, [e for e in evidence if e.citation == n])}</div></details>"
        for n, p in enumerate(passages, start=1)
    )
    header = f"<h4>{html.escape(words['evidence'])}</h4>{quotes}" if quotes else ""
    return f"{header}<h4>{html.escape(words['sources'])}</h4>{items}"


def _highlighted(text: str, evidence: list[Evidence]) -> str:
    """The passage, escaped, with each evidence sentence in <mark>."""
    parts, position = [], 0
    for item in sorted(evidence, key=lambda e: e.start):
        parts += [html.escape(text[position:item.start]), f"<mark>{html.escape(text[item.start:item.end])}</mark>"]
        position = item.end
    return "".join([*parts, html.escape(text[position:])])


def render_account(reader: Reader, lang: str) -> str:
    """Who is signed in, and the sign-out button (a form: sign-out is a POST)."""
    words = TEXT[lang]
    return (f"<form method='post' action='/logout' class='account'>"
            f"{words['signed_in'].format(user=html.escape(reader.name))} "
            f"<button type='submit' id='sign-out'>{html.escape(words['sign_out'])}</button></form>")


def _text(content: str | list | dict) -> str:
    """A chat message's words: the browser sends them back as text parts ([{"type": "text", "text": ...}])."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else [content]
    return " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in parts).strip()


def _reported(events: Iterator[Event], message: str) -> Iterator[Event]:
    """The answer's events; a model that cannot answer now becomes a message on the page (the log has why)."""
    try:
        yield from events
    except LLMUnavailable as error:
        log.error("%s", error)
        raise gr.Error(message) from None


def build(engine: ChatEngine, show_account: bool = False) -> gr.Blocks:
    """The page; every handler searches as the request's reader (set by ui.auth.RequireSignIn)."""
    with gr.Blocks(title="Private RAG", analytics_enabled=False) as page:
        with gr.Row():
            title = gr.Markdown()
            account = gr.HTML(elem_id="account", visible=show_account)
            language = gr.Radio(choices=[(v, k) for k, v in LANGUAGES.items()], value="en", show_label=False,
                                elem_id="language", scale=0)
        status = gr.Markdown(elem_id="status")
        conversation = gr.Chatbot(elem_id="conversation", height=420, show_label=False)
        with gr.Row():
            question = gr.Textbox(show_label=False, elem_id="question", scale=5, autofocus=True)
            send = gr.Button(variant="primary", elem_id="send", scale=1)
            new_chat = gr.Button(elem_id="new-chat", scale=1)
        with gr.Row():
            examples_label = gr.Markdown()
            examples = [gr.Button(size="sm", elem_classes="example") for _ in range(3)]
        sources = gr.HTML(elem_id="sources")

        def labels(code: str, request: gr.Request) -> list:
            words = TEXT[code]
            reader = request.state.reader
            status_text = words["status"].format(model=engine.model_name, documents=engine.document_count(reader))
            return [code, f"## {words['title']}", render_account(reader, code), status_text,
                    gr.update(placeholder=words["placeholder"]), gr.update(value=words["send"]),
                    gr.update(value=words["new_chat"]), words["examples"],
                    *[gr.update(value=e) for e in EXAMPLES[code]]]

        label_outputs = [language, title, account, status, question, send, new_chat, examples_label, *examples]

        def on_load(request: gr.Request) -> list:
            return labels(browser_language(request.headers.get("accept-language")), request)

        def respond(message: str, history: list, code: str, request: gr.Request) -> Iterator[tuple]:
            message = (message or "").strip()
            if not message:
                yield history, "", gr.update()
                return
            earlier = [_text(turn["content"]) for turn in history if turn["role"] == "user"]
            history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": ""}]
            panel = ""
            events = engine.stream(message, earlier, reader=request.state.reader)
            waiting = False  # the bubble shows the place in the line, not the answer yet
            for event in _reported(events, TEXT[code]["llm_down"]):
                if isinstance(event, SourcesEvent):
                    panel = render_sources(event.sources, event.found, code)
                elif isinstance(event, QueueEvent):
                    waiting = True
                    history[-1]["content"] = TEXT[code]["queue"].format(ahead=event.ahead) if event.ahead else ""
                elif isinstance(event, TokenEvent):
                    history[-1]["content"] = ("" if waiting else history[-1]["content"]) + event.text
                    waiting = False
                elif isinstance(event, DoneEvent):
                    history[-1]["content"] = event.answer.answer
                    panel = render_sources(event.answer.sources, event.answer.found, code, event.answer.evidence)
                yield history, "", panel

        page.load(on_load, outputs=label_outputs)
        language.change(labels, inputs=language, outputs=label_outputs)
        chat_io = dict(inputs=[question, conversation, language], outputs=[conversation, question, sources])
        answering = [question.submit(respond, **chat_io), send.click(respond, **chat_io)]
        answering += [button.click(respond, inputs=[button, conversation, language], outputs=chat_io["outputs"])
                      for button in examples]
        # A new chat stops an answer still streaming, or it would write itself into the cleared page.
        new_chat.click(lambda: ([], "", ""), outputs=[conversation, question, sources], cancels=answering)
    # Many sessions may wait at once; the LLM worker answers them one after another.
    page.queue(default_concurrency_limit=16)
    return page
