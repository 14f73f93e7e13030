"""The real server (python -m ui) on a free port over the sample-document store, once per session."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from settings import REPO_ROOT, Settings
from tests.helpers import free_port, wait_until_up


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
    wait_until_up(f"{base}/api/health", process, timeout=120, log=log)
    yield base
    process.terminate()
    process.wait(timeout=20)
