"""Ingest throughput on real folders: files/s, chunks/s, MB/s and the share of time spent embedding.

    .venv/bin/python -m benchmarks.ingest_throughput FOLDER [FOLDER ...]

Each folder is ingested into a fresh temporary store (the model is loaded
once beforehand, and its load time reported apart), then ingested again
with nothing changed. Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import ingest
from settings import Settings
from storage import Embedder


class TimedEmbedder(Embedder):
    """The real embedder, counting the seconds spent in it."""

    seconds: float = 0.0

    def embed(self, texts: list[str], query: bool = False) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return super().embed(texts, query)
        finally:
            self.seconds += time.perf_counter() - started


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()

    base = Settings()
    started = time.perf_counter()
    embedder = TimedEmbedder(base.embed_model_path, base.embed_batch_size, base.embed_backend, base.models_path)
    print(f"embedder load: {time.perf_counter() - started:.1f} s ({base.embed_model_path.name}, {base.embed_backend})\n")
    print("| folder | files | failed | MB | chunks | seconds | files/s | chunks/s | MB/s | embedding share "
          "| no-change re-run s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for folder in args.folders:
        with tempfile.TemporaryDirectory() as store:
            settings = base.model_copy(update={"store_dir": Path(store), "docs_dir": folder})
            embedder.seconds = 0.0
            report = ingest.run(settings, embedder=embedder)
            rerun = ingest.run(settings, embedder=embedder)
        files = report.added + report.updated
        megabytes = folder_bytes(folder) / 2**20
        print(
            f"| {folder} | {files} | {len(report.failed)} | {megabytes:.2f} | {report.chunks_written} "
            f"| {report.seconds:.1f} | {files / report.seconds:.1f} | {report.chunks_written / report.seconds:.1f} "
            f"| {megabytes / report.seconds:.3f} | {embedder.seconds / report.seconds:.0%} | {rerun.seconds:.2f} |"
        )
        for failure in report.failed:
            print(f"  failed: {failure.path}: {failure.error}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (RSS): {peak:.0f} MB")


if __name__ == "__main__":
    main()
