"""Shared fixtures: isolated settings per test, the real embedder loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from settings import Settings
from storage import Embedder, open_embedder


@pytest.fixture(autouse=True)
def _no_rag_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the settings they build, never the developer's RAG_* variables."""
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the embedder's OpenVINO export is made, once per session, for every test's settings."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(models: Path) -> Embedder:
    return open_embedder(Settings(models_dir=models))


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(tmp_path: Path, docs: Path, models: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", docs_dir=docs, store_dir=tmp_path / "store", models_dir=models)


@pytest.fixture(scope="session")
def llm():
    from chatbot.llm import LocalLLM

    settings = Settings()  # the default number of instances: the tests run what users run
    return LocalLLM(settings.llm_model_path, instances=settings.llm_instances)


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory, embedder, models: Path) -> Settings:
    """A store holding the repository's own sample documents (documents/), ingested once."""
    import ingest
    from settings import REPO_ROOT

    root = tmp_path_factory.mktemp("samples")
    settings = Settings(data_dir=root / "data", docs_dir=REPO_ROOT / "documents", store_dir=root / "store",
                        models_dir=models)
    report = ingest.run(settings, embedder=embedder)
    assert report.failed == [], report.failed
    return settings


@pytest.fixture(scope="session")
def engine(sample_settings: Settings, embedder, llm):
    from chatbot import ChatEngine

    return ChatEngine(sample_settings, embedder=embedder, llm=llm)
