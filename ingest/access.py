"""Which groups may read each file: the nearest ``.access`` file at or above its folder.

An ``.access`` file lists one group per line (``#`` starts a comment); the
deepest one wins, replacing those above it; with none anywhere above a
file, the default groups (RAG_DEFAULT_GROUPS) may read it. An ``.access``
with no group in it leaves its files to the admins alone.
"""

from __future__ import annotations

from pathlib import Path

from settings import EVERYONE
from storage import valid_group

from .scan import Failure

ACCESS_FILE = ".access"


class AccessError(OSError):
    """An ``.access`` file governing a file cannot be read: the file's readers are unknown."""


class AccessRules:
    def __init__(self, root: Path, default_groups: tuple[str, ...], known_groups: set[str] | None) -> None:
        """``known_groups``: every group a user or an admin setting names (None: no users file yet,
        so no group can be called unknown)."""
        self._root = root
        self._default = default_groups
        self._known = known_groups
        self._by_folder: dict[str, tuple[str, ...]] = {}
        self.warnings: list[Failure] = []  # groups named wrongly or naming no one

    def groups_for(self, rel_path: str) -> tuple[str, ...]:
        """The groups that may read the file at this path (relative to the root)."""
        return self._folder_groups(rel_path.rpartition("/")[0])

    def _folder_groups(self, folder: str) -> tuple[str, ...]:
        if folder not in self._by_folder:
            path = self._root / folder / ACCESS_FILE
            if path.is_file():
                self._by_folder[folder] = self._read(path, f"{folder}/{ACCESS_FILE}".lstrip("/"))
            elif folder:
                self._by_folder[folder] = self._folder_groups(folder.rpartition("/")[0])
            else:
                self._by_folder[folder] = self._default
        return self._by_folder[folder]

    def _read(self, path: Path, rel: str) -> tuple[str, ...]:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise AccessError(f"cannot read {rel} ({reason}): who may read the files below it is unknown, "
                              "so they are not ingested") from None
        groups = []
        for number, line in enumerate(text.splitlines(), start=1):
            name = line.split("#", 1)[0].strip()
            if not name:
                continue
            if not valid_group(name):
                self.warnings.append(Failure(rel, f"line {number}: invalid group name {name!r} (ignored)"))
            else:
                groups.append(name)
                if self._known is not None and name not in self._known | {EVERYONE, *self._default}:
                    self.warnings.append(Failure(rel, f"line {number}: no user is in group {name!r}"))
        return tuple(sorted(set(groups)))
