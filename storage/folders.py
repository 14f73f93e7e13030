"""Replacing a folder whole: written beside it, then swapped in, so that a reader (or a crash) never meets
half of it — the keyword index (storage/lexical.py, storage/lexical_share.py) and a training checkpoint
(chatbot/adapt/train.py)."""

from __future__ import annotations

import shutil
from pathlib import Path


def swap_in(staging: Path, folder: Path) -> None:
    """``staging`` becomes ``folder``; the old one is removed after."""
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
