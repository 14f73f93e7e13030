"""Re-runs: unchanged, changed, deleted, renamed and copied files, checked in the store itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ingest
from ingest import pipeline
from ingest.progress import Step
from settings import Settings
from tests.helpers import manifest_paths, stored_chunks

LEAVE = "# Leave\n\nEmployees get 15 days of annual leave.\n\n## Sick leave\n\nSick leave is paid for 10 days.\n"
SECURITY = "# Security\n\nLaptops must use full-disk encryption.\n"


def run(settings: Settings, embedder) -> ingest.IngestReport:
    return ingest.run(settings, embedder=embedder)


def test_nothing_changed_means_no_embedding_work(settings: Settings, docs: Path, embedder,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (docs / "leave.md").write_text(LEAVE)
    (docs / "security.md").write_text(SECURITY)
    first = run(settings, embedder)
    before = stored_chunks(settings)

    calls = []
    embed = type(embedder).embed
    monkeypatch.setattr(type(embedder), "embed", lambda self, texts, query=False: calls.append(texts)
                        or embed(self, texts, query))
    second = run(settings, embedder)
    assert calls == []
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 2)
    assert second.chunks_written == second.chunks_embedded == 0
    assert second.chunks_total == first.chunks_total == len(before)
    assert stored_chunks(settings) == before


def test_changed_file_replaces_its_old_chunks(settings: Settings, docs: Path, embedder) -> None:
    (docs / "leave.md").write_text(LEAVE)
    (docs / "security.md").write_text(SECURITY)
    run(settings, embedder)
    security_before = [c for c in stored_chunks(settings) if c["source"] == "security.md"]

    (docs / "leave.md").write_text(LEAVE.replace("15 days", "20 days"))
    report = run(settings, embedder)

    assert (report.updated, report.unchanged) == (1, 1)
    chunks = stored_chunks(settings)
    leave_text = " ".join(c["text"] for c in chunks if c["source"] == "leave.md")
    assert "20 days" in leave_text and "15 days" not in leave_text
    # The unchanged section's vector was reused, only the edited one embedded.
    assert report.chunks_embedded == 1
    assert [c for c in chunks if c["source"] == "security.md"] == security_before
    assert len({c["id"] for c in chunks}) == len(chunks) == report.chunks_total


def test_deleted_file_chunks_are_removed(settings: Settings, docs: Path, embedder) -> None:
    (docs / "leave.md").write_text(LEAVE)
    (docs / "security.md").write_text(SECURITY)
    run(settings, embedder)

    (docs / "leave.md").unlink()
    report = run(settings, embedder)

    assert report.removed == 1
    assert {c["source"] for c in stored_chunks(settings)} == {"security.md"}
    assert manifest_paths(settings) == {"security.md"}


def test_renamed_file_is_not_embedded_again(settings: Settings, docs: Path, embedder) -> None:
    (docs / "leave.md").write_text(LEAVE)
    run(settings, embedder)
    texts = [c["text"] for c in stored_chunks(settings)]

    (docs / "hr").mkdir()
    (docs / "leave.md").rename(docs / "hr" / "leave-policy.md")
    report = run(settings, embedder)

    assert (report.added, report.removed, report.chunks_embedded) == (1, 1, 0)
    chunks = stored_chunks(settings)
    assert {c["source"] for c in chunks} == {"hr/leave-policy.md"}
    assert {c["folder"] for c in chunks} == {"hr"}
    assert [c["text"] for c in chunks] == texts


def test_copies_share_vectors_but_each_path_is_searchable(settings: Settings, docs: Path, embedder) -> None:
    (docs / "leave.md").write_text(LEAVE)
    (docs / "leave-copy.md").write_text(LEAVE)
    report = run(settings, embedder)

    chunks = stored_chunks(settings)
    per_file = len(chunks) // 2
    assert report.chunks_embedded == per_file
    assert {c["source"] for c in chunks} == {"leave.md", "leave-copy.md"}


def test_repeated_runs_never_duplicate(settings: Settings, docs: Path, embedder) -> None:
    (docs / "leave.md").write_text(LEAVE)
    for version in range(3):
        (docs / "leave.md").write_text(LEAVE + f"\nRevision {version}.\n")
        run(settings, embedder)
        run(settings, embedder)
    chunks = stored_chunks(settings)
    assert len(chunks) == len({(c["source"], c["chunk_index"]) for c in chunks})
    assert "Revision 2." in chunks[-1]["text"]


def test_touching_a_file_without_changing_it_is_unchanged(settings: Settings, docs: Path, embedder) -> None:
    (docs / "leave.md").write_text(LEAVE)
    run(settings, embedder)
    os.utime(docs / "leave.md", (1_000_000_000, 1_000_000_000))
    assert run(settings, embedder).unchanged == 1


def test_new_chunk_size_rechunks_every_file(settings: Settings, docs: Path, embedder) -> None:
    (docs / "leave.md").write_text(" ".join(f"Rule {n} of the leave policy applies." for n in range(200)))
    run(settings, embedder)
    before = len(stored_chunks(settings))

    smaller = settings.model_copy(update={"chunk_size": 60, "chunk_overlap": 10})
    report = run(smaller, embedder)

    assert report.updated == 1
    after = stored_chunks(smaller)
    assert len(after) > before
    assert len({c["id"] for c in after}) == len(after) == report.chunks_total


def test_reading_runs_ahead_of_embedding_by_a_bounded_number_of_files(
        settings: Settings, docs: Path, embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    # Groups of two one-chunk files: the reading thread, far faster than the embedder, may hold only
    # READ_AHEAD_GROUPS groups besides the one it is making and the one being embedded.
    monkeypatch.setattr(pipeline, "EMBED_GROUP_CHUNKS", 2)
    for number in range(24):
        (docs / f"note-{number:02d}.md").write_text(f"# Note {number}\n\nRoom {number} opens at {number} o'clock.\n")
    steps: list[Step] = []
    report = ingest.run(settings, embedder=embedder, on_progress=steps.append)

    assert (report.added, report.failed, report.chunks_written) == (24, [], 24)
    assert max(step.started - step.done for step in steps) <= 2 * (pipeline.READ_AHEAD_GROUPS + 2)
    assert steps[-1].done == 24 and len(stored_chunks(settings)) == 24



def test_a_newer_reader_reads_unchanged_files_again_and_says_why(settings: Settings, docs: Path, embedder,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from chatbot.operations import doctor
    from ingest import chunking

    (docs / "leave.md").write_text(LEAVE)
    with monkeypatch.context() as older:  # the index as the previous release made it
        older.setattr(chunking, "CHUNKER_VERSION", chunking.CHUNKER_VERSION - 1)
        run(settings, embedder)
    with pytest.raises(doctor.Failed, match="1 of 1 documents were read before this version") as stale:
        doctor._store(settings)
    assert "make ingest" in stale.value.fix

    report = run(settings, embedder)

    assert report.updated == 1 and [r.path for r in report.reread] == ["leave.md"]
    assert f"version {chunking.CHUNKER_VERSION - 1} -> {chunking.CHUNKER_VERSION}" in report.reread[0].error
    assert "Read again though unchanged: 1 files, because the readers and chunker changed" in report.summary()
    assert "keyword index current" in doctor._store(settings)
    assert run(settings, embedder).reread == []
