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


def lock_pdf(path: Path, user_password: str = "", owner_password: str = "owner") -> Path:
    """The PDF encrypted with AES-256, as "copy protected" company PDFs are: with an empty user password
    it opens without one, its permissions forbid copying and printing."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(path))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256",
                   permissions_flag=0)
    writer.write(str(path))
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


def write_hwp(path: Path, paragraphs: list[str], encrypted: bool = False, distribution: bool = False) -> Path:
    """encrypted only sets the header's flag, as a password-protected file has it. A distribution (배포용)
    document keeps its paragraphs in ViewText/Section0, encrypted as Hancom's format says, and only the
    placeholder a reader without the key shows in BodyText."""
    flags = _COMPRESSED | (_ENCRYPTED if encrypted else 0) | (_DISTRIBUTION if distribution else 0)
    file_header = b"HWP Document File".ljust(32, b"\x00") + struct.pack("<II", 0x05000300, flags)
    file_header = file_header.ljust(256, b"\x00")
    body = _deflate(b"".join(_paragraph(p) for p in ([DISTRIBUTION_PLACEHOLDER] if distribution else paragraphs)))
    entries = {0: cfb.DirEntryOut(
        name="Root Entry", etype=5, color=1, left=cfb.NOSTREAM, right=cfb.NOSTREAM,
        child=cfb.NOSTREAM, clsid=b"\x00" * 16, state_bits=b"\x00" * 4,
        ctime=b"\x00" * 8, mtime=b"\x00" * 8, data=None,
    )}
    cfb.add_stream(entries, "FileHeader", file_header)
    cfb.add_stream(entries, "DocInfo", _deflate(b""))
    body_text = cfb.add_storage(entries, "BodyText")
    cfb.add_stream(entries, "Section0", body, parent_sid=body_text)
    if distribution:
        view_text = cfb.add_storage(entries, "ViewText")
        section = _deflate(b"".join(_paragraph(p) for p in paragraphs))
        cfb.add_stream(entries, "Section0", _encrypt_view_text(section, seed=0x5EED1234), parent_sid=view_text)
    cfb.dump(entries, str(path))
    return path


# What Hancom's viewers older than the format show for a 배포용 document, as found in real files.
DISTRIBUTION_PLACEHOLDER = ("이 문서는 상위 버전의 배포용 문서입니다. 문서를 읽으려면 최신 버전의 글 또는 "
                            "글 전용 뷰어가 필요합니다. (주의! 현재 버전에서 문서를 저장할 경우, 문서 내용이 "
                            "손실될 수 있습니다.)")
_DISTRIBUTION = 0x04
HWPTAG_DISTRIBUTE_DOC_DATA = 28


def _encrypt_view_text(section: bytes, seed: int) -> bytes:
    """The DISTRIBUTE_DOC_DATA record (a key scrambled by MSVC rand() from ``seed``) + the section in
    AES-128-ECB, padded to whole blocks: written from the format's description, independently of the reader."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    payload = bytearray(struct.pack("<I", seed) + bytes((7 * i + 13) % 256 for i in range(252)))
    key = bytes(range(0x30, 0x40))
    start = 4 + (payload[0] & 0x0F)
    payload[start:start + 16] = key
    state, xor, run = seed, 0, 0
    for index in range(256):
        if run == 0:
            state = (state * 214013 + 2531011) & 0xFFFFFFFF
            xor = (state >> 16) & 0x7FFF & 0xFF
            state = (state * 214013 + 2531011) & 0xFFFFFFFF
            run = (((state >> 16) & 0x7FFF) & 0x0F) + 1
        if index >= 4:
            payload[index] ^= xor
        run -= 1
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    padded = section + b"\x00" * (-len(section) % 16)
    return _record(HWPTAG_DISTRIBUTE_DOC_DATA, 0, bytes(payload)) + encryptor.update(padded) + encryptor.finalize()


# Scans: known text drawn into an image as a scanner would give it, clean or degraded (grain, a slight
# rotation, a lower resolution), with the Korean font the browser tests use (Debian's fonts-nanum).
SCAN_FONT = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
SCAN_DPI = 200  # the resolution scanned PDFs are written and rendered at in the tests


SCAN_FONT_PX, SCAN_LINE_PX, SCAN_MARGIN_PX = 34, 58, 120
A4_AT_SCAN_DPI = (1654, 2339)


def scan_pages(text: str, size: tuple[int, int] = A4_AT_SCAN_DPI) -> list[list[str]]:
    """``text`` wrapped into the lines scanned_page draws, a page's worth at a time."""
    from PIL import ImageFont

    font = ImageFont.truetype(str(SCAN_FONT), SCAN_FONT_PX)
    width, per_page = size[0] - 2 * SCAN_MARGIN_PX, (size[1] - 2 * SCAN_MARGIN_PX) // SCAN_LINE_PX
    lines: list[str] = []
    for paragraph in text.splitlines():
        line = ""
        for word in paragraph.split():
            if line and font.getlength(f"{line} {word}") > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.extend([line] if line else [])
    return [lines[start:start + per_page] for start in range(0, len(lines), per_page)]


def scanned_page(lines: list[str], degraded: bool = False, size: tuple[int, int] = (1654, 1100),
                 seed: int = 0):
    """A white page of black text at ~12 pt for SCAN_DPI; degraded: grain, 1.2° rotation, 2/3 resolution."""
    import random

    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(SCAN_FONT), SCAN_FONT_PX)
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(lines):
        draw.text((SCAN_MARGIN_PX, SCAN_MARGIN_PX + number * SCAN_LINE_PX), line, font=font, fill=0)
    if not degraded:
        return page
    page = page.rotate(1.2, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
    grain = random.Random(seed)
    pixels = page.load()
    for _ in range(size[0] * size[1] // 40):
        x, y = grain.randrange(size[0]), grain.randrange(size[1])
        pixels[x, y] = grain.choice((0, 90, 170, 255))
    small = page.resize((size[0] * 2 // 3, size[1] * 2 // 3), Image.Resampling.BILINEAR)
    return small.resize(size, Image.Resampling.BILINEAR)


def noise_page(size: tuple[int, int] = (1654, 1100), seed: int = 0):
    """A page of specks and nothing else: what a scanner gives for a blank, dirty sheet."""
    import random

    from PIL import Image

    grain = random.Random(seed)
    return Image.frombytes("L", size, bytes(0 if grain.random() < 0.02 else 255 for _ in range(size[0] * size[1])))


def write_scanned_pdf(path: Path, pages: list) -> Path:
    """A PDF of page images and no text layer, as a scanner writes it."""
    first, *rest = [page.convert("RGB") for page in pages]
    first.save(path, "PDF", resolution=SCAN_DPI, save_all=True, append_images=rest)
    return path


def join_pdfs(path: Path, parts: list[Path]) -> Path:
    """One PDF of the pages of ``parts`` in order: a text page beside a scanned one makes a mixed PDF."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    writer.write(str(path))
    return path
