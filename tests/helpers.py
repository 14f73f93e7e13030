"""What the store really holds, read back for assertions."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from settings import Settings
from storage import Store


def stored_chunks(settings: Settings) -> list[dict]:
    """Every chunk in the store: id, text and metadata, sorted by source and position."""
    store = Store(settings)
    try:
        result = store.collection.get(include=["documents", "metadatas"])
    finally:
        store.close()
    chunks = [
        {"id": i, "text": text, **{k: v for k, v in meta.items() if not k.startswith("_")}}
        for i, text, meta in zip(result["ids"], result["documents"], result["metadatas"])
    ]
    return sorted(chunks, key=lambda c: (c["source"], c["chunk_index"]))


def manifest_paths(settings: Settings) -> set[str]:
    store = Store(settings)
    try:
        return set(store.files())
    finally:
        store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float, log: Path | None = None) -> None:
    """Poll `url` until it answers; kill the server and fail if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                tail = log.read_text()[-3000:] if log else ""
                raise AssertionError(f"server at {url} did not start\n{tail}")
            time.sleep(0.3)
