"""Shared fixtures: isolated settings per test; the real embedder, LLM and sample store loaded once per session.

Markers (docs/TESTING.md): a test that uses a fixture below starting a server, a browser, the bundle,
training or OCR gets that fixture's marker here; a test that starts one itself carries the marker in its
module. `make test-quick` runs the tests with none of them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from settings import Settings
from storage import Embedder, open_embedder


# The fixtures that start something heavy, and the marker each gives the tests that use them.
HEAVY_FIXTURES = {
    "server": "server", "access_server": "server", "admin_server": "server", "chat_server": "server",
    "front_ends": "server", "llm_url": "server", "chroma_server": "server", "proxy": "server",
    "page": "browser", "browser": "browser",
    "unpacked": "bundle",
    "interrupted_then_resumed": "training",
    "scanned": "ocr",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in sorted(set(getattr(item, "fixturenames", ())) & HEAVY_FIXTURES.keys()):
            item.add_marker(HEAVY_FIXTURES[fixture])


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
    from chatbot.model.llm import LocalLLM

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


@pytest.fixture(scope="session")
def reader_engine(engine):
    """The same store and models with the reader on (RAG_READER=true; off by default) and its English gate at
    0: every English answer states the reader's words, so that how they are stated is what a test sees."""
    from chatbot import ChatEngine

    update = {"reader": True, "min_reader_confidence": {"en": 0.0}}
    return ChatEngine(engine.settings.model_copy(update=update), embedder=engine.embedder, llm=engine.llm)


@pytest.fixture(scope="session")
def postgres():
    """Debian's PostgreSQL, one cluster per session (each test makes its own database in it)."""
    from tests import postgres_server

    if not postgres_server.available():
        pytest.skip("NOT RUN: PostgreSQL is not installed (apt-get install postgresql; .ci/run installs it)")
    server = postgres_server.make()
    yield server
    server.remove()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def database_url(request) -> str | None:
    """Each back-end of the state in turn: None (SQLite files in the data folder), then a new, empty database
    on the session's PostgreSQL server."""
    return None if request.param == "sqlite" else request.getfixturevalue("postgres").new_database()


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Debian's Chromium, started once per session; each test opens a context of its own (its cookies and
    storage) and closes it. Downloads land in one session folder."""
    from playwright.sync_api import sync_playwright

    from tests.helpers import CHROMIUM, CHROMIUM_ARGS

    playwright = sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                          downloads_path=str(tmp_path_factory.mktemp("downloads")))
    yield launched
    launched.close()
    playwright.stop()
