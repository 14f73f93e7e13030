"""The command an admin and scripts run: JSON on stdout only, exit codes, --if-empty."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from settings import REPO_ROOT

REPORT_KEYS = {"added", "updated", "removed", "unchanged", "skipped", "failed", "chunks_written", "chunks_total",
               "seconds"}


def ingest_cli(store: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    """``python -m ingest ARGS`` on this store, with more RAG_* settings given as keywords."""
    env = {**os.environ, "RAG_STORE_DIR": str(store), **{f"RAG_{k.upper()}": v for k, v in settings.items()}}
    return subprocess.run([sys.executable, "-m", "ingest", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_json_report_is_all_stdout_carries(tmp_path: Path, docs: Path) -> None:
    (docs / "leave.md").write_text("# Leave\n\nEmployees get 15 days of annual leave.\n")
    (docs / "notes.bin").write_bytes(b"\x00\x01")
    result = ingest_cli(tmp_path / "store", str(docs), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert REPORT_KEYS <= set(report)
    assert (report["added"], report["skipped"], report["failed"]) == (1, 1, [])
    assert report["chunks_written"] == report["chunks_total"] >= 1
    assert isinstance(report["seconds"], float)


def test_if_empty_skips_a_filled_store(tmp_path: Path, docs: Path) -> None:
    (docs / "leave.md").write_text("# Leave\n\nEmployees get 15 days of annual leave.\n")
    assert ingest_cli(tmp_path / "store", str(docs)).returncode == 0
    (docs / "more.md").write_text("# More\n\nAnother file.\n")
    result = ingest_cli(tmp_path / "store", str(docs), "--if-empty")
    assert result.returncode == 0
    assert "already holds" in result.stderr
    second = ingest_cli(tmp_path / "store", str(docs), "--json")
    assert json.loads(second.stdout)["added"] == 1  # more.md was not ingested by --if-empty


def test_if_empty_updates_a_keyword_index_from_an_older_version(tmp_path: Path, docs: Path) -> None:
    (docs / "leave.md").write_text("# Leave\n\nEmployees get 15 days of annual leave.\n")
    assert ingest_cli(tmp_path / "store", str(docs)).returncode == 0
    index = tmp_path / "store" / "bm25" / "index.json"
    index.write_text(json.dumps({**json.loads(index.read_text()), "format": 1}))

    result = ingest_cli(tmp_path / "store", str(docs), "--if-empty", "--json")
    assert result.returncode == 0, result.stderr
    assert "older version" in result.stderr and json.loads(result.stdout)["unchanged"] == 1
    assert json.loads(index.read_text())["format"] > 1


def test_missing_folder_exits_2_with_the_path(tmp_path: Path) -> None:
    result = ingest_cli(tmp_path / "store", str(tmp_path / "nowhere"), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "documents folder not found" in result.stderr and "nowhere" in result.stderr


def test_a_run_with_nothing_to_do_loads_no_model_library(tmp_path: Path, docs: Path, models: Path) -> None:
    (docs / "leave.md").write_text("# Leave\n\nEmployees get 15 days of annual leave.\n")
    env = {**os.environ, "RAG_STORE_DIR": str(tmp_path / "store"), "RAG_MODELS_DIR": str(models)}
    assert ingest_cli(tmp_path / "store", str(docs), models_dir=str(models)).returncode == 0
    # The same command again, then the heavy libraries the process loaded: a no-change run over a large
    # folder should cost the scan and the manifest, not seconds of imports.
    script = ("import sys; from ingest.__main__ import main; code = main([sys.argv[1], '--json']); "
              "print(sorted(m for m in ('torch', 'sentence_transformers', 'chromadb', 'llama_index', 'openvino') "
              "if m in sys.modules)); sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", script, str(docs)], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report, loaded = result.stdout.splitlines()
    assert json.loads(report)["unchanged"] == 1
    assert loaded == "[]"


def test_an_embedder_that_cannot_start_stops_the_run_with_its_fix(tmp_path: Path, docs: Path) -> None:
    (docs / "leave.md").write_text("# Leave\n\nEmployees get 15 days of annual leave.\n")
    (tmp_path / "taken").write_text("a file where the export folder should be")
    result = ingest_cli(tmp_path / "store", str(docs), "--json", models_dir=str(tmp_path / "taken" / "m"),
                        embed_backend="openvino")
    assert result.returncode == 2 and result.stdout == ""
    assert "RAG_MODELS_DIR" in result.stderr and str(tmp_path / "taken") in result.stderr
    assert "Traceback" not in result.stderr
