"""Walk the documents folder: the files to read, the ones skipped, the ones that fail before reading.

Hidden files and folders (``.git``, ``.DS_Store``) are ignored. Symlinks are
followed, but a folder link that leads back to one of its own parents is
reported as a loop instead of walked forever.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .readers import reader_for


@dataclass(frozen=True)
class Failure:
    path: str  # relative to the documents root
    error: str


@dataclass(frozen=True)
class FoundFile:
    path: Path  # absolute
    rel: str  # relative to the documents root, '/'-separated
    size: int
    mtime: float


@dataclass
class ScanResult:
    files: list[FoundFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    unlisted_folders: list[str] = field(default_factory=list)


def scan(root: Path, max_bytes: int) -> ScanResult:
    result = ScanResult()
    root_stat = root.stat()
    _walk(root, "", {(root_stat.st_dev, root_stat.st_ino)}, max_bytes, result)
    return result


def _walk(folder: Path, prefix: str, ancestors: set[tuple[int, int]], max_bytes: int, result: ScanResult) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as error:
        result.failed.append(Failure(prefix or ".", f"cannot list folder: {error.strerror}"))
        result.unlisted_folders.append(prefix)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        rel = f"{prefix}{entry.name}"
        try:
            info = entry.stat(follow_symlinks=True)
        except OSError as error:
            result.failed.append(Failure(rel, _stat_error(entry, error)))
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                result.failed.append(Failure(rel, f"symlink loop: leads back to {os.path.realpath(entry.path)}"))
            else:
                _walk(Path(entry.path), f"{rel}/", ancestors | {key}, max_bytes, result)
        elif not stat.S_ISREG(info.st_mode) or entry.name.startswith("~$") or reader_for(Path(entry.name)) is None:
            # Unsupported types, Office lock files (~$x.docx), pipes and devices.
            result.skipped.append(rel)
        elif info.st_size == 0:
            result.failed.append(Failure(rel, "empty file (0 bytes)"))
        elif info.st_size > max_bytes:
            result.failed.append(Failure(
                rel,
                f"file too large: {info.st_size / 2**20:.3g} MB, above the "
                f"{max_bytes / 2**20:.3g} MB limit (RAG_MAX_FILE_MB)",
            ))
        else:
            result.files.append(FoundFile(Path(entry.path), rel, info.st_size, info.st_mtime))


def _stat_error(entry: os.DirEntry, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "symlink loop: following the link never reaches a file"
    if error.errno == errno.ENOENT and entry.is_symlink():
        return f"broken symlink: {os.readlink(entry.path)} does not exist"
    return f"cannot read file: {error.strerror}"
