"""The real server (python -m ui) on a free port over the sample-document store, once per session, with
sign-in on: `staff` is a signed-in user of group staff (the samples have no .access: everyone reads them)."""

from __future__ import annotations

import pytest

from settings import Settings
from tests.helpers import Client, add_users, password, start_server


RATE_LIMIT = 600  # requests a minute per user or key: a test reaches it in seconds; the fuzzer stays under it


@pytest.fixture(scope="session")
def server_settings(sample_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("server")
    settings = Settings(data_dir=root / "data", docs_dir=sample_settings.docs_dir, store_dir=sample_settings.store_path,
                        models_dir=sample_settings.models_path)
    add_users(settings, {"staff": ["staff"], "boss": ["admin"]})
    return settings


@pytest.fixture(scope="session")
def server(server_settings: Settings):
    base, process = start_server(server_settings, server_settings.data_dir.parent / "server.log",
                                 {"RAG_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT)})
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def staff(server: str) -> Client:
    return Client(server).signed_in("staff", password("staff"))
