"""A Chroma server instead of the embedded store, when RAG_CHROMA_HOST is set."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ingest
from settings import Settings
from tests.helpers import free_port, stored_chunks, wait_until_up


@pytest.fixture
def chroma_server(tmp_path: Path):
    """The `chroma` server that the chromadb package installs, on a free loopback port."""
    binary = Path(sys.executable).parent / "chroma"
    assert binary.exists() or shutil.which("chroma"), "chromadb's server command is missing"
    port = free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen(
        [str(binary), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_until_up(f"http://127.0.0.1:{port}/api/v2/heartbeat", process, timeout=30)
    yield port
    process.terminate()
    process.wait(timeout=10)


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
