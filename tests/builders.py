"""Real documents of every supported format, written by the libraries that
make them (reportlab, python-docx, python-pptx, openpyxl, hwpforge) so the
readers are tested on genuine files, built fresh in each test."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import docx
import hwpforge
import openpyxl
import pptx
from hwpkit import cfb
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

KOREAN_FONT = "HYSMyeongJo-Medium"  # a CID font reportlab knows; no font file needed
pdfmetrics.registerFont(UnicodeCIDFont(KOREAN_FONT))


def write_pdf(path: Path, pages: list[str], encrypt_password: str | None = None, title: str = "") -> Path:
    """One string per page; Korean text works (CID font)."""
    pdf = canvas.Canvas(str(path), encrypt=encrypt_password)
    pdf.setTitle(title or path.stem)
    for text in pages:
        pdf.setFont(KOREAN_FONT, 11)
        y = 800
        for line in text.splitlines():
            pdf.drawString(50, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


def write_docx(path: Path, blocks: list[tuple[str, str]], table: list[list[str]] | None = None) -> Path:
    """blocks: (style, text), style 'Title', 'Heading 1', 'Heading 2' or 'Normal'."""
    document = docx.Document()
    for style, text in blocks:
        document.add_paragraph(text, style=style)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table):
            for cell, value in zip(row.cells, values):
                cell.text = value
    document.save(str(path))
    return path


def write_pptx(path: Path, slides: list[tuple[str, str]], notes: dict[int, str] | None = None) -> Path:
    """slides: (title, body); notes: slide number (from 1) -> speaker notes."""
    deck = pptx.Presentation()
    for number, (title, body) in enumerate(slides, start=1):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if notes and number in notes:
            slide.notes_slide.notes_text_frame.text = notes[number]
    deck.save(str(path))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(str(path))
    return path


def write_hwpx(path: Path, markdown: str) -> Path:
    hwpforge.convert_md(markdown).document.save(str(path))
    return path


# HWP 5: an OLE compound file with the streams Hancom's format defines
# (FileHeader, DocInfo, BodyText/Section0), written by hwpkit's compound-file
# writer; each paragraph is a PARA_HEADER + PARA_TEXT record.

HWPTAG_PARA_HEADER = 66
HWPTAG_PARA_TEXT = 67
_COMPRESSED, _ENCRYPTED = 0x01, 0x02


def _record(tag: int, level: int, data: bytes) -> bytes:
    return struct.pack("<I", tag | (level << 10) | (len(data) << 20)) + data


def _paragraph(text: str) -> bytes:
    chars = text + "\r"  # a paragraph ends with a carriage return
    header = struct.pack("<IIHBB", len(chars), 0, 0, 0, 0) + b"\x00" * 10
    return _record(HWPTAG_PARA_HEADER, 0, header) + _record(HWPTAG_PARA_TEXT, 1, chars.encode("utf-16-le"))


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def write_hwp(path: Path, paragraphs: list[str], encrypted: bool = False) -> Path:
    """encrypted only sets the header's flag, as a password-protected file has it."""
    flags = _COMPRESSED | (_ENCRYPTED if encrypted else 0)
    file_header = b"HWP Document File".ljust(32, b"\x00") + struct.pack("<II", 0x05000300, flags)
    file_header = file_header.ljust(256, b"\x00")
    body = _deflate(b"".join(_paragraph(p) for p in paragraphs))
    entries = {0: cfb.DirEntryOut(
        name="Root Entry", etype=5, color=1, left=cfb.NOSTREAM, right=cfb.NOSTREAM,
        child=cfb.NOSTREAM, clsid=b"\x00" * 16, state_bits=b"\x00" * 4,
        ctime=b"\x00" * 8, mtime=b"\x00" * 8, data=None,
    )}
    cfb.add_stream(entries, "FileHeader", file_header)
    cfb.add_stream(entries, "DocInfo", _deflate(b""))
    body_text = cfb.add_storage(entries, "BodyText")
    cfb.add_stream(entries, "Section0", body, parent_sid=body_text)
    cfb.dump(entries, str(path))
    return path
