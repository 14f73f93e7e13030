"""Search latency as the store grows: p50/p95 of one hybrid search at about 10k and 100k chunks.

    .venv/bin/python -m benchmarks.search_latency PACK [--sizes 10000 100000] [--queries 200]

The store is made of real documents: PACK/corpus (and ../shared/eval/handbook
when present) copied into numbered folders until the chunk count is reached.
Copies reuse the stored vectors (ingest embeds a chunk text once), so a
100k-chunk store takes minutes, not hours. Copies mean duplicate texts and
vectors, a harder case for the vector index than distinct ones. The stores
are kept under DATA_DIR/bench/ and reused on the next run. Queries are the
pack's questions, searched with the chat's top-k through the same engine the
chat uses (dense + BM25 + fusion), after one warm-up query. Each copy is
readable by one of four groups (its `.access`): "user" is the hybrid search
as a user in one of them, who may read a quarter of the store (both rankers
filter by group before ranking).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import ingest
from chatbot import ChatEngine
from chatbot.operations.eval import SINGLE_RANKERS
from settings import REPO_ROOT, Settings, get_settings
from storage import Reader, open_embedder

HANDBOOK = REPO_ROOT.parent / "shared" / "eval" / "handbook"


GROUPS = 4
USER = Reader("bench", frozenset({"bench-0", "everyone"}))  # reads copies 0, 4, 8, ...


def build_docs(target: Path, sources: list[Path], copies: int) -> None:
    """target/copy-NN/<source name>/... for NN < copies (hard links: no extra disk), copy NN readable by
    group bench-(NN mod 4)."""
    for number in range(copies):
        (target / f"copy-{number:02d}").mkdir(parents=True, exist_ok=True)
        (target / f"copy-{number:02d}" / ".access").write_text(f"bench-{number % GROUPS}\n")
        for source in sources:
            destination = target / f"copy-{number:02d}" / source.name
            if destination.exists():
                continue
            shutil.copytree(source, destination, copy_function=_link)


def _link(source: str, destination: str) -> None:
    Path(destination).hardlink_to(source)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(engine: ChatEngine, questions: list[str], k: int) -> dict:
    engine.search(questions[0], k)  # warm-up: Kiwi, the BM25 index, Chroma's HNSW segment
    timings: dict[str, list[float]] = {"hybrid": [], "dense": [], "bm25": [], "user": []}
    for question in questions:
        for name, weights in (("hybrid", None), ("dense", SINGLE_RANKERS["dense"]), ("bm25", SINGLE_RANKERS["bm25"]),
                              ("user", None)):
            language = "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in question) else "en"
            started = time.perf_counter()
            if name == "user":
                engine.search(question, k, reader=USER)
            elif weights is None:
                engine.search(question, k)
            else:
                engine.retriever.search(question, k, language, weights=weights)
            timings[name].append((time.perf_counter() - started) * 1000)
    return {name: (statistics.median(t), percentile(t, 0.95)) for name, t in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pack", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    base = get_settings()
    sources = [args.pack / "corpus"] + ([HANDBOOK] if HANDBOOK.exists() else [])
    embedder = open_embedder(base)
    with open(args.pack / "questions.jsonl", encoding="utf-8") as lines:
        questions = [json.loads(line)["question"] for line in lines][: args.queries]
    per_copy = None
    print("| chunks | files | ingest run s | BM25 load s | hybrid p50 ms | hybrid p95 ms | dense p50 ms | dense p95 ms "
          "| BM25 p50 ms | BM25 p95 ms | user p50 ms | user p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        root = base.data_dir / "bench" / f"search-{size}"
        settings: Settings = base.model_copy(update={"docs_dir": root / "docs", "store_dir": root / "store"})
        if per_copy is None:  # chunks one copy of the sources makes, from a one-copy store
            build_docs(root / "docs", sources, 1)
            per_copy = ingest.run(settings, embedder=embedder).chunks_total
        build_docs(root / "docs", sources, max(1, round(size / per_copy)))
        started = time.perf_counter()
        report = ingest.run(settings, embedder=embedder)
        build_s = time.perf_counter() - started
        engine = ChatEngine(settings, embedder=embedder)
        started = time.perf_counter()
        engine.store.load_lexical_index()
        load_s = time.perf_counter() - started
        timings = measure(engine, questions, base.top_k)
        cells = [f"{v:.0f}" for name in ("hybrid", "dense", "bm25", "user") for v in timings[name]]
        print(f"| {report.chunks_total} | {len(engine.store.files())} | {build_s:.0f} | {load_s:.2f} | "
              + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
