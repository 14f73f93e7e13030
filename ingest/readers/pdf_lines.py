"""A PDF's text layer as a person reads it: running headers, footers and page numbers left out, lines the
page wrapped joined back into their sentences.

A PDF's text layer keeps the page's hard line breaks: "This directive implements Section 508 of the" /
"Rehabilitation Act of 1973", each line a sentence of its own to everything downstream (sentences end at
line breaks: a heading or a table row sits on a line of its own). A line that fills the page's width
and does not end a sentence runs on into the next one; a short line (a heading, the last line of a
paragraph) or one that ends with a stop, a colon or a semicolon is kept; a line that starts a list item is
never joined to the one above. A word hyphenated at the line's end is joined without its hyphen.
"""

from __future__ import annotations

import re
import statistics

EDGE_LINES = 3  # lines at a page's top and bottom where running headers and footers are looked for
MIN_REPEATS = 3  # a running header is on at least this many pages, and on 40 % of them (two that alternate)
RUNNING_SHARE = 0.4
FULL_LINE = 0.6  # share of the page's usual line length from which a line is taken to fill the width
_ENDS = (".", "!", "?", ":", ";", "。", "．")
_ITEM = re.compile(r"^\s*([•\u2022\uf0b7▪◦○●□■※☞\-–*]|\(?\d{1,2}[.)]\s|\(?[a-zA-Z][.)]\s|[ⅠⅡⅢⅣⅤ]\.|[가-하][.)]\s)")
_PAGE_NUMBER = re.compile(r"^\s*(page\s*)?[-–(]?\s*\d{1,4}\s*[-–)]?\s*(of\s*\d{1,4})?\s*$", re.IGNORECASE)
_HYPHENATED = re.compile(r"[A-Za-z]-$")  # a word cut at the line's end


def page_texts(pages: list[str]) -> list[str]:
    """Each page's text with the running lines removed and wrapped lines joined."""
    lines = [text.splitlines() for text in pages]
    running = _running_lines(lines)
    return [_joined(_without_running(page, running)) for page in lines]


def _without_running(page: list[str], running: set[str]) -> list[str]:
    edges = _edge_numbers(page)
    return [line for number, line in enumerate(page) if number not in edges or not _is_running(line, running)]


def _key(line: str) -> str:
    """A running line with its page number or date digits made alike: "Page 3" ~ "Page 4"."""
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


def _edge_numbers(page: list[str]) -> set[int]:
    """Which lines of the page are among its first or last few with text: where running lines print."""
    filled = [number for number, line in enumerate(page) if line.strip()]
    return set(filled[:EDGE_LINES] + filled[-EDGE_LINES:])


def _edges(page: list[str]) -> list[str]:
    return [page[number] for number in sorted(_edge_numbers(page))]


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Keys of the lines at the top or bottom of many pages: running headers and footers."""
    counts: dict[str, int] = {}
    for page in pages:
        for key in {_key(line) for line in _edges(page)}:
            counts[key] = counts.get(key, 0) + 1
    needed = max(MIN_REPEATS, RUNNING_SHARE * len(pages))
    return {key for key, count in counts.items() if count >= needed}


def _is_running(line: str, running: set[str]) -> bool:
    """A running header or footer, or a page number alone (only ever asked of a page's edge lines)."""
    return bool(line.strip()) and (_key(line) in running or bool(_PAGE_NUMBER.match(line)))


def _joined(page: list[str]) -> str:
    lengths = [len(line.strip()) for line in page if len(line.strip()) >= 20]
    usual = statistics.quantiles(lengths, n=5)[-1] if len(lengths) >= 2 else max(lengths, default=0)
    out: list[str] = []
    last = ""  # the page's previous line as it was, before joining
    for line in page:
        text = line.strip()
        if out and text and _runs_on(last, text, usual):
            previous = out[-1]
            out[-1] = _join(previous, text)
        else:
            out.append(text)
        last = text
    return "\n".join(out)


def _join(previous: str, line: str) -> str:
    """"adminis-" + "tration" -> "administration"; "105-" + "220" -> "105-220"; else with a space."""
    if _HYPHENATED.search(previous) and line[0].islower():
        return previous[:-1] + line
    if previous.endswith("-") and line[0].isalnum():
        return previous + line
    return f"{previous} {line}"


def _runs_on(previous: str, line: str, usual: float) -> bool:
    """The previous line was cut by the page's width, and this line goes on with its sentence."""
    if not previous or previous.endswith(_ENDS) or _ITEM.match(line):
        return False
    if line[0].islower():
        return True
    # A short line with no stop under a full one is a heading ("Scope" after a paragraph), not its end.
    heading = len(line) < FULL_LINE * usual and not line.endswith(_ENDS)
    return len(previous) >= FULL_LINE * usual and not heading
