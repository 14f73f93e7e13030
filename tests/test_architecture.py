"""The house keeps its shape (docs/ARCHITECTURE.md): read from the product's own import statements, no file
imports itself back through others, every room imports only the rooms below it, and a room outside a
top-level package uses that package through its public surface (`from storage import Store`), never
through a module inside it."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from settings import REPO_ROOT

PACKAGES = ("settings", "storage", "ingest", "chatbot", "ui")
CHATBOT_ROOMS = ("language", "search", "model", "answer", "operations", "adapt")

# What each room may import besides itself; "chatbot" is its front door (__init__, the CLI in __main__).
# The evaluation ingests the dev pack and the doctor asks ingest about OCR: operations uses ingest's surface.
BELOW: dict[str, set[str]] = {
    "settings": set(),
    "storage": {"settings"},
    "ingest": {"settings", "storage"},
    "chatbot.language": set(),
    "chatbot.search": {"settings", "storage", "chatbot.language"},
    "chatbot.model": {"settings", "storage"},
    "chatbot.answer": {"settings", "storage", "chatbot.language", "chatbot.search", "chatbot.model"},
    "chatbot.operations": {"settings", "storage", "ingest", "chatbot.language", "chatbot.search",
                           "chatbot.model", "chatbot.answer"},
    "chatbot.adapt": {"settings", "storage", "chatbot.language", "chatbot.search", "chatbot.model",
                      "chatbot.answer", "chatbot.operations"},
    "chatbot": {"settings", "storage", *(f"chatbot.{room}" for room in CHATBOT_ROOMS)},
    "ui": {"settings", "chatbot"},
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (a package's __init__ by the package's name)
    line: int
    named: str = ""  # the module the statement names: `from storage import backup` names storage


def module_files() -> dict[str, Path]:
    files = {"settings": REPO_ROOT / "settings.py"}
    for package in PACKAGES[1:]:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def imports(files: dict[str, Path]) -> list[Import]:
    """Every import between the product's modules: those inside functions and those made only for type
    checkers too (a circle of types is still a circle to whoever reads the code)."""
    found = []
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [Import(module, a.name, node.lineno, a.name) for a in node.names if a.name in files]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                # `from . import sentence_rerank` imports a module; `from .fusion import fuse` a name.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
                found += [Import(module, t, node.lineno, base) for t in dict.fromkeys(targets) if t in files]
    return found


def room(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "chatbot" and len(parts) > 1 and parts[1] in CHATBOT_ROOMS:
        return f"chatbot.{parts[1]}"
    return parts[0]


def cycles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), and any module importing itself."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for following in graph.get(node, ()):
            if following not in index:
                visit(following)
                low[node] = min(low[node], low[following])
            elif following in stack:
                low[node] = min(low[node], index[following])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_file_imports_itself_back_through_others() -> None:
    assert cycles(imports(module_files())) == []


def test_every_room_imports_only_the_rooms_below_it_through_their_front_doors() -> None:
    files = module_files()
    edges = imports(files)
    assert len(edges) > 100  # the reader sees the product's imports, relative ones included
    upward = [edge for edge in edges if room(edge.target) != room(edge.source)
              and room(edge.target) not in BELOW[room(edge.source)]]
    assert upward == []
    # Between top-level packages only the package itself: `from storage import Store`, not storage.store.
    inside = [edge for edge in edges if edge.source.split(".")[0] != edge.target.split(".")[0]
              and "." in edge.named]
    assert inside == []


def test_the_checks_see_a_circle_and_an_upward_import() -> None:
    """The reader and the cycle finder on imports written for the purpose, so a check that passes means
    something."""
    made = [Import("chatbot.search.a", "chatbot.search.b", 1), Import("chatbot.search.b", "chatbot.search.c", 1),
            Import("chatbot.search.c", "chatbot.search.a", 1), Import("chatbot.search.c", "chatbot.answer.d", 1)]
    assert cycles(made) == [["chatbot.search.a", "chatbot.search.b", "chatbot.search.c"]]
    assert room(made[3].target) not in BELOW[room(made[3].source)]
