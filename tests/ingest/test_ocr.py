"""Scanned PDFs and images, read by the real Tesseract (kor+eng): pages made by drawing known Korean and
English text, clean and degraded as a scan is, found afterwards by a question in each language."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import ingest
from chatbot import ChatEngine
from settings import Settings
from tests import builders
from tests.helpers import stored_chunks


def _tesseract_with_korean() -> bool:
    if shutil.which("tesseract") is None:
        return False
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    return {"kor", "eng"} <= set(listed)


needs_tesseract = pytest.mark.skipif(
    not _tesseract_with_korean() or not builders.SCAN_FONT.exists(),
    reason="Tesseract with kor and eng data and the Nanum font are needed (.ci/run installs them)")

CONTRACT = ["물품 공급 계약서", "납품 기한은 계약일로부터 45일 이내로 한다.", "대금은 검수 후 30일 안에 지급한다."]
VISITORS = ["Visitor policy", "Visitors must sign in at the front desk and wear a red badge.",
            "The badge office opens at 8:30 on weekdays."]
PARKING = ["주차 안내", "방문 차량은 지하 2층 B 구역에 주차한다."]
SHUTTLE = ["Shuttle bus", "The shuttle leaves the north gate every 20 minutes."]
TEXT_PAGE = "Expense rules\nTaxi receipts are reimbursed within ten working days."
SCANNED_PAGES = 2 + 1 + 2 + 1 + 2  # contract.pdf, notice.jpg, forms.tiff, mixed.pdf (page 2), dirty.pdf


def ocr_settings(root: Path, models: Path, **changes) -> Settings:
    return Settings(data_dir=root / "data", docs_dir=root / "docs", models_dir=models, ocr_dpi=builders.SCAN_DPI,
                    **changes)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory, embedder, llm, models: Path):
    root = tmp_path_factory.mktemp("ocr")
    docs = root / "docs"
    docs.mkdir()
    builders.write_scanned_pdf(docs / "contract.pdf", [builders.scanned_page(CONTRACT),
                                                       builders.scanned_page(VISITORS, degraded=True)])
    builders.scanned_page(VISITORS, degraded=True, seed=1).convert("RGB").save(docs / "notice.jpg", quality=85)
    first, second = builders.scanned_page(PARKING, degraded=True), builders.scanned_page(SHUTTLE)
    first.save(docs / "forms.tiff", save_all=True, append_images=[second], compression="tiff_deflate")
    text_part = builders.write_pdf(root / "text-part.pdf", [TEXT_PAGE])
    scan_part = builders.write_scanned_pdf(root / "scan-part.pdf", [builders.scanned_page(PARKING)])
    builders.join_pdfs(docs / "mixed.pdf", [text_part, scan_part])
    builders.write_scanned_pdf(docs / "dirty.pdf", [builders.scanned_page(SHUTTLE), builders.noise_page()])
    settings = ocr_settings(root, models)
    steps = []
    report = ingest.run(settings, embedder=embedder, on_progress=steps.append)
    return report, settings, ChatEngine(settings, embedder=embedder, llm=llm), steps


def chunks_of(settings: Settings, source: str) -> list[dict]:
    return [c for c in stored_chunks(settings) if c["source"] == source]


@needs_tesseract
def test_scanned_pages_are_read_page_by_page_and_marked(scanned) -> None:
    report, settings, _, steps = scanned
    assert report.failed == [] and report.added == 5 and report.ocr_pages == SCANNED_PAGES
    contract = {c["page"]: c for c in chunks_of(settings, "contract.pdf")}
    assert set(contract) == {1, 2}
    assert "45일" in contract[1]["text"] and "red badge" in contract[2]["text"]
    assert all(c["ocr"] is True and 0 < c["ocr_confidence"] <= 100 for c in contract.values())
    # Korean comes out as words the keyword index can use, not one syllable apart.
    assert "납품" in contract[1]["text"] and "납 품" not in contract[1]["text"]
    # OCR's progress is told page by page.
    assert {"contract.pdf (OCR 1/2)", "contract.pdf (OCR 2/2)"} <= {s.file for s in steps}


@needs_tesseract
def test_questions_in_each_language_find_the_scanned_passages(scanned) -> None:
    _, _, engine, _ = scanned
    korean = engine.search("납품 기한은 계약일로부터 며칠인가요?", k=3)
    assert (korean[0].source, korean[0].page) == ("contract.pdf", 1) and "45" in korean[0].text
    assert korean[0].label == "contract.pdf, p. 1 (OCR)" and korean[0].to_json()["ocr"] is True
    english = engine.search("When does the badge office open?", k=5)
    assert {"notice.jpg", "contract.pdf"} <= {p.source for p in english[:3]}
    shuttle = engine.search("How often does the shuttle bus leave the north gate?", k=5)
    assert ("forms.tiff", 2) in {(p.source, p.page) for p in shuttle}


@needs_tesseract
def test_a_mixed_pdf_keeps_its_text_layer_and_reads_the_scanned_page(scanned) -> None:
    _, settings, _, _ = scanned
    pages = {c["page"]: c for c in chunks_of(settings, "mixed.pdf")}
    assert "Taxi receipts" in pages[1]["text"] and "ocr" not in pages[1]
    assert "지하 2층" in pages[2]["text"] and pages[2]["ocr"] is True


@needs_tesseract
def test_a_page_of_noise_is_reported_with_its_page_not_stored(scanned) -> None:
    report, settings, _, _ = scanned
    assert [c["page"] for c in chunks_of(settings, "dirty.pdf")] == [1]
    warnings = [w.error for w in report.warnings if w.path == "dirty.pdf"]
    assert len(warnings) == 1 and warnings[0].startswith("page 2: OCR found no readable text")


@needs_tesseract
def test_a_rerun_or_a_renamed_copy_reads_no_page_again(scanned, embedder) -> None:
    _, settings, _, _ = scanned
    again = ingest.run(settings, embedder=embedder)
    assert (again.unchanged, again.ocr_pages) == (5, 0)
    shutil.copy(settings.docs_dir / "contract.pdf", settings.docs_dir / "contract-copy.pdf")
    (settings.docs_dir / "notice.jpg").rename(settings.docs_dir / "notice-2026.jpg")
    moved = ingest.run(settings, embedder=embedder)
    assert (moved.added, moved.removed, moved.ocr_pages, moved.failed) == (2, 1, 0, [])
    assert {c["page"] for c in chunks_of(settings, "contract-copy.pdf")} == {1, 2}


def test_without_tesseract_scans_are_reported_as_needing_ocr(tmp_path: Path, embedder, models: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    builders.write_scanned_pdf(docs / "scan.pdf", [builders.noise_page(), builders.noise_page(seed=1)])
    (docs / "photo.png").write_bytes(_tiny_png())
    (docs / "note.md").write_text("# Note\n\nThe canteen opens at noon.\n")
    settings = ocr_settings(tmp_path, models, ocr_command=str(tmp_path / "no-such-tesseract"))
    report = ingest.run(settings, embedder=embedder)
    failed = {f.path: f.error for f in report.failed}
    assert set(failed) == {"scan.pdf", "photo.png"} and report.added == 1
    assert failed["scan.pdf"].startswith("needs OCR (page 1, 2): Tesseract not found")
    assert "tesseract-ocr-kor" in failed["photo.png"] and str(tmp_path / "no-such-tesseract") in failed["photo.png"]
    assert {c["source"] for c in stored_chunks(settings)} == {"note.md"}


def _tiny_png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("L", (40, 20), 255).save(buffer, "PNG")
    return buffer.getvalue()
