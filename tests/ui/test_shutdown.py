"""SIGTERM (systemd's stop) while an answer streams: the answer finishes, then the server exits 0."""

from __future__ import annotations

import json
import signal

import pytest

from settings import Settings
from tests.helpers import Client, add_users, password, start_server

pytestmark = pytest.mark.server


def test_sigterm_lets_the_answer_in_flight_finish(sample_settings: Settings,
                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("shutdown")  # its own server: SIGTERM ends it
    settings = Settings(data_dir=root / "data", docs_dir=sample_settings.docs_dir, store_dir=sample_settings.store_path,
                        models_dir=sample_settings.models_path)
    add_users(settings, {"staff": ["staff"]})
    base, process = start_server(settings, root / "server.log")
    try:
        client = Client(base).signed_in("staff", password("staff"))
        with client.open("POST", "/api/ask", {"question": "How many days of annual leave do employees get?"}) as r:
            assert json.loads(r.readline())["type"] == "sources"
            process.send_signal(signal.SIGTERM)  # mid-answer
            rest = [json.loads(line) for line in r]
        assert rest[-1]["type"] == "done" and rest[-1]["found"] and rest[-1]["answer"]
        assert process.wait(timeout=90) == 0
    finally:
        if process.poll() is None:
            process.kill()
