"""Hangul word processor documents: HWPX (OWPML zip) and HWP 5 (OLE), via hwp-hwpx-parser; 배포용 HWP 5
documents from their decrypted ViewText sections (hwp_distribution)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import olefile
from hwp_hwpx_parser import Reader as HwpReader

from .base import ParsedDocument, ReadError, Section, register
from .hwp_distribution import DistributionError, DistributionHwpReader, is_distribution
from .tables import pipe_tables_as_rows


@register(".hwp", ".hwpx")
def read_hwp(path: Path) -> ParsedDocument:
    kind = path.suffix.upper().lstrip(".")
    try:
        text = _distribution_text(path) if _is_distribution(path) else _text(path, kind)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as error:
        raise ReadError(f"not a readable {kind} document: {error}") from error
    title = next((line.strip() for line in text.splitlines() if line.strip()), None)
    # The parser writes tables as Markdown pipe tables: as rows with their headers, forms as fields.
    return ParsedDocument(sections=[Section(text=pipe_tables_as_rows(text))], title=title)


def _text(path: Path, kind: str) -> str:
    with HwpReader(path) as reader:
        if not reader.is_valid:
            raise ReadError(f"not a valid {kind} document")
        if reader.is_encrypted:
            raise ReadError("encrypted document: a password is required to read it")
        return reader.text


def _is_distribution(path: Path) -> bool:
    if path.suffix.lower() != ".hwp" or not olefile.isOleFile(str(path)):
        return False
    with olefile.OleFileIO(str(path)) as ole:
        return ole.exists("FileHeader") and is_distribution(ole.openstream("FileHeader").read(256))


def _distribution_text(path: Path) -> str:
    with DistributionHwpReader(path) as reader:
        if not reader.has_view_text:
            raise ReadError("배포용 (distribution) HWP without ViewText sections: only its placeholder "
                            "text is in the file")
        try:
            return reader.extract_text()
        except DistributionError as error:
            raise ReadError(f"배포용 (distribution) HWP whose ViewText cannot be decrypted: {error}") from error
