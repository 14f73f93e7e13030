"""The images OCR reads: a PDF's pages rendered (pypdfium2), an image file's frames (a TIFF has several)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from PIL import Image, ImageSequence

def page_images(path: Path, pages: list[int], dpi: int) -> Iterator[tuple[int, Image.Image]]:
    """(page number from 1, its image in grey) for each of ``pages``."""
    if path.suffix.lower() == ".pdf":
        yield from _pdf_pages(path, pages, dpi)
    else:
        with Image.open(path) as image:
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                if number in pages:
                    yield number, frame.convert("L")


def _pdf_pages(path: Path, pages: list[int], dpi: int) -> Iterator[tuple[int, Image.Image]]:
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        for number in pages:
            page = document[number - 1]
            try:
                yield number, page.render(scale=dpi / 72, grayscale=True).to_pil()
            finally:
                page.close()
    finally:
        document.close()
