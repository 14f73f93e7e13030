"""Rows of a table as readable text: each value next to its column's header.

A chunk may hold rows far from the header row, and a sentence of evidence is
one line: so every row repeats the headers ("Item: Taxi; Limit: 50,000 KRW")
and its table's caption instead of relying on position, and a form's label
cell stays with its value cell ("보도시점: 2025. 9. 19.(금) 11:00").

Two sources: cells read from a file's own table (DOCX, XLSX, CSV:
``render_rows``), and Markdown pipe tables, which is how the HWP/HWPX parser
and the HTML converter write tables (``pipe_tables_as_rows``).
"""

from __future__ import annotations

import re
from typing import Sequence

_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_SEPARATOR_CELL = re.compile(r"^:?-{3,}:?$")
# A value cell: an amount, a share, a count ("293,618", "(△13.4)", "44.4", "12%"), not a label or a date.
_NUMBER = re.compile(r"^[\s$€£₩¥(△▲▽+\-−]*\d[\d,.]*\s*%?[\s)]*$")
_CURRENCY = {"$", "€", "£", "₩", "¥"}
_CLOSING = {"%", ")", "%)"}
_NOTE = re.compile(r"^\s*\(.*\)\s*$")
_NOTE_MARKS = ("*", "※", "ㅇ", "-", "•", "☞")  # a footnote or a bullet above a table is not its title
CAPTION_CHARS = 80  # a line above a table this short, and not a sentence, names the table
FITTING_ROWS = 2 / 3  # share of a ragged table's rows that must have its first row's width for it to head them


def render_rows(rows: Sequence[Sequence[object]], caption: str = "") -> str:
    """A table whose first row is its header: each further row with the header's names."""
    cleaned = _cleaned(rows)
    if not cleaned:
        return ""
    header, body = cleaned[0], cleaned[1:]
    if not body:
        return " | ".join(v for v in header if v)
    return "\n".join(_row(header, row, caption) for row in body)


def render_form_or_rows(rows: Sequence[Sequence[object]], caption: str = "") -> str:
    """A table that may be a form: one row, or two columns, is label and value cells in pairs (in HWP
    documents such tables are forms: "창업아이템명 | OO기술이 적용된 …"); else as ``render_rows``."""
    cleaned = _cleaned(rows)
    if cleaned and (len(cleaned) == 1 or max(len(row) for row in cleaned) == 2):
        return "\n".join(_fields(row, caption) for row in cleaned)
    return render_rows(cleaned, caption)


def _cleaned(rows: Sequence[Sequence[object]]) -> list[list[str]]:
    cleaned = [[_cell(v) for v in row] for row in rows]
    return [row for row in cleaned if any(row)]


def pipe_tables_as_rows(text: str) -> str:
    """Every Markdown pipe table in ``text`` rewritten as rows or a form's fields, the line just above it
    (when short and not a sentence) as its caption; the rest of the text unchanged."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        if not _PIPE_ROW.match(lines[index]):
            out.append(lines[index])
            index += 1
            continue
        end = index
        while end < len(lines) and _PIPE_ROW.match(lines[end]):
            end += 1
        rows = [cells for line in lines[index:end] if not _is_separator(cells := _split(line))]
        rendered = _render_converted(rows, caption_above(lines[:index]))
        if rendered:
            out.append(rendered)
        index = end
    return "\n".join(out)


def _split(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _is_separator(cells: list[str]) -> bool:
    return all(_SEPARATOR_CELL.match(c) for c in cells if c) and any(cells)


def caption_above(above: list[str]) -> str:
    """The table's title: the last non-empty line above it, when it is short and not a sentence."""
    # A note in brackets under a title ("(Unaudited)", "(단위 : 십억원)") is passed over for the title.
    line = next((line.strip() for line in reversed(above) if line.strip() and not _NOTE.match(line)), "")
    if not line or len(line) > CAPTION_CHARS or line.endswith((".", ":")) or line.startswith(("#", *_NOTE_MARKS)):
        return ""
    if _PIPE_ROW.match(line) or " › " in line or "; " in line:  # a table, or one already written as rows
        return ""
    return line.strip("<>〈〉□■○◦ㅇ•*- ").strip()


def _render_converted(rows: list[list[str]], caption: str) -> str:
    """A converted table as rows with their headers, or — a form whose merged cells left rows of every
    width — each row as its fields. See ``_spanned`` and ``_ragged`` for the two ways converters lose a
    table's spanning cells."""
    rows = [row for row in rows if any(row)]
    if len(rows) < 2 or max(len(row) for row in rows) == 2:
        return render_form_or_rows(rows, caption)
    table = _spanned(rows) if len({len(row) for row in rows}) == 1 else _ragged(rows)
    if table is None:
        return "\n".join(_fields(row, caption) for row in _cleaned(rows))
    return render_rows(table, caption)


