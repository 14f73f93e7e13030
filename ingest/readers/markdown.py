"""Markdown, with YAML front matter (its ``title`` kept, the rest dropped)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .base import ParsedDocument, Section, first_heading, register
from .tables import pipe_tables_as_rows
from .text import read_text_file

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n(?:---|\.\.\.)\s*(?:\n|\Z)", re.DOTALL)
# Link targets, image sources and attribute lists are markup, not prose (llama-index's
# own MarkdownReader drops links and images too). Kept, they count a link's words twice
# in BM25 (a table of contents "[2.3.4 외부자 보안](2.3.4 외부자 보안.md)" then outranks
# the page it points to) and cost a small model prompt tokens. The link text stays.
_INLINE_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_REFERENCE_LINK = re.compile(r"!?\[([^\]\n]*)\]\[[^\]\n]*\]")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S.*(?:\n|\Z)", re.MULTILINE)
_ATTRIBUTE_LIST = re.compile(r"\{:[^}\n]*\}|\{(?:[\w-]+=[^\s}]+\s*)+\}")  # {target=_blank}, {: .note}


def split_front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        meta = None  # malformed front matter is still not body text
    return (meta if isinstance(meta, dict) else {}), text[match.end():]


@register(".md", ".markdown")
def read_markdown(path: Path) -> ParsedDocument:
    meta, body = split_front_matter(read_text_file(path))
    body = pipe_tables_as_rows(without_link_targets(body))
    title = str(meta["title"]) if meta.get("title") else first_heading(body)
    if not body.strip() and meta:
        # A page that is all front matter (a redirect, a link card) still says
        # something worth finding: its title and where it points.
        body = _describe(meta, title)
    return ParsedDocument(sections=[Section(text=body)], title=title)


def without_link_targets(text: str) -> str:
    """Markdown with each link and image reduced to its text."""
    text = _REFERENCE_DEFINITION.sub("", text)
    text = _INLINE_LINK.sub(r"\1", text)
    text = _REFERENCE_LINK.sub(r"\1", text)
    return _ATTRIBUTE_LIST.sub("", text)


def _describe(meta: dict, title: str | None) -> str:
    lines = [f"# {title}"] if title else []
    lines += [f"{key}: {value}" for key, value in meta.items()
              if key != "title" and isinstance(value, (str, int, float)) and str(value).strip()]
    return "\n\n".join(lines)
