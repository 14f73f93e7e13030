"""SIGKILL in the middle of a run, again and again; the next run ends with exactly
the store a clean run gives."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ingest
from settings import REPO_ROOT, Settings
from tests.helpers import manifest_paths, stored_chunks

pytestmark = pytest.mark.crash  # a run killed at every moment, a dozen processes: make test, not test-quick

TOPICS = ["leave", "travel", "security", "payroll", "training", "equipment", "parking", "benefits"]


def write_corpus(docs: Path, files: int, edition: str = "") -> None:
    """Enough text for several embedding groups, so kills land between file writes."""
    for n in range(files):
        topic = TOPICS[n % len(TOPICS)]
        paragraphs = [
            f"## Rule {n}.{k}\n\nSection {k} of the {topic} policy {n}{edition} says that request "
            f"{n * 100 + k} is reviewed by team {k % 7} within {k + 2} working days, and that "
            f"exceptions need the written approval of the {topic} officer of site {n % 5}."
            for k in range(14)
        ]
        (docs / f"{topic}-{n:02d}.md").write_text(f"# {topic.title()} policy {n}\n\n" + "\n\n".join(paragraphs))


def manifest_rows(store: Path) -> int:
    db = store / "manifest.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM files").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def start(docs: Path, store: Path, models: Path) -> subprocess.Popen:
    env = {**os.environ, "RAG_STORE_DIR": str(store), "RAG_MODELS_DIR": str(models)}
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", str(docs), "--json"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def kill_when(process: subprocess.Popen, ready, timeout: float = 240) -> bool:
    """SIGKILL the run as soon as `ready()` holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    process.kill()
    raise AssertionError("ingest neither progressed nor finished")


def comparable(chunks: list[dict]) -> list[tuple]:
    return [(c["id"], c["source"], c["chunk_index"], c["text"], c["chunk_hash"]) for c in chunks]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Its own folder and store: the test edits the one and SIGKILLs runs writing the other."""
    docs = tmp_path / "docs"
    docs.mkdir()
    write_corpus(docs, files=36)
    return docs


def test_sigkill_at_any_moment_then_rerun_gives_the_clean_store(tmp_path: Path, corpus: Path, embedder,
                                                                models: Path) -> None:
    store = tmp_path / "store"
    killed_with_rows = []

    # 1. killed while starting up, before anything is written
    process = start(corpus, store, models)
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait()

    # 2. killed right after the first files are committed, then mid-way through the next group
    for wanted in (1, 20):
        process = start(corpus, store, models)
        if kill_when(process, lambda: manifest_rows(store) >= wanted):
            killed_with_rows.append(manifest_rows(store))

    # 3. the folder changes (edits, deletions, new files) and a run on it is killed mid-write
    write_corpus(corpus, files=30, edition=" (revised)")
    for stale in sorted(corpus.glob("*-3[0-5].md")):
        stale.unlink()
    (corpus / "new-policy.md").write_text("# New\n\nHybrid work starts in May.\n")
    process = start(corpus, store, models)
    before = manifest_rows(store)
    assert kill_when(process, lambda: manifest_rows(store) != before), "the run finished before it was killed"

    assert killed_with_rows, "no kill landed while files were being written"

    # 4. a normal run completes the job and repairs what the kills left
    settings = Settings(store_dir=store, docs_dir=corpus)
    final = ingest.run(settings, embedder=embedder)
    assert final.failed == []

    clean = Settings(store_dir=tmp_path / "clean-store", docs_dir=corpus)
    ingest.run(clean, embedder=embedder)

    assert comparable(stored_chunks(settings)) == comparable(stored_chunks(clean))
    assert manifest_paths(settings) == {p.name for p in corpus.iterdir()}
    assert final.chunks_total == len(stored_chunks(clean))
