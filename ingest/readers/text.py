"""Plain text, with its encoding detected: UTF-8, UTF-16/32 (BOM), CP949/EUC-KR, others."""

from __future__ import annotations

import codecs
from pathlib import Path

from charset_normalizer import from_bytes

from .base import ParsedDocument, ReadError, Section, register

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]

# Tried in order before statistical detection: Korean offices still write
# CP949 (a superset of EUC-KR), and a detector guessing on short Korean text
# picks a wrong codepage often enough to produce mojibake.
_PREFERRED = ["utf-8", "cp949"]


def decode(data: bytes) -> str:
    """Text of a file's bytes; ReadError when they are not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="replace"))
    if b"\x00" in data:
        utf16 = _bomless_utf16(data)
        if utf16 is None:
            raise ReadError("binary content, not text")
        return _checked(utf16)
    for encoding in _PREFERRED:
        try:
            return _checked(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise ReadError("binary content, not text (no text encoding fits)")
    return _checked(str(best))


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: ASCII-heavy text has every other byte zero."""
    even_zeros = data[0::2].count(0)
    odd_zeros = data[1::2].count(0)
    half = len(data) / 2
    encoding = "utf-16-le" if odd_zeros > 0.3 * half else "utf-16-be" if even_zeros > 0.3 * half else None
    if encoding is None:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _checked(text: str) -> str:
    """Reject decodings that are mostly control characters (binary junk that happened to decode)."""
    if not text:
        return text
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    if controls / len(text) > 0.02 or text.count("\ufffd") / len(text) > 0.02:
        raise ReadError("binary content, not text")
    return text


def read_text_file(path: Path) -> str:
    return decode(path.read_bytes())


@register(".txt", ".text", ".log")
def read_text(path: Path) -> ParsedDocument:
    return ParsedDocument(sections=[Section(text=read_text_file(path))])
