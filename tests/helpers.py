"""What the store really holds, read back for assertions."""

from __future__ import annotations

from settings import Settings
from storage import Store


def stored_chunks(settings: Settings) -> list[dict]:
    """Every chunk in the store: id, text and metadata, sorted by source and position."""
    store = Store(settings)
    try:
        result = store.collection.get(include=["documents", "metadatas"])
    finally:
        store.close()
    chunks = [
        {"id": i, "text": text, **{k: v for k, v in meta.items() if not k.startswith("_")}}
        for i, text, meta in zip(result["ids"], result["documents"], result["metadatas"])
    ]
    return sorted(chunks, key=lambda c: (c["source"], c["chunk_index"]))


def manifest_paths(settings: Settings) -> set[str]:
    store = Store(settings)
    try:
        return set(store.files())
    finally:
        store.close()
