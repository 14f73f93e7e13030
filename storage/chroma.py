"""The Chroma collection: embedded PersistentClient by default, a server when configured."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .access import with_groups

# chromadb (about 1 s to import) is imported when a collection is opened: an ingest run with nothing to do
# never opens one.
if TYPE_CHECKING:
    import chromadb

# Chroma caps how many records one call may carry; stay well below it.
BATCH = 1000


def open_collection(
    store_dir: Path, name: str, host: str | None = None, port: int = 8000
) -> chromadb.Collection:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if host:
        client: Any = chromadb.HttpClient(host=host, port=port, settings=client_settings)
    else:
        client = chromadb.PersistentClient(path=str(store_dir / "chroma"), settings=client_settings)
    # Cosine space: our embeddings are normalised, and scores then read as similarities.
    # No embedding function: we always pass vectors, and Chroma's default one
    # would download a model on first use.
    return client.get_or_create_collection(
        name=name, metadata={"hnsw:space": "cosine"}, embedding_function=None
    )


def reopen_collection(store_dir: Path, name: str, host: str | None = None, port: int = 8000) -> chromadb.Collection:
    """The collection as it is on disk now. An embedded client keeps its vector index in memory and does
    not see what another process (an ingest) added: searching for those ids fails ("Error finding id")
    until a new client reads the files again. Clients already open keep working."""
    if not host:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # else the new client would be the cached, stale one
    return open_collection(store_dir, name, host, port)


def all_ids(collection: chromadb.Collection) -> set[str]:
    return {chunk_id for page in _batches(collection, include=[]) for chunk_id in page["ids"]}


def iter_records(collection: chromadb.Collection) -> Iterator[tuple[str, dict, str]]:
    """(id, metadata, text) of every chunk."""
    for page in _batches(collection, include=["metadatas", "documents"]):
        yield from zip(page["ids"], page["metadatas"], page["documents"])


def _batches(collection: chromadb.Collection, include: list) -> Iterator[dict]:
    offset = 0
    while True:
        page = collection.get(include=include, limit=BATCH, offset=offset)
        yield page
        if len(page["ids"]) < BATCH:
            return
        offset += BATCH


def delete_ids(collection: chromadb.Collection, ids: list[str]) -> None:
    for start in range(0, len(ids), BATCH):
        collection.delete(ids=ids[start:start + BATCH])


def set_groups(collection: chromadb.Collection, ids: list[str], groups: tuple[str, ...]) -> None:
    """Who may read these chunks, changed in place: no text or vector is touched."""
    for start in range(0, len(ids), BATCH):
        found = collection.get(ids=ids[start:start + BATCH], include=["metadatas"])
        collection.update(ids=found["ids"], metadatas=[with_groups(m, groups) for m in found["metadatas"]])


def embeddings_by_chunk_hash(
    collection: chromadb.Collection, hashes: list[str]
) -> dict[str, list[float]]:
    """Vectors already stored for these chunk texts (renames, copies, unchanged parts)."""
    found: dict[str, list[float]] = {}
    for start in range(0, len(hashes), BATCH):
        batch = hashes[start:start + BATCH]
        result = collection.get(where={"chunk_hash": {"$in": batch}}, include=["metadatas", "embeddings"])
        for metadata, vector in zip(result["metadatas"], result["embeddings"]):
            found[str(metadata["chunk_hash"])] = [float(x) for x in vector]
    return found


def chunks_of(
    collection: chromadb.Collection, source: str, content_hash: str, indexes: list[int]
) -> dict[int, tuple[str, dict]]:
    """Chunk index -> (text, metadata) of one version of one file's chunks at these positions."""
    if not indexes:
        return {}
    result = collection.get(
        where={"$and": [{"source": source}, {"content_hash": content_hash}, {"chunk_index": {"$in": indexes}}]},
        include=["documents", "metadatas"],
    )
    return {int(m["chunk_index"]): (d, m) for d, m in zip(result["documents"], result["metadatas"])}