def _is_body(row: list[str]) -> bool:
    return any(_NUMBER.match(c) for c in row[1:])


def _spanned(rows: list[list[str]]) -> list[list[str]]:
    """HTML converted to Markdown (SEC filings) keeps a spanning header cell in its first column only and
    gives currency signs and closing marks cells of their own: header rows are merged into one, each cell
    carried over the empty cells it spans; a currency sign joins the value after it; columns no body row
    uses are dropped."""
    rows = [_joined_marks(row) for row in rows]
    first_body = next((i for i, row in enumerate(rows) if i and _is_body(row)), None)
    if first_body is None:
        return rows
    headers, body = rows[:first_body], rows[first_body:]
    if len(headers) > 1 or any(not c for c in headers[0][1:]):
        carried = [_carried(row) for row in headers]
        headers = [[" ".join(dict.fromkeys(h[c] for h in carried if h[c])) for c in range(len(headers[0]))]]
    keep = [c for c in range(len(rows[0])) if c == 0 or any(row[c] for row in body)]
    return [[row[c] for c in keep] for row in headers + body]


def _ragged(rows: list[list[str]]) -> list[list[str]] | None:
    """The HWP parser drops spanned cells: "구분 | 2023년 | 2024년" over "1분기 | 2분기 | … | 1분기 | …"
    over "총투자 | 182.6 | …". A second header row wider than the first names the value columns, each
    labelled with the first row's group it falls in (a new group where its first name comes round
    again: "2024년 1분기"); rows are aligned on their last cell (a row that lost its label cell keeps its
    values under their names). Else the first row is the header when most rows have its width (an
    indented row's leading empty cells aside); else None: not a table of rows, a form."""
    top, second = rows[0], rows[1]
    if len(rows) < 3 or _is_body(second) or len(second) <= len(top) or not second[0]:
        aligned = [_without_indent(row, len(top)) for row in rows]
        fitting = sum(len(row) == len(top) for row in aligned[1:])
        return aligned if fitting >= FITTING_ROWS * (len(rows) - 1) else None
    groups, group = [name for name in top[1:] if name], -1
    names = []
    for index, name in enumerate(second):
        group += index == 0 or name == second[0]
        names.append(f"{groups[group]} {name}" if group < len(groups) else name)
    header = [top[0], *names]
    width = len(header)
    body = [[""] * (width - len(row)) + row if len(row) < width else row for row in rows[2:]]
    return [header, *body]


def _without_indent(row: list[str], width: int) -> list[str]:
    """A row wider than the header by leading empty cells (an indented sub-row: "| | 경상수입 | 19,124 |")
    without them."""
    extra = len(row) - width
    return row[extra:] if extra > 0 and not any(row[:extra]) else row


def _joined_marks(row: list[str]) -> list[str]:
    """'$' | '293,618' -> '' | '$293,618'; '12' | '%' -> '12%' | ''."""
    cells = list(row)
    for c, value in enumerate(cells):
        if value in _CURRENCY and c + 1 < len(cells) and cells[c + 1]:
            cells[c + 1], cells[c] = f"{value}{cells[c + 1]}", ""
        elif value in _CLOSING and c and cells[c - 1]:
            cells[c - 1], cells[c] = f"{cells[c - 1]}{value}", ""
    return cells


def _carried(row: list[str]) -> list[str]:
    """A header row with each cell carried over the empty cells after it (the columns it spans); the
    first column (the rows' labels) is never carried."""
    out, current = [row[0]], ""
    for value in row[1:]:
        current = value or current
        out.append(current)
    return out


def _fields(row: list[str], caption: str) -> str:
    """A form's row: label and value cells in pairs ("보도시점: 2025. 9. 19."), or the cells as they are."""
    cells = [v for v in row if v]
    if len(cells) % 2:
        text = " | ".join(cells)
    else:
        text = "; ".join(f"{label}: {value}" if label != value else value
                         for label, value in zip(cells[::2], cells[1::2]))
    return f"{caption} › {text}" if caption else text


def _row(header: list[str], row: list[str], caption: str = "") -> str:
    parts = []
    for index, value in enumerate(row):
        if not value:
            continue
        name = header[index] if index < len(header) else ""
        parts.append(f"{name}: {value}" if name and name != value else value)
    text = "; ".join(parts)
    return f"{caption} › {text}" if caption and text else text


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())
