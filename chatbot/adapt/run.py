"""`python -m chatbot adapt`: train, convert, judge, and switch the chat to the adapter only when it is better.

The serving model is never touched while this runs: the adapter is written
in its run's folder, and only a better one is switched on
(DATA_DIR/adapt/active.json, read when the chat opens its model: restart the
service to load it). `--rollback` switches back to what ran before.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from settings import Settings
from storage import Adapters, write_json

from .dataset import Record, read_records
from .error import AdaptError
from .train import TrainConfig, run_folder, train

VALIDATION_PER_LANGUAGE = 60  # held-out records each model answers (about a second each)


def data_dir(settings: Settings) -> Path:
    return settings.adapt_dir / "data"


def adapt(settings: Settings, config: TrainConfig, minutes: float | None = None, pack: Path | None = None,
          pack_limit: int | None = None, progress=sys.stderr) -> dict:
    # The engine and the judge load llama-index and the LLM: `fewshot` and `--rollback` start without them.
    from ..answer.engine import lora_path
    from .convert import to_gguf
    from .judge import judge, pack_scores, validation_scores

    records = read_records(data_dir(settings) / "train.jsonl")
    if not records:
        raise AdaptError(f"no training records in {data_dir(settings)}: run `python -m chatbot adapt-data` first")
    validation = _sample(read_records(data_dir(settings) / "validation.jsonl"))
    model = settings.llm_model_path
    folder = run_folder(settings.adapt_dir / "runs", records, model, config)
    print(f"training on {len(records)} records in {folder}", file=progress, flush=True)
    trained = train(records, model, folder, config, minutes, progress)
    adapter = to_gguf(trained.adapter, trained.base_config, folder / "adapter.gguf")
    current = lora_path(settings)  # what the chat runs now: the model alone, or an earlier adapter
    print(f"judging on {len(validation)} held-out records", file=progress, flush=True)
    base: dict = {"adapter": str(current) if current else None,
                  "validation": validation_scores(settings, validation, current)}
    adapted: dict = {"adapter": str(adapter), "validation": validation_scores(settings, validation, adapter)}
    if pack is not None:
        print(f"judging on the QA pack {pack}", file=progress, flush=True)
        base["eval"] = pack_scores(settings, pack, current, pack_limit)
        adapted["eval"] = pack_scores(settings, pack, adapter, pack_limit)
    verdict = judge(base, adapted)
    if verdict.better and adapter != current:
        Adapters(settings.adapt_dir).switch(adapter)
    result = {"adapter": str(adapter), "base": base, "adapted": adapted, "activated": verdict.better,
              "reason": verdict.reason, "training": trained.to_json()}
    if verdict.better and settings.llm_lora:
        result["note"] = f"RAG_LLM_LORA={settings.llm_lora} is set and overrides the switch"
    write_json(folder / "result.json", result)
    return result


def rollback(settings: Settings) -> Path | None:
    try:
        return Adapters(settings.adapt_dir).rollback()
    except ValueError as error:
        raise AdaptError(str(error)) from None


def _sample(records: list[Record]) -> list[Record]:
    """The first VALIDATION_PER_LANGUAGE records of each language (the file's order is seeded)."""
    kept: dict[str, list[Record]] = {}
    for record in records:
        if len(kept.setdefault(record.language, [])) < VALIDATION_PER_LANGUAGE:
            kept[record.language].append(record)
    return [r for group in kept.values() for r in group]


def summary(result: dict) -> str:
    lines = [f"adapter: {result['adapter']}", f"switched on: {'yes' if result['activated'] else 'no'} "
             f"({result['reason']})"]
    for name in ("base", "adapted"):
        lines.append(f"{name}: {json.dumps({k: v for k, v in result[name].items() if k != 'adapter'})}")
    return "\n".join(lines)
