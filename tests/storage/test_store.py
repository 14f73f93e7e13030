"""The store's own guarantees: repair after a cut-off writer, one writer at a time (on one host, and with a
database among hosts), no silent mixing of embedding models or documents folders, versioned manifest — the
manifest in SQLite beside the vectors, and on the database server (RAG_DATABASE_URL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import ingest
from settings import Settings
from storage import FileRecord, Store, StoreError, model_fingerprint, writer
from storage.manifest import MIGRATIONS, Manifest
from tests.helpers import manifest_paths, stored_chunks


@pytest.fixture
def store_settings(settings: Settings, database_url: str | None) -> Settings:
    """The test's store with its manifest in SQLite, then on the database server."""
    return settings.model_copy(update={"database_url": database_url})


def ingest_two_files(settings: Settings, docs: Path, embedder) -> None:
    (docs / "a.md").write_text("# A\n\nAlpha policy text.\n")
    (docs / "b.md").write_text("# B\n\nBeta policy text.\n")
    ingest.run(settings, embedder=embedder)


def test_reconcile_repairs_each_window_a_writer_can_be_cut_in(store_settings: Settings, docs: Path,
                                                              embedder) -> None:
    settings = store_settings
    ingest_two_files(settings, docs, embedder)
    clean = stored_chunks(settings)
    store = Store(settings)
    a = store.files()["a.md"]
    # Cut after adding a new version's chunks, before its manifest row: orphans.
    orphan = store.collection.get(ids=list(a.chunk_ids), include=["embeddings", "documents", "metadatas"])
    store.collection.add(ids=["orphan-1"], embeddings=orphan["embeddings"], documents=orphan["documents"],
                         metadatas=orphan["metadatas"])
    # A row whose chunks are gone (what a crash inside Chroma's write could leave).
    store.collection.delete(ids=list(store.files()["b.md"].chunk_ids))
    store.manifest.set("state", "writing")
    store.close()

    with writer(settings, docs, model_fingerprint(settings.embed_model_path)) as (_, repaired):
        assert repaired is not None
        assert (repaired.orphans_deleted, repaired.rows_dropped) == (1, 1)
    assert manifest_paths(settings) == {"a.md"}

    report = ingest.run(settings, embedder=embedder)  # b.md comes back as new
    assert report.added == 1
    assert [(c["id"], c["text"]) for c in stored_chunks(settings)] == [(c["id"], c["text"]) for c in clean]


def test_only_one_writer_at_a_time(store_settings: Settings, docs: Path, tmp_path: Path) -> None:
    settings = store_settings
    fingerprint = model_fingerprint(settings.embed_model_path)
    with writer(settings, docs, fingerprint):
        with pytest.raises(StoreError, match="another ingest is writing"):
            with writer(settings, docs, fingerprint):
                pass
        if settings.database_url:  # another host: a store folder of its own, the same database
            elsewhere = settings.model_copy(update={"store_dir": tmp_path / "other-host-store"})
            with pytest.raises(StoreError, match="another host's ingest"):
                with writer(elsewhere, docs, fingerprint):
                    pass
    with writer(settings, docs, fingerprint):  # released when the first one ended
        pass


def test_another_embedding_model_is_refused_until_rebuild(store_settings: Settings, docs: Path, embedder,
                                                          tmp_path: Path) -> None:
    settings = store_settings
    ingest_two_files(settings, docs, embedder)
    other_model = tmp_path / "other-model"
    other_model.mkdir()
    (other_model / "config.json").write_text("{}")
    with pytest.raises(StoreError, match="another embedding model"):
        with writer(settings, docs, model_fingerprint(other_model)):
            pass
    assert len(stored_chunks(settings)) == 2


def test_another_documents_folder_is_refused_until_rebuild(store_settings: Settings, docs: Path, embedder,
                                                           tmp_path: Path) -> None:
    settings = store_settings
    ingest_two_files(settings, docs, embedder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "c.md").write_text("# C\n\nGamma.\n")
    with pytest.raises(StoreError, match="another documents folder"):
        ingest.run(settings, docs_dir=elsewhere, embedder=embedder)
    assert manifest_paths(settings) == {"a.md", "b.md"}

    report = ingest.run(settings, docs_dir=elsewhere, rebuild=True, embedder=embedder)
    assert report.added == 1
    assert {c["source"] for c in stored_chunks(settings)} == {"c.md"}


def test_manifest_migrates_an_older_schema_without_losing_rows(tmp_path: Path) -> None:
    db = tmp_path / "manifest.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS.sqlite[0] + "; PRAGMA user_version = 1;")
    conn.execute("INSERT INTO files VALUES ('a.md', 'h', 1, 0.0, 'v1', '[\"x\"]', 'now')")
    conn.commit()
    conn.close()

    manifest = Manifest(db)
    with sqlite3.connect(db) as migrated:
        assert migrated.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS.sqlite)
    assert manifest.files()["a.md"] == FileRecord("a.md", "h", 1, 0.0, "v1", ("x",), "now")
    manifest.log_run("start", "end", {"added": 1})  # the table migration 2 made
    manifest.close()
