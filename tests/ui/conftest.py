"""The real server (python -m ui) on a free port over the sample-document store, once per session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from settings import REPO_ROOT, Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server(sample_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "RAG_STORE_DIR": str(sample_settings.store_path), "RAG_PORT": str(port),
           "RAG_HOST": "127.0.0.1", "RAG_DOCS_DIR": str(sample_settings.docs_dir)}
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-m", "ui"], cwd=REPO_ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/health", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"server did not start:\n{Path(log).read_text()[-3000:]}")
            time.sleep(0.5)
    yield base
    process.terminate()
    process.wait(timeout=20)
