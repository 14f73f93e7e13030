"""A model folder's identity, told without loading the model (and without importing torch or llama-index)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def model_fingerprint(folder: Path) -> str:
    """Identity of a model folder, cheap to compute without loading it.

    Names and sizes of every file: enough to tell two models (or two versions
    of one) apart, and stable when the folder is moved.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"embedding model folder not found: {folder}")
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(folder)}:{file.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]
