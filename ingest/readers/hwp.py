"""Hangul word processor documents: HWPX (OWPML zip) and HWP 5 (OLE), via hwp-hwpx-parser."""

from __future__ import annotations

import zipfile
from pathlib import Path

from hwp_hwpx_parser import Reader as HwpReader

from .base import ParsedDocument, ReadError, Section, register


@register(".hwp", ".hwpx")
def read_hwp(path: Path) -> ParsedDocument:
    try:
        with HwpReader(path) as reader:
            if not reader.is_valid:
                raise ReadError(f"not a valid {path.suffix.upper().lstrip('.')} document")
            if reader.is_encrypted:
                raise ReadError("encrypted document: a password is required to read it")
            text = reader.text
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as error:
        raise ReadError(f"not a readable {path.suffix.upper().lstrip('.')} document: {error}") from error
    title = next((line.strip() for line in text.splitlines() if line.strip()), None)
    return ParsedDocument(sections=[Section(text=text)], title=title)
