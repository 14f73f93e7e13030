"""Tesseract, the operating system's OCR engine (kor and eng language data), through pytesseract."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass

from PIL import Image

from storage import OcrText

# Pages are read in parallel, one per core: Tesseract's own OpenMP threads would fight over the same cores
# (its documentation recommends OMP_THREAD_LIMIT=1 when running several).
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


class OcrUnavailable(Exception):
    """Tesseract or its language data is missing; the message says which and how to install it."""


@dataclass(frozen=True)
class Tesseract:
    command: str
    languages: str  # "kor+eng"
    page_mode: int  # Tesseract's --psm
    timeout_s: float

    def check(self) -> None:
        """Raises OcrUnavailable unless the command runs and has every language's data."""
        import pytesseract

        path = shutil.which(self.command)
        if path is None:
            raise OcrUnavailable(f"Tesseract not found ({self.command}); install the packages tesseract-ocr, "
                                 f"tesseract-ocr-kor and tesseract-ocr-eng, or set RAG_OCR_COMMAND")
        pytesseract.pytesseract.tesseract_cmd = path
        try:
            installed = set(pytesseract.get_languages(config=""))
        except (pytesseract.TesseractError, OSError) as error:
            raise OcrUnavailable(f"Tesseract ({path}) does not run: {error}") from error
        missing = [lang for lang in self.languages.split("+") if lang not in installed]
        if missing:
            raise OcrUnavailable(f"Tesseract has no language data for {', '.join(missing)}; install "
                                 + ", ".join(f"tesseract-ocr-{lang}" for lang in missing))

    def key(self, image: Image.Image) -> str:
        """What the cache knows this page's reading by: the image's pixels and how it is read."""
        digest = hashlib.sha256(f"{image.mode} {image.size} {self.languages} psm {self.page_mode}".encode())
        digest.update(image.tobytes())
        return digest.hexdigest()

    def read(self, image: Image.Image) -> OcrText:
        """The page's text, line by line with a blank line between paragraphs, and its mean word confidence;
        no text and confidence 0 for a page not read within the timeout."""
        import pytesseract

        try:
            data = pytesseract.image_to_data(image, lang=self.languages, config=f"--psm {self.page_mode}",
                                             timeout=self.timeout_s, output_type=pytesseract.Output.DICT)
        except RuntimeError as error:  # pytesseract's word for its timeout
            if "timeout" not in str(error).lower():
                raise
            return OcrText("", 0.0)
        lines: dict[tuple[int, int, int], list[str]] = {}
        confidences = []
        for word, confidence, *where in zip(data["text"], data["conf"], data["block_num"], data["par_num"],
                                             data["line_num"]):
            if word.strip() and float(confidence) >= 0:
                lines.setdefault(tuple(where), []).append(word.strip())
                confidences.append(float(confidence))
        text, previous = [], None
        for (block, paragraph, _), words in lines.items():
            if previous is not None and previous != (block, paragraph):
                text.append("")
            text.append(" ".join(words))
            previous = (block, paragraph)
        mean = sum(confidences) / len(confidences) if confidences else 0.0
        return OcrText("\n".join(text), round(mean, 1))
