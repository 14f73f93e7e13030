"""Image files (PNG, JPEG, TIFF with its pages): every frame is a page for OCR."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .base import ParsedDocument, ReadError, register


@register(".png", ".jpg", ".jpeg", ".tif", ".tiff")
def read_image(path: Path) -> ParsedDocument:
    try:
        with Image.open(path) as image:
            image.verify()  # the file's structure, without decoding every pixel
        with Image.open(path) as image:
            frames = getattr(image, "n_frames", 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ReadError(f"not a readable image: {error}") from error
    return ParsedDocument(title=path.stem, scanned=list(range(1, frames + 1)))
