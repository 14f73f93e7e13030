"""python -m chatbot doctor: a ready installation passes every check; a broken one is told each problem and
its fix, and the exit code says so."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from chatbot.operations.doctor import run_checks
from settings import REPO_ROOT, Settings
from tests.helpers import free_port


def test_a_ready_installation_passes(sample_settings: Settings) -> None:
    settings = sample_settings.model_copy(update={"port": free_port(), "reader": True})
    checks = {c.name: c for c in run_checks(settings)}
    assert [name for name, c in checks.items() if not c.ok] == []
    assert "9 documents" in checks["store"].found and "keyword index current" in checks["store"].found
    assert "chat template present" in checks["LLM"].found and "384 dimensions" in checks["embedder"].found
    assert "matches, reads" in checks["reader"].found


def test_a_broken_installation_is_told_each_problem_and_its_fix(sample_settings: Settings, tmp_path: Path) -> None:
    other_embedder = tmp_path / "other-embedder"  # another model as far as the store can tell
    shutil.copytree(sample_settings.embed_model_path, other_embedder)
    (other_embedder / "fine-tuned.txt").write_text("a different model")
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data directory should be")
    cut_reader = tmp_path / "reader"  # its weights cut off in a copy
    shutil.copytree(Settings().reader_dir, cut_reader)
    (cut_reader / "reader.bin").write_bytes((cut_reader / "reader.bin").read_bytes()[:1000])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {**os.environ, "RAG_STORE_DIR": str(sample_settings.store_path),
               "RAG_DOCS_DIR": str(tmp_path / "no-such-folder"), "RAG_LLM_MODEL": str(tmp_path / "missing.gguf"),
               "RAG_EMBED_MODEL": str(other_embedder), "RAG_DATA_DIR": str(not_a_folder),
               "RAG_PORT": str(taken.getsockname()[1]), "RAG_READER_MODEL": str(cut_reader),
               "RAG_READER": "true"}
        result = subprocess.run([sys.executable, "-m", "chatbot", "doctor", "--json"], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    failed = {name for name, c in checks.items() if not c["ok"]}
    assert failed == {"LLM", "embedder", "reader", "store", "documents folder", "data directory", "port"}
    assert "sha256" in checks["reader"]["found"] and "make train-reader" in checks["reader"]["fix"]
    # The embedder's OpenVINO export is made under the data directory: it says where, and what to set.
    assert f"in {not_a_folder / 'models'}" in checks["embedder"]["found"]
    assert "RAG_MODELS_DIR" in checks["embedder"]["fix"]
    assert "no file at" in checks["LLM"]["found"] and "RAG_LLM_MODEL" in checks["LLM"]["fix"]
    assert "another embedding model" in checks["store"]["found"]
    assert "make ingest REBUILD=1" in checks["store"]["fix"]
    assert "is a file, not a folder" in checks["data directory"]["found"]
    assert "taken by another program" in checks["port"]["found"] and "RAG_PORT" in checks["port"]["fix"]
    assert all(c["fix"] for c in checks.values() if not c["ok"])


def test_a_file_that_is_not_gguf_is_named(tmp_path: Path, sample_settings: Settings) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip, not a model")
    settings = sample_settings.model_copy(update={"llm_model": fake, "port": free_port()})
    llm = next(c for c in run_checks(settings) if c.name == "LLM")
    assert not llm.ok and "is not a GGUF file" in llm.found


def test_a_switched_on_adapter_that_is_gone_is_named_with_the_rollback(tmp_path: Path,
                                                                        sample_settings: Settings) -> None:
    from storage import Adapters

    settings = sample_settings.model_copy(update={"data_dir": tmp_path / "data", "port": free_port()})
    Adapters(settings.adapt_dir).switch(tmp_path / "deleted-adapter.gguf")
    llm = next(c for c in run_checks(settings) if c.name == "LLM")
    assert not llm.ok and "deleted-adapter.gguf is missing" in llm.found and "--rollback" in llm.fix


@pytest.mark.server
def test_the_database_line_passes_with_the_server_and_names_the_fix_without_it(sample_settings: Settings,
                                                                              postgres, tmp_path: Path) -> None:
    url = postgres.new_database()
    settings = sample_settings.model_copy(update={"data_dir": tmp_path, "database_url": url})
    database = next(c for c in run_checks(settings) if c.name == "database")
    assert database.ok and "migrated" in database.found and "secret" not in database.found, database
    # An account that may only read the tables its owner made: named, with the GRANT that fixes it.
    role = f"reader_{secrets.token_hex(3)}"  # roles belong to the whole server: one of this test's own
    with psycopg.connect(url, autocommit=True) as owner:
        owner.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'reader pw'")
        owner.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    reader = settings.model_copy(update={"database_url": make_conninfo(url, user=role, password="reader pw")})
    limited = next(c for c in run_checks(reader) if c.name == "database")
    assert not limited.ok and "keys (INSERT, UPDATE, DELETE)" in limited.found, limited
    assert "audit_id_seq (USAGE)" in limited.found and "GRANT SELECT, INSERT" in limited.fix, limited
    with psycopg.connect(url, autocommit=True) as owner:
        owner.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        owner.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    assert next(c for c in run_checks(reader) if c.name == "database").ok  # no CREATE needed once migrated
    wrong = settings.model_copy(update={"database_url": url.replace("database%20secret", "wrong")})
    refused = next(c for c in run_checks(wrong) if c.name == "database")
    assert not refused.ok and "RAG_DATABASE_URL" in refused.fix and "password" in refused.found, refused
