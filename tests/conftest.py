"""Shared fixtures: isolated settings per test, the real embedder loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from settings import Settings
from storage import Embedder


@pytest.fixture(autouse=True)
def _no_rag_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the settings they build, never the developer's RAG_* variables."""
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(Settings().embed_model_path)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(tmp_path: Path, docs: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", docs_dir=docs, store_dir=tmp_path / "store")
