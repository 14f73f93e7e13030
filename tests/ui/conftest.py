"""The real server (python -m ui) on a free port over the sample-document store, once per session, with
sign-in on: `staff` is a signed-in user of group staff (the samples have no .access: everyone reads them)."""

from __future__ import annotations

import pytest

from settings import Settings
from tests.helpers import Client, add_users, password, start_server


@pytest.fixture(scope="session")
def server(sample_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("server")
    settings = Settings(data_dir=root / "data", docs_dir=sample_settings.docs_dir, store_dir=sample_settings.store_path)
    add_users(settings, {"staff": ["staff"], "boss": ["admin"]})
    base, process = start_server(settings, root / "server.log")
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def staff(server: str) -> Client:
    return Client(server).signed_in("staff", password("staff"))
