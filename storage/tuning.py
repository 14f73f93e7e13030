"""What `make adapt` and `python -m chatbot fewshot` leave for the chat (DATA_DIR/adapt/): the adapter the
chat loads, the ones before it (for a rollback), and the few-shot examples picked from feedback.

Written by the admin's commands, read when the LLM is opened; a JSON file
replaced atomically, so a chat starting mid-switch reads the old state or the
new one, never half of either.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class AdapterState:
    active: str | None = None  # the GGUF adapter file the chat loads; None: the model alone
    history: list[str | None] = field(default_factory=list)  # what was active before, oldest first


class Adapters:
    """DATA_DIR/adapt/active.json: which adapter the chat uses, switched and rolled back by `adapt`."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "active.json"

    def state(self) -> AdapterState:
        if not self.path.exists():
            return AdapterState()
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return AdapterState(data.get("active"), list(data.get("history", [])))

    def active(self) -> Path | None:
        current = self.state().active
        return Path(current) if current else None

    def switch(self, adapter: Path) -> None:
        state = self.state()
        self._write(AdapterState(str(adapter), [*state.history, state.active]))

    def rollback(self) -> Path | None:
        """Back to what was active before the last switch; returns it (None: the model alone).
        ValueError when there was nothing before."""
        state = self.state()
        if not state.history:
            raise ValueError("nothing to roll back to: no adapter was switched on before")
        previous = state.history[-1]
        self._write(AdapterState(previous, state.history[:-1]))
        return Path(previous) if previous else None

    def _write(self, state: AdapterState) -> None:
        write_json(self.path, asdict(state))


class FewShotFile:
    """DATA_DIR/adapt/few_shot.json: examples {question, context, answer, language} picked from feedback."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "few_shot.json"

    def read(self) -> list[dict[str, str]]:
        return json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else []

    def write(self, examples: list[dict[str, str]]) -> None:
        write_json(self.path, examples)


def write_json(path: Path, data: object) -> None:
    """Replace ``path`` with ``data`` in one step (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as file:
        json.dump(data, file, ensure_ascii=False, indent=1)
    os.replace(file.name, path)
