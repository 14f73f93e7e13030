"""The adapter the chat runs is switched and rolled back step by step, and the file holding it is never
half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Adapters, FewShotFile


def test_switches_and_rollbacks_walk_back_through_what_ran(tmp_path: Path) -> None:
    adapters = Adapters(tmp_path / "adapt")
    assert adapters.active() is None
    with pytest.raises(ValueError, match="nothing to roll back"):
        adapters.rollback()
    adapters.switch(tmp_path / "one.gguf")
    adapters.switch(tmp_path / "two.gguf")
    assert adapters.active() == tmp_path / "two.gguf"
    assert Adapters(tmp_path / "adapt").active() == tmp_path / "two.gguf"  # kept on disk, read afresh
    assert adapters.rollback() == tmp_path / "one.gguf" and adapters.active() == tmp_path / "one.gguf"
    assert adapters.rollback() is None and adapters.active() is None  # the model alone, as at first
    with pytest.raises(ValueError):
        adapters.rollback()
    assert [p.name for p in (tmp_path / "adapt").iterdir()] == ["active.json"]  # no temporary file left


def test_few_shot_examples_round_trip_in_korean(tmp_path: Path) -> None:
    examples = [{"question": "연차는 며칠인가요?", "context": "연차는 15일이다.", "answer": "15일 [1]", "language": "ko"}]
    FewShotFile(tmp_path).write(examples)
    assert FewShotFile(tmp_path).read() == examples
    assert FewShotFile(tmp_path / "none").read() == []
