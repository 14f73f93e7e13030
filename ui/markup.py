"""HTML pieces shared by the chat page and the source pages: passages with their evidence marked."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse


def highlighted(text: str, ranges: list[tuple[int, int]]) -> str:
    """The text, escaped, with each (start, end) range in <mark> (overlapping ranges merged into the first)."""
    parts, position = [], 0
    for start, end in sorted(ranges):
        start = max(start, position)
        if start >= end:
            continue
        parts += [html.escape(text[position:start]), f"<mark>{html.escape(text[start:end])}</mark>"]
        position = end
    return "".join([*parts, html.escape(text[position:])])


def ranges_of(text: str, sentences: list[str]) -> list[tuple[int, int]]:
    """Where each sentence occurs in the text (every occurrence)."""
    ranges = []
    for sentence in filter(None, sentences):
        start = text.find(sentence)
        while start != -1:
            ranges.append((start, start + len(sentence)))
            start = text.find(sentence, start + len(sentence))
    return ranges


def html_page(lang: str, title: str, style: str, body: str, status: int = 200) -> HTMLResponse:
    """A whole page: its style inline, nothing loaded from elsewhere."""
    page = (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>")
    return HTMLResponse(page, status_code=status)


def back_link(words: dict[str, str]) -> str:
    """The way back to the chat page, in the page's language."""
    return f"<a href='/'>{html.escape(words['back'])}</a>"
