"""OCR accuracy and speed on pages drawn from known text, and what a scanned copy of a QA pack still answers.

    .venv/bin/python -m benchmarks.ocr [PACK] [--pages 2] [--docs 2] [--json FILE]

- accuracy: --pages A4 pages per language, cut from PACK's corpus (Korean and English articles), drawn as
  tests.builders draws a scan, clean and degraded (grain, a 1.2° rotation, 2/3 of the resolution); Tesseract
  (kor+eng, RAG_OCR_* settings) reads each: the character error rate (whitespace left out: spacing is what the
  clean-up changes) and the share of the page's keyword-index terms (storage.Analyzer, Kiwi for Korean) found
  in what OCR read, before and after ingest's clean-up, and the seconds per page (two pages at once, one per
  core, as ingest reads them);
- pack: --docs documents per language from PACK turned into degraded scanned PDFs, beside the same documents
  as text: the retrieval figures of `chatbot eval --retrieval-only` on their questions for each.

The JSON (default DATA_DIR/bench/ocr.json) holds every figure and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.speed import DEV_PACK, machine, save
from ingest.ocr.cleanup import clean
from ingest.ocr.tesseract import Tesseract
from settings import REPO_ROOT, Settings
from storage import Analyzer
from tests import builders


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def cer(reference: str, read: str) -> float:
    squeeze = "".join(reference.split())
    return edit_distance(squeeze, "".join(read.split())) / max(1, len(squeeze))


def term_recall(reference: str, read: str, analyzer: Analyzer) -> float:
    wanted = set(analyzer.terms(reference))
    return len(wanted & set(analyzer.terms(read))) / max(1, len(wanted))


def pages_of(pack: Path, lang: str, count: int) -> list[list[str]]:
    pages: list[list[str]] = []
    for path in sorted((pack / "corpus" / lang).glob("*.txt")):
        pages.extend(builders.scan_pages(path.read_text(encoding="utf-8"))[:1])  # each article's first page
        if len(pages) == count:
            break
    return pages


def accuracy(pack: Path, count: int, engine: Tesseract) -> dict:
    analyzer, out = Analyzer(), {}
    workers = len(os.sched_getaffinity(0))
    for lang in ("en", "ko"):
        pages = pages_of(pack, lang, count)
        for degraded in (False, True):
            images = [builders.scanned_page(lines, degraded, builders.A4_AT_SCAN_DPI, seed=n)
                      for n, lines in enumerate(pages)]
            started = time.perf_counter()
            with ThreadPoolExecutor(workers) as pool:
                readings = list(pool.map(engine.read, images))
            seconds = time.perf_counter() - started
            rows = []
            for lines, reading in zip(pages, readings):
                reference, cleaned = " ".join(lines), clean(reading.text)
                rows.append({"chars": len(reference), "confidence": reading.confidence,
                             "cer_raw": cer(reference, reading.text), "cer_clean": cer(reference, cleaned),
                             "terms_raw": term_recall(reference, reading.text, analyzer),
                             "terms_clean": term_recall(reference, cleaned, analyzer)})
            out[f"{lang} {'degraded' if degraded else 'clean'}"] = {
                "pages": len(rows), "seconds_per_page": round(seconds / len(rows), 2),
                **{key: round(sum(r[key] for r in rows) / len(rows), 4)
                   for key in ("confidence", "cer_raw", "cer_clean", "terms_raw", "terms_clean")}}
    return out


def scanned_pack(pack: Path, docs: int, folder: Path) -> tuple[Path, Path]:
    """Two packs of the same ``docs`` documents per language and their questions: as text, and scanned."""
    questions = [json.loads(line) for line in (pack / "questions.jsonl").read_text().splitlines() if line.strip()]
    text_pack, scan_pack = folder / "text", folder / "scanned"
    chosen: list[tuple[str, str]] = []
    for lang in ("en", "ko"):
        names = sorted({q["doc"] for q in questions if q["lang"] == lang})[:docs]
        chosen.extend((lang, name) for name in names)
    for lang, name in chosen:
        source = pack / "corpus" / lang / name
        (text_pack / "corpus" / lang).mkdir(parents=True, exist_ok=True)
        (scan_pack / "corpus" / lang).mkdir(parents=True, exist_ok=True)
        (text_pack / "corpus" / lang / name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        pages = [builders.scanned_page(lines, True, builders.A4_AT_SCAN_DPI, seed=n)
                 for n, lines in enumerate(builders.scan_pages(source.read_text(encoding="utf-8")))]
        builders.write_scanned_pdf(scan_pack / "corpus" / lang / f"{Path(name).stem}.pdf", pages)
    kept = [q for q in questions if (q["lang"], q["doc"]) in set(chosen)]
    (text_pack / "questions.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in kept))
    (scan_pack / "questions.jsonl").write_text("".join(
        json.dumps({**q, "doc": f"{Path(q['doc']).stem}.pdf"}, ensure_ascii=False) + "\n" for q in kept))
    return text_pack, scan_pack


def retrieval(pack_dir: Path, data_dir: Path) -> tuple[dict, float]:
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_OCR_DPI": str(builders.SCAN_DPI)}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "chatbot", "eval", str(pack_dir), "--retrieval-only", "--json",
                             "--store", str(data_dir / "store")], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pack", nargs="?", type=Path, default=DEV_PACK)
    parser.add_argument("--pages", type=int, default=2, help="pages per language for the accuracy figures")
    parser.add_argument("--docs", type=int, default=2, help="documents per language for the scanned pack")
    parser.add_argument("--json", type=Path, help="default DATA_DIR/bench/ocr.json")
    args = parser.parse_args()
    settings = Settings()
    engine = Tesseract(settings.ocr_command, settings.ocr_languages, settings.ocr_page_mode,
                       settings.ocr_page_timeout_s)
    engine.check()
    result: dict = {"machine": machine(), "accuracy": accuracy(args.pack, args.pages, engine)}
    print(f"{'pages':16} {'s/page':>7} {'conf':>5} {'CER raw':>8} {'CER clean':>9} {'terms raw':>9} "
          f"{'terms clean':>11}")
    for name, row in result["accuracy"].items():
        print(f"{name:16} {row['seconds_per_page']:7.2f} {row['confidence']:5.1f} {row['cer_raw']:8.3f} "
              f"{row['cer_clean']:9.3f} {row['terms_raw']:9.3f} {row['terms_clean']:11.3f}")
    if args.docs:
        with tempfile.TemporaryDirectory() as scratch:
            text_pack, scan_pack = scanned_pack(args.pack, args.docs, Path(scratch))
            pages = sum(len(builders.scan_pages(p.read_text(encoding="utf-8")))
                        for p in text_pack.glob("corpus/*/*.txt"))
            as_text, _ = retrieval(text_pack, Path(scratch) / "text-data")
            as_scan, seconds = retrieval(scan_pack, Path(scratch) / "scan-data")
        result["pack"] = {"docs_per_language": args.docs, "pages": pages, "scanned_eval_seconds": round(seconds, 1),
                          "text": as_text, "scanned": as_scan}
        print(f"\nscanned copy of {args.docs} documents per language ({pages} pages, {seconds:.0f} s with OCR):")
        for lang in ("en", "ko"):
            for name, figures in (("text", as_text), ("scanned", as_scan)):
                row = figures.get(lang, {})
                print(f"  {lang} {name:8} questions {row.get('n', 0):4}  recall@1 {row.get('recall@1', 0):.3f}  "
                      f"ctx@1 {row.get('ctx@1', 0):.3f}  ctx@5 {row.get('ctx@5', 0):.3f}")
    save(result, args.json or settings.data_dir / "bench" / "ocr.json")


if __name__ == "__main__":
    main()
