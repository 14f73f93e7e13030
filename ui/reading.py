"""Read the source: GET /source (a cited passage among the parts around it in its file, the evidence
marked) and GET /source/file (the original file, downloaded) — both for readers allowed to read it.

The chat page links each source here; the page is plain HTML with its
style inline, loading nothing else.
"""

from __future__ import annotations

import html
from pathlib import PurePosixPath
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from chatbot import ChatEngine, SourceContext

from .errors import error_response
from .i18n import TEXT
from .markup import back_link, highlighted, html_page, ranges_of

STYLE = """
body { font-family: system-ui, "Apple SD Gothic Neo", "Malgun Gothic", sans-serif; max-width: 52em;
       margin: 0 auto; padding: 16px 20px 40px; line-height: 1.6; color: #1f2937; background: #fff; }
h1 { font-size: 1.2em; word-break: break-all; }
nav { display: flex; gap: 16px; flex-wrap: wrap; margin: 10px 0; }
a { color: #1d4ed8; }
.part { white-space: pre-wrap; padding: 4px 12px; margin: 0; border-left: 3px solid transparent; }
.cited { border-left-color: #b45309; background: #fffbeb; }
.where { font-size: 0.85em; color: #4b5563; margin: 14px 0 2px; }
mark { background: #fde68a; color: #1f2937; }
.notice { background: #fef3c7; padding: 8px 12px; border-radius: 6px; }
"""


def router(engine: ChatEngine) -> APIRouter:
    routes = APIRouter()

    @routes.get("/source", response_class=HTMLResponse, include_in_schema=False)
    def in_context(request: Request, file: str = Query(min_length=1, max_length=1000),
                   chunk: int = Query(0, ge=0, le=10_000_000), cited: int | None = Query(None, ge=0, le=10_000_000),
                   version: str = Query("", max_length=128),
                   lang: str = Query("en", pattern="^(en|ko)$"),
                   mark: list[str] = Query(default_factory=list, max_length=8)) -> HTMLResponse:
        context = engine.context(file, chunk, version, request.state.reader)
        words = TEXT[lang]
        if context is None:
            missing = f"<p class='notice'>{html.escape(words['context_missing'])}</p>{back_link(words)}"
            return html_page(lang, words["context_missing"], STYLE, missing, status=404)
        return html_page(lang, words["context_title"].format(source=context.source), STYLE,
                         _context_body(context, chunk if cited is None else cited, mark, version, lang))

    @routes.get("/source/file", include_in_schema=False)
    def original(request: Request, file: str = Query(min_length=1, max_length=1000)) -> Response:
        path = engine.original(file, request.state.reader)
        if path is None:
            return error_response(404, "not_found", f"no readable source {file!r}")
        return FileResponse(path, filename=PurePosixPath(file).name)  # Content-Disposition: attachment

    return routes


def context_link(source: dict, lang: str, marks: list[str]) -> str:
    """The /source address of a cited source (a passage as the API gives it), with its evidence to mark."""
    query = {"file": source["source"], "chunk": source.get("chunk", 0), "version": source.get("version", ""),
             "lang": lang}
    return "/source?" + urlencode([*query.items(), *(("mark", m) for m in marks)]) + "#cited"


def file_link(source: str) -> str:
    return "/source/file?" + urlencode({"file": source})


def _context_body(context: SourceContext, cited: int, marks: list[str], version: str, lang: str) -> str:
    """The parts shown, the cited one set apart (id "cited"), the evidence marked; links to the parts
    before and after (the cited one and the marks kept), to the original file, and back."""
    words = TEXT[lang]
    first, last = context.chunks[0].index, context.chunks[-1].index
    # The parts follow each other without overlap: an evidence sentence is looked for in them all at once,
    # as it may run from one part into the next.
    starts = [0]
    for chunk in context.chunks:
        starts.append(starts[-1] + len(chunk.text))
    ranges = ranges_of("".join(chunk.text for chunk in context.chunks), marks)
    marked = [[(max(s, start) - start, min(e, end) - start) for s, e in ranges if s < end and e > start]
              for start, end in zip(starts, starts[1:])]
    # The page opens at the first evidence sentence, or at the cited part when none is found.
    anchor = next((n for n, found in enumerate(marked) if found),
                  next((n for n, chunk in enumerate(context.chunks) if chunk.index == cited), 0))
    parts, where = [], None
    for n, chunk in enumerate(context.chunks):
        place = " · ".join(filter(None, [chunk.location, chunk.heading]))
        if place and place != where:
            parts.append(f"<p class='where'>{html.escape(place)}</p>")
        where = place
        # Set apart: the cited part, and those its evidence is in (a passage may join it to its neighbours).
        classes = "part cited" if chunk.index == cited or marked[n] else "part"
        anchor_id = " id='cited'" if n == anchor else ""
        parts.append(f"<p class='{classes}'{anchor_id}>{highlighted(chunk.text, marked[n])}</p>")
    download = f"<a href='{html.escape(file_link(context.source))}' download>{html.escape(words['download'])}</a>"
    nav = [back_link(words), download]
    radius = max(context.focus - first, last - context.focus)  # the window's half-width, one side may be cut
    around = [("file", context.source), ("cited", cited), ("version", version), ("lang", lang),
              *(("mark", m) for m in marks)]
    if first > 0:
        nav.append(_link(around, max(first - 1 - radius, 0), words["earlier"]))
    if last < context.total - 1:
        nav.append(_link(around, last + 1 + radius, words["later"]))
    notice = "" if context.current else f"<p class='notice' role='note'>{html.escape(words['context_changed'])}</p>"
    count = words["context_part"].format(first=first + 1, last=last + 1, total=context.total)
    return f"{notice}<nav>{''.join(nav)}</nav><p class='where'>{html.escape(count)}</p>{''.join(parts)}"


def _link(query: list[tuple[str, object]], chunk: int, text: str) -> str:
    return f"<a href='/source?{html.escape(urlencode([*query, ('chunk', chunk)]))}'>{html.escape(text)}</a>"
