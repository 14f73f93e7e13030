"""The chat page (Gradio): streamed answers, their evidence and sources under them, Korean and English.

The conversation on screen is sent with each question, and the follow-ups are
read from it, so a page whose next request lands on another front-end
(docs/DEPLOY.md, scale-out) goes on where it was. Each answered turn is also
saved (chatbot.Conversations, per signed-in user, or per browser with
sign-in off): a reload or a restart reopens the last chat, and the panel on
the left lists, reopens, renames, deletes and exports them. The page loads
nothing from outside this server: system fonts, no analytics.
"""

from __future__ import annotations

import html
import json
import logging
from typing import Iterator

import gradio as gr

from chatbot import (
    Answer, ChatEngine, Conversation, Conversations, DoneEvent, Event, FeedbackRefused, LLMUnavailable, QueueEvent,
    Reader, SourcesEvent, StateUnavailable, TokenEvent, Turn,
)

from .conversations import export_link
from .i18n import EXAMPLES, LANGUAGES, TEXT, browser_language
from .limits import WindowLimit
from .markup import highlighted
from .reading import context_link, file_link

log = logging.getLogger(__name__)

# The default orange and red buttons carry white text below WCAG AA's 4.5:1 contrast; their darker
# shades pass (orange-700 5.2:1, red-700 6.5:1).
THEME = gr.themes.Default(font=["system-ui", "Apple SD Gothic Neo", "Malgun Gothic", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"]).set(
    button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800",
    button_cancel_background_fill="#b91c1c", button_cancel_background_fill_hover="#991b1b",
    button_cancel_text_color="#ffffff",
)
CSS = """
#sources details { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 4px 10px; margin: 4px 0; }
#sources summary { cursor: pointer; font-weight: 600; }
#sources .passage { white-space: pre-wrap; margin-top: 6px; }
#sources mark { background: #fde68a; color: #1f2937; }
#sources .source-links { display: flex; gap: 16px; font-size: 0.9em; margin: 6px 0 2px; }
#sources .evidence { border-left: 3px solid #f59e0b; margin: 4px 0; padding: 2px 10px; }
#sources .evidence .crumb { opacity: 0.7; }
#sources .evidence cite { display: block; font-size: 0.85em; opacity: 0.75; }
#chats-panel { order: -1; }
#account .account { text-align: right; font-size: 0.9em; }
#account button { margin-left: 8px; padding: 2px 10px; border: 1px solid var(--border-color-primary);
                  border-radius: 6px; background: none; cursor: pointer; }
"""


def render_sources(sources: list[dict], found: bool, lang: str, evidence: list[dict] | None = None) -> str:
    """The evidence sentences, then each source as a <details> (click its name to read the passage)
    with its evidence sentences highlighted, a link to read it in its file's context and one to
    download the file; a source holding evidence starts open. Sources and evidence as the API gives them."""
    words = TEXT[lang]
    if not found:
        return f"<p>{html.escape(words['no_sources'])}</p>"
    evidence = evidence or []
    # The heading a sentence stands under goes over it (a breadcrumb), never quoted as evidence itself.
    quotes = "".join(
        f"<blockquote class='evidence'>{_crumb(e)}<span class='sentence'>{html.escape(e['sentence'])}</span>"
        f"<cite>[{e['passage']}] {html.escape(sources[e['passage'] - 1]['label'])}</cite></blockquote>"
        for e in evidence
    )
    items = "".join(_source(n, source, [e for e in evidence if e["passage"] == n], words, lang)
                    for n, source in enumerate(sources, start=1))
    header = f"<h4>{html.escape(words['evidence'])}</h4>{quotes}" if quotes else ""
    return f"{header}<h4>{html.escape(words['sources'])}</h4>{items}"


def _crumb(evidence: dict) -> str:
    heading = evidence.get("heading", "")
    shown = heading and heading not in evidence["sentence"]
    return f"<span class='crumb'>{html.escape(heading)} › </span>" if shown else ""


def _source(number: int, source: dict, evidence: list[dict], words: dict[str, str], lang: str) -> str:
    context = context_link(source, lang, [e["sentence"] for e in evidence])
    return (f"<details{' open' if evidence else ''}><summary>[{number}] {html.escape(source['label'])}</summary>"
            f"<div class='passage'>{highlighted(source['text'], [(e['start'], e['end']) for e in evidence])}</div>"
            f"<p class='source-links'><a href='{html.escape(context)}' target='_blank' rel='noopener' "
            f"class='in-context'>{html.escape(words['in_context'])}</a>"
            f"<a href='{html.escape(file_link(source['source']))}' download class='download'>"
            f"{html.escape(words['download'])}</a></p></details>")


def render_account(reader: Reader, lang: str) -> str:
    """Who is signed in (with a link to the admin page for administrators), and the sign-out button (a
    form: sign-out is a POST)."""
    words = TEXT[lang]
    admin = f"<a href='/admin?lang={lang}' id='admin-link'>{html.escape(words['admin'])}</a> " if reader.sees_all else ""
    return (f"<form method='post' action='/logout' class='account'>{admin}"
            f"{words['signed_in'].format(user=html.escape(reader.name))} "
            f"<button type='submit' id='sign-out'>{html.escape(words['sign_out'])}</button></form>")


def _text(content: str | list | dict) -> str:
    """A chat message's words: the browser sends them back as text parts ([{"type": "text", "text": ...}])."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else [content]
    return " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in parts).strip()


def build(engine: ChatEngine, conversations: Conversations, rate_limit: WindowLimit,
          show_account: bool = False) -> gr.Blocks:
    """The page; every handler searches as the request's reader, and sees the saved chats of the
    request's owner (both set by ui.auth.RequireSignIn)."""
    with gr.Blocks(title="Private RAG", analytics_enabled=False) as page:
        with gr.Row():
            title = gr.Markdown()
            account = gr.HTML(elem_id="account", visible=show_account)
            language = gr.Radio(choices=[(v, k) for k, v in LANGUAGES.items()], value="en", show_label=False,
                                elem_id="language", scale=0)
        status = gr.Markdown(elem_id="status")
        with gr.Row():
            # The conversation's column comes first in the page (the question is the first text box a screen
            # reader or a script finds); CSS shows the chats' panel on its left.
            with gr.Column(scale=4, elem_id="chat-column"):
                conversation = gr.Chatbot(elem_id="conversation", height=420, show_label=False,
                                          buttons=["copy", "copy_all"])
                sources = gr.HTML(elem_id="sources")  # the evidence and sources right under the answer
                with gr.Row():
                    question = gr.Textbox(show_label=False, elem_id="question", scale=5, autofocus=True,
                                          lines=1, max_lines=6)  # Enter sends; Shift+Enter starts a new line
                    send = gr.Button(variant="primary", elem_id="send", scale=1)
                    new_chat = gr.Button(elem_id="new-chat", scale=1)
                with gr.Row():
                    examples_label = gr.Markdown()
                    examples = [gr.Button(size="sm", elem_classes="example") for _ in range(3)]
                with gr.Row():
                    comment = gr.Textbox(elem_id="comment", scale=5, max_length=2000)
                    send_comment = gr.Button(size="sm", elem_id="send-comment", scale=1)
                # Signed-in administrators only, folded (shown to them on load; the engine refuses anyone
                # else's correction).
                with gr.Accordion(open=False, visible=False, elem_id="correction-box") as correction_row:
                    with gr.Row():
                        correction = gr.Textbox(elem_id="correction", scale=5, max_length=2000)
                        send_correction = gr.Button(size="sm", elem_id="send-correction", scale=1)
            with gr.Column(scale=1, min_width=220, elem_id="chats-panel"):
                chats = gr.Radio(choices=[], elem_id="chats", interactive=True)
                no_chats = gr.Markdown(elem_id="no-chats")
                # Rename and delete act on the open chat: shown only when there is one.
                with gr.Group(visible=False, elem_id="chat-actions") as chat_actions:
                    chat_name = gr.Textbox(elem_id="chat-name", max_length=200)
                    with gr.Row():
                        rename = gr.Button(size="sm", elem_id="rename")
                        delete = gr.Button(size="sm", variant="stop", elem_id="delete")
                export = gr.HTML(elem_id="export")
                # The open chat's id: held by the browser and sent with each request, so any front-end
                # can go on with it (docs/DEPLOY.md, scale-out).
                chat_id = gr.Textbox(visible=False, elem_id="chat-id")
                # Which answer each assistant message is (message index -> answer id), for its thumbs.
                answer_ids = gr.JSON({}, visible=False, elem_id="answer-ids")

        def labels(code: str, request: gr.Request) -> list:
            words = TEXT[code]
            reader = request.state.reader
            status_text = words["status"].format(model=engine.model_name, documents=engine.document_count(reader))
            return [gr.update(value=code, label=words["language"]), f"## {words['title']}",
                    render_account(reader, code), status_text,
                    gr.update(placeholder=words["placeholder"], label=words["question_label"]),
                    gr.update(value=words["send"]), gr.update(value=words["new_chat"]), words["examples"],
                    *[gr.update(value=e) for e in EXAMPLES[code]],
                    gr.update(label=words["conversation_label"]), gr.update(label=words["chats"]),
                    gr.update(label=words["rename_label"]), gr.update(value=words["rename"]),
                    gr.update(value=words["delete"]), gr.update(label=words["comment_label"]),
                    gr.update(value=words["send_comment"]),
                    gr.update(visible=show_account and reader.sees_all, label=words["correction_label"]),
                    gr.update(label=words["correction_label"]), gr.update(value=words["send_correction"])]

        label_outputs = [language, title, account, status, question, send, new_chat, examples_label, *examples,
                         conversation, chats, chat_name, rename, delete, comment, send_comment, correction_row,
                         correction, send_correction]
        opened = [conversation, sources, chat_id, chats, no_chats, chat_name, export, chat_actions, answer_ids]

        def shown(owner: str, code: str, chat: Conversation | None) -> list:
            """The page's chat parts for this open chat (None: a new, empty one)."""
            listed = conversations.list(owner)
            turns = chat.turns if chat else []
            last = turns[-1].details if turns else {}
            return [
                [message for turn in turns for message in (
                    {"role": "user", "content": turn.question}, {"role": "assistant", "content": turn.answer})],
                render_sources(last["sources"], last["found"], code, last["evidence"]) if last else "",
                chat.id if chat else "",
                gr.update(choices=[(c.title, c.id) for c in listed], value=chat.id if chat else None),
                "" if listed else TEXT[code]["no_chats"],
                chat.title if chat else "",
                _export(chat.id, code) if chat else "",
                gr.update(visible=chat is not None),
                {str(2 * n + 1): turn.details["id"] for n, turn in enumerate(turns) if "id" in turn.details},
            ]

        def on_load(request: gr.Request) -> list:
            code = browser_language(request.headers.get("accept-language"))
            owner = request.state.owner
            latest = next(iter(conversations.list(owner)), None)  # a reload goes on with the last chat
            return [*labels(code, request), *shown(owner, code, latest and conversations.get(owner, latest.id))]

        def open_chat(chosen: str | None, code: str, request: gr.Request) -> list:
            owner = request.state.owner
            return shown(owner, code, conversations.get(owner, chosen) if chosen else None)

        def new_chat_opened(code: str, request: gr.Request) -> list:
            return open_chat(None, code, request)

        def rename_chat(chosen: str, name: str, code: str, request: gr.Request) -> list:
            if chosen and name.strip():
                conversations.rename(request.state.owner, chosen, name)
            return open_chat(chosen, code, request)

        def delete_chat(chosen: str, code: str, request: gr.Request) -> list:
            if not chosen:  # no chat open, or the deletion not confirmed: the page stays as it is
                return [gr.update()] * len(opened)
            conversations.delete(request.state.owner, chosen)
            return open_chat(None, code, request)

        def respond(message: str, history: list, chosen: str, code: str, ids: dict,
                    request: gr.Request) -> Iterator[list]:
            message = (message or "").strip()
            if not message:
                yield [history, "", *[gr.update()] * 8]
                return
            earlier = [_text(turn["content"]) for turn in history if turn["role"] == "user"]
            history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": ""}]
            try:
                wait = rate_limit.take(request.state.limit_key)
            except StateUnavailable:  # the shared count's database went away: said in the bubble too
                history[-1]["content"] = f"⚠️ {TEXT[code]['state_down']}"
                yield [history, "", *[gr.update()] * 8]
                return
            if wait:  # said in the bubble; the page goes on
                history[-1]["content"] = f"⏳ {TEXT[code]['rate_limited'].format(seconds=wait)}"
                yield [history, "", *[gr.update()] * 8]
                return
            panel = ""
            events = _failing_as_none(engine.stream(message, earlier, reader=request.state.reader))
            waiting = False  # the bubble shows the place in the line, not the answer yet
            for event in events:
                if event is None:  # the model failed: the bubble says so, and the page goes on
                    history[-1]["content"] = f"⚠️ {TEXT[code]['llm_down']}"
                    yield [history, "", panel, *[gr.update()] * 7]
                    return
                if isinstance(event, SourcesEvent):
                    panel = render_sources([p.to_json() for p in event.sources], event.found, code)
                elif isinstance(event, QueueEvent):
                    waiting = True
                    history[-1]["content"] = TEXT[code]["queue"].format(ahead=event.ahead) if event.ahead else ""
                elif isinstance(event, TokenEvent):
                    history[-1]["content"] = ("" if waiting else history[-1]["content"]) + event.text
                    waiting = False
                elif isinstance(event, DoneEvent):
                    history[-1]["content"] = event.answer.answer
                    details = event.answer.to_json()
                    panel = render_sources(details["sources"], details["found"], code, details["evidence"])
                    owner = request.state.owner
                    listed = _kept(conversations, owner, chosen, message, event.answer, details)
                    if listed is None:  # the database went away while the model wrote: the answer stays
                        history[-1]["content"] += f"\n\n⚠️ {TEXT[code]['not_saved']}"
                        yield [history, "", panel, *[gr.update()] * 7]
                        return
                    # The ids follow the page's messages, which may hold a failed turn the saved chat has not.
                    ids = {**(ids or {}), str(len(history) - 1): event.answer.id}
                    yield [history, "", panel, *shown(owner, code, listed)[2:-1], ids]
                    return
                yield [history, "", panel, *[gr.update()] * 7]

        def rate(data: gr.LikeData, ids: dict, request: gr.Request) -> None:
            answer_id = (ids or {}).get(str(data.index if isinstance(data.index, int) else data.index[0]))
            if answer_id:  # not a question, nor a message that said the model failed
                rating = {True: "up", False: "down"}.get(data.liked)
                _feedback(engine, answer_id, request.state.reader, rating=rating)

        def on_last(field: str, saved: str):
            """A handler that gives the last answer this text as its comment or correction."""
            def give(text: str, ids: dict, code: str, request: gr.Request) -> str:
                if text.strip() and ids:
                    if _feedback(engine, ids[max(ids, key=int)], request.state.reader, **{field: text.strip()}):
                        gr.Info(TEXT[code][saved])
                return ""
            return give

        conversation.like(rate, inputs=answer_ids)
        for box, button, field, saved in ((comment, send_comment, "comment", "comment_saved"),
                                          (correction, send_correction, "correction", "correction_saved")):
            button.click(on_last(field, saved), inputs=[box, answer_ids, language], outputs=box)
            box.submit(on_last(field, saved), inputs=[box, answer_ids, language], outputs=box)

        page.load(on_load, outputs=[*label_outputs, *opened]).then(None, js=NAME_GROUPS)
        language.change(labels, inputs=language, outputs=label_outputs).then(None, js=NAME_GROUPS)
        answer_outputs = [conversation, question, sources, chat_id, chats, no_chats, chat_name, export, chat_actions,
                          answer_ids]
        chat_io = dict(inputs=[question, conversation, chat_id, language, answer_ids], outputs=answer_outputs)
        answering = [question.submit(respond, **chat_io), send.click(respond, **chat_io)]
        answering += [button.click(respond, inputs=[button, conversation, chat_id, language, answer_ids],
                                    outputs=answer_outputs)
                      for button in examples]
        # A new chat, or another one opened, stops an answer still streaming, or it would write itself
        # into the page now showing another chat.
        chats.input(open_chat, inputs=[chats, language], outputs=opened, cancels=answering)
        starting = new_chat.click(new_chat_opened, inputs=language, outputs=opened, cancels=answering)
        for event in [*answering, starting]:  # focus back in the question box, for the next question
            event.then(None, js=FOCUS_QUESTION)
        # The conversation's own clear button (its bin icon) starts a new chat too: the saved one stays listed.
        conversation.clear(new_chat_opened, inputs=language, outputs=opened, cancels=answering)
        rename.click(rename_chat, inputs=[chat_id, chat_name, language], outputs=opened)
        chat_name.submit(rename_chat, inputs=[chat_id, chat_name, language], outputs=opened)
        delete.click(delete_chat, inputs=[chat_id, language], outputs=opened, cancels=answering,
                     js=f"(chosen, code) => [confirm({_confirm_text()}[code]) ? chosen : '', code]")
    # Many sessions may wait at once; the LLM worker answers them one after another.
    page.queue(default_concurrency_limit=16)
    return page


# Gradio titles a radio group with a <span>, which names nothing for a screen reader: the group takes
# the span's words as its aria-label (after each change of language).
NAME_GROUPS = """() => document.querySelectorAll('fieldset').forEach(group => {
    const title = group.querySelector('[data-testid=block-info]');
    if (title) group.setAttribute('aria-label', title.textContent.trim());
})"""
FOCUS_QUESTION = "() => document.querySelector('#question textarea')?.focus()"


def _feedback(engine: ChatEngine, answer_id: str, reader: Reader, **given) -> bool:
    """Feedback from the page; an answer not kept (RAG_AUDIT_TEXT=hash) takes none, and the page goes on.
    True when saved."""
    try:
        engine.give_feedback(answer_id, reader, **given)
    except FeedbackRefused as refusal:
        log.warning("feedback on %s not saved: %s", answer_id, refusal)
        return False
    return True


def _failing_as_none(events: Iterator[Event]) -> Iterator[Event | None]:
    """The answer's events; None last when the model cannot answer now (the log has why)."""
    try:
        yield from events
    except LLMUnavailable as error:
        log.error("%s", error)
        yield None


def _kept(conversations: Conversations, owner: str, chosen: str, question: str, answer: Answer,
          details: dict) -> Conversation | None:
    """The chat with this answer's turn stored in it; None when the answer could not be saved (the database
    went away while the model wrote)."""
    if not answer.saved:
        return None
    try:
        return conversations.get(owner, _saved(conversations, owner, chosen, question, answer.answer, details))
    except StateUnavailable:
        return None


def _saved(conversations: Conversations, owner: str, chosen: str, question: str, answer: str, details: dict) -> str:
    """Store the turn in the open chat, or in a new one named after its first question; the chat's id."""
    turn = Turn(question, answer, details)
    if not (chosen and conversations.add_turn(owner, chosen, turn)):  # none open, or deleted meanwhile
        chosen = conversations.start(owner, question)
        conversations.add_turn(owner, chosen, turn)
    return chosen


def _export(conversation: str, code: str) -> str:
    return (f"<a href='{html.escape(export_link(conversation, code))}' download id='export-link'>"
            f"{html.escape(TEXT[code]['export'])}</a>")


def _confirm_text() -> str:
    return json.dumps({code: words["delete_confirm"] for code, words in TEXT.items()}, ensure_ascii=False)
