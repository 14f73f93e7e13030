"""Bad input never stops a run: each bad file is reported with its reason, the rest go in,
and nothing already stored is lost."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

import ingest
from settings import REPO_ROOT, Settings
from tests import builders
from tests.helpers import stored_chunks

GOOD = {
    "leave.md": "# Leave\n\nEmployees get 15 days of annual leave.\n",
    "security.md": "# Security\n\nLaptops must use full-disk encryption.\n",
}
# Root reads any file whatever its mode: the command runs without the
# capabilities that let it, so an unreadable file is unreadable for real.
WITHOUT_ROOT_READ = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []


def write_good(docs: Path) -> None:
    for name, text in GOOD.items():
        (docs / name).write_text(text)


def write_bad(docs: Path) -> None:
    """One file or link for every kind of bad input an admin's folder holds."""
    builders.write_pdf(docs / "locked.pdf", ["Salary bands for 2026."], encrypt_password="s3cret")
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + random.Random(1).randbytes(3000))
    (docs / "empty.txt").write_bytes(b"")
    (docs / "junk.txt").write_bytes(random.Random(2).randbytes(4096))
    (docs / "fake.docx").write_bytes(b"this is not a zip archive")
    builders.write_hwp(docs / "locked.hwp", ["암호가 걸린 문서"], encrypted=True)
    (docs / "huge.txt").write_text("Lorem ipsum dolor sit amet. " * 2000)  # ~56 KB, above the limit set below
    (docs / "secret.txt").write_text("Only root may read this.")
    (docs / "secret.txt").chmod(0)
    (docs / "loop").symlink_to(docs, target_is_directory=True)
    (docs / "ping.txt").symlink_to(docs / "pong.txt")
    (docs / "pong.txt").symlink_to(docs / "ping.txt")
    (docs / "dangling.md").symlink_to(docs / "missing.md")


EXPECTED_ERRORS = {
    "locked.pdf": "encrypted PDF",
    "corrupt.pdf": "PDF",
    "empty.txt": "empty file",
    "junk.txt": "binary content",
    "fake.docx": "not a readable DOCX",
    "locked.hwp": "encrypted",
    "huge.txt": "file too large",
    "secret.txt": "ermission denied",
    "loop": "symlink loop",
    "ping.txt": "symlink loop",
    "pong.txt": "symlink loop",
    "dangling.md": "broken symlink",
}


def run_cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RAG_")},
        "RAG_STORE_DIR": str(folder / "store"),
        "RAG_MAX_FILE_MB": "0.02",
    }
    return subprocess.run(
        [*WITHOUT_ROOT_READ, sys.executable, "-m", "ingest", str(folder / "docs"), *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory):
    """Good files ingested first; then bad ones added and the folder ingested again."""
    folder = tmp_path_factory.mktemp("bad-input")
    docs = folder / "docs"
    docs.mkdir()
    write_good(docs)
    first = run_cli(folder, "--json")
    assert first.returncode == 0, first.stderr
    before = stored_chunks(Settings(store_dir=folder / "store"))
    write_bad(docs)
    second = run_cli(folder, "--json")
    after = stored_chunks(Settings(store_dir=folder / "store"))
    return second, before, after


def test_each_bad_file_is_reported_with_its_reason(bad_run) -> None:
    result, _, _ = bad_run
    report = json.loads(result.stdout)
    errors = {f["path"]: f["error"] for f in report["failed"]}
    assert set(errors) == set(EXPECTED_ERRORS)
    for path, reason in EXPECTED_ERRORS.items():
        assert reason in errors[path], f"{path}: {errors[path]}"


def test_run_goes_on_and_exits_non_zero(bad_run) -> None:
    result, _, _ = bad_run
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["unchanged"] == 2
    assert report["removed"] == 0


def test_nothing_already_stored_is_lost(bad_run) -> None:
    _, before, after = bad_run
    assert before and after == before


def test_plain_summary_names_each_failure(tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "docs").mkdir()
    write_good(folder / "docs")
    (folder / "docs" / "empty.txt").write_bytes(b"")
    result = run_cli(folder)
    assert result.returncode == 1
    assert "2 added" in result.stdout
    assert "empty.txt: empty file (0 bytes)" in result.stdout


def test_file_that_turns_bad_keeps_its_last_good_version(settings: Settings, docs: Path, embedder) -> None:
    builders.write_pdf(docs / "policy.pdf", ["Remote work is allowed two days a week."])
    ingest.run(settings, embedder=embedder)
    before = stored_chunks(settings)

    (docs / "policy.pdf").write_bytes(b"%PDF-1.7\ntruncated")
    report = ingest.run(settings, embedder=embedder)

    assert [f.path for f in report.failed] == ["policy.pdf"]
    assert stored_chunks(settings) == before


def test_pdf_with_only_an_owner_password_is_read(settings: Settings, docs: Path, embedder) -> None:
    """Many PDFs are 'encrypted' with an empty user password: they open without one."""
    builders.write_pdf(docs / "handbook.pdf", ["Badges must be worn at all times."], encrypt_password="")
    report = ingest.run(settings, embedder=embedder)
    assert report.failed == []
    assert "Badges" in stored_chunks(settings)[0]["text"]


def test_missing_documents_folder_changes_nothing(settings: Settings, docs: Path, embedder, tmp_path: Path) -> None:
    write_good(docs)
    ingest.run(settings, embedder=embedder)
    before = stored_chunks(settings)
    with pytest.raises(ingest.IngestError, match="documents folder not found"):
        ingest.run(settings, docs_dir=tmp_path / "unmounted-share", embedder=embedder)
    assert stored_chunks(settings) == before
