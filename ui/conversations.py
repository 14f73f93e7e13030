"""Saved chats outside the page: GET /conversations/{id}.md exports one as Markdown with its sources.

Only the owner's own chats exist for a request (the signed-in user, or
this browser when sign-in is off: ui.auth.RequireSignIn).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from chatbot import Conversation, Conversations

from .errors import error_response
from .i18n import TEXT


def router(conversations: Conversations) -> APIRouter:
    routes = APIRouter()

    @routes.get("/conversations/{conversation}.md", include_in_schema=False)
    def export(request: Request, conversation: str = Path(max_length=64),
               lang: str = Query("en", pattern="^(en|ko)$")) -> Response:
        found = conversations.get(request.state.owner, conversation)
        if found is None:
            return error_response(404, "not_found", "no such conversation")
        name = quote(f"{found.title}.md")
        return Response(as_markdown(found, lang), media_type="text/markdown; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename=\"chat.md\"; filename*=UTF-8''{name}"})

    return routes


def export_link(conversation: str, lang: str) -> str:
    return f"/conversations/{conversation}.md?lang={lang}"


def as_markdown(conversation: Conversation, lang: str) -> str:
    """The chat as Markdown: each question, its answer as shown, its evidence quoted with the source,
    and its sources listed."""
    words = TEXT[lang]
    lines = [f"# {conversation.title}", "", f"_{words['export_from'].format(date=date.today().isoformat())}_"]
    for turn in conversation.turns:
        sources = turn.details.get("sources", [])
        lines += ["", f"## {words['export_question']}", "", turn.question, "",
                  f"### {words['export_answer']}", "", turn.answer]
        quotes = [f"> {e['sentence']}  \n> — [{e['passage']}] {_label(sources, e['passage'])}"
                  for e in turn.details.get("evidence", [])]
        if quotes:
            lines += ["", f"**{words['evidence']}**", "", *"\n\n".join(quotes).split("\n")]
        if sources:
            lines += ["", f"**{words['sources']}**", ""]
            lines += [f"{n}. {source.get('label', source['source'])}" for n, source in enumerate(sources, start=1)]
    return "\n".join(lines) + "\n"


def _label(sources: list[dict], citation: int) -> str:
    return sources[citation - 1].get("label", "") if 0 < citation <= len(sources) else ""
