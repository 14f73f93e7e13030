"""Rows of a table as readable text: each value next to its column's header.

A chunk may hold rows far from the header row, so every row repeats the
headers ("Item: Taxi; Limit: 50,000 KRW") instead of relying on position.
"""

from __future__ import annotations

from typing import Sequence


def render_rows(rows: Sequence[Sequence[object]]) -> str:
    cleaned = [[_cell(v) for v in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return ""
    header, body = cleaned[0], cleaned[1:]
    if not body:
        return " | ".join(v for v in header if v)
    return "\n".join(_row(header, row) for row in body)


def _row(header: list[str], row: list[str]) -> str:
    parts = []
    for index, value in enumerate(row):
        if not value:
            continue
        name = header[index] if index < len(header) else ""
        parts.append(f"{name}: {value}" if name and name != value else value)
    return "; ".join(parts)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())
