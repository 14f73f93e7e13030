"""A Chroma server instead of the embedded store, when RAG_CHROMA_HOST is set."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingest
from settings import Settings
from tests.helpers import start_chroma, stop, stored_chunks


@pytest.fixture
def chroma_server(tmp_path: Path):
    """A Chroma server of its own: the test's ingest writes to it."""
    port, process = start_chroma(tmp_path / "chroma-server", tmp_path / "chroma.log")
    yield port
    stop(process)


def test_ingest_writes_to_a_chroma_server(settings: Settings, docs: Path, embedder, chroma_server: int) -> None:
    server = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    (docs / "leave.md").write_text("# Leave\n\nEmployees get 15 days of annual leave.\n")
    report = ingest.run(server, embedder=embedder)
    assert report.added == 1

    chunks = stored_chunks(server)
    assert [c["source"] for c in chunks] == ["leave.md"]
    assert "15 days" in chunks[0]["text"]
    assert not (settings.store_path / "chroma").exists()  # nothing went to the embedded store
    assert ingest.run(server, embedder=embedder).unchanged == 1
