"""Who may read what: a reader's groups, and the groups written onto every chunk.

Each chunk carries one metadata flag per group that may read it
(``acl:hr: True``; flags, not a list: llama-index's flat metadata takes
scalar values only). The keyword index records them when it is built
(storage/lexical.py), and both rankers limit a search to what the reader may
read before anything is ranked: the keyword side with a mask, the dense side
by handing Chroma those chunks' ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from settings import EVERYONE, GROUP_NAME

_PREFIX = "acl:"


@dataclass(frozen=True)
class Reader:
    """The person a search runs for: their name, their groups, and whether they see everything (admins)."""

    name: str
    groups: frozenset[str]
    sees_all: bool = False

    def may_read(self, groups: tuple[str, ...] | None) -> bool:
        return self.sees_all or bool(self.groups & set(groups or ()))

    @classmethod
    def member(cls, name: str, groups: tuple[str, ...], admin_group: str) -> Reader:
        """A signed-in user in these groups (and everyone's); an admin group member sees everything."""
        return cls(name, frozenset(groups) | {EVERYONE}, sees_all=admin_group in groups)


# Trusted local callers (the CLI without --user, the eval, a server without sign-in).
UNRESTRICTED = Reader(name="", groups=frozenset(), sees_all=True)


def valid_group(name: str) -> bool:
    return bool(GROUP_NAME.match(name))


def acl_metadata(groups: tuple[str, ...]) -> dict[str, bool]:
    """The chunk metadata that says these groups may read it."""
    return {f"{_PREFIX}{group}": True for group in groups}


def groups_of(metadata: dict) -> tuple[str, ...]:
    return tuple(sorted(key[len(_PREFIX):] for key, value in metadata.items() if key.startswith(_PREFIX) and value))


def with_groups(metadata: dict, groups: tuple[str, ...]) -> dict:
    """The metadata with its flags replaced by these groups' (Chroma's update merges keys: a
    group taken away is set to False, which no ``where`` matches)."""
    cleared = {key: False for key in metadata if key.startswith(_PREFIX)}
    return {**metadata, **cleared, **acl_metadata(groups)}
