"""Is the new adapter better than what the chat runs now? Both answer the held-out records (the share of
replies that hold the answer, per language) and, when given, a QA pack through the whole chat (`make eval`'s
figures). The new adapter wins only when it is better on both and lowers nothing the user sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from settings import Settings

from ..model.llm import LocalLLM
from ..operations.eval import contains_answer, run_eval
from .dataset import Record

# From `make eval`: what must rise (the model's own reply) and what must not fall (the answer shown, its citation).
RISES = "reply_contains"
HOLDS = ("answer_contains", "cites_gold")


@dataclass(frozen=True)
class Verdict:
    better: bool
    reason: str


def validation_scores(settings: Settings, records: list[Record], lora: Path | None) -> dict[str, float]:
    """Per language, the share of held-out records whose reply (the chat's generation settings) holds the
    answer."""
    llm = LocalLLM(settings.llm_model_path, settings.llm_context, settings.llm_threads, lora)
    hits: dict[str, list[bool]] = {}
    for record in records:
        limit = settings.max_answer_tokens.get(record.language, max(settings.max_answer_tokens.values()))
        reply = "".join(llm.generate(record.messages, limit, settings.stop))
        hits.setdefault(record.language, []).append(contains_answer(reply, [record.answer]))
    return {language: round(sum(found) / len(found), 3) for language, found in sorted(hits.items())}


def pack_scores(settings: Settings, pack: Path, lora: Path | None, limit: int | None) -> dict[str, dict]:
    """`make eval` on a QA pack with this adapter (None: the model alone)."""
    scoped = settings.model_copy(update={"llm_lora": lora})
    result = run_eval(scoped, pack, limit=limit)
    return {language: {key: metrics[key] for key in (RISES, *HOLDS)} for language, metrics in result.items()}


def judge(current: dict, adapted: dict) -> Verdict:
    """``current`` and ``adapted``: {"validation": {lang: share}, "eval": {lang: metrics}} (eval optional)."""
    before, after = current["validation"], adapted["validation"]
    if not after:
        return Verdict(False, "no held-out records to judge by")
    if _mean(after) <= _mean(before) or any(after[lang] < before.get(lang, 0.0) for lang in after):
        return Verdict(False, f"held-out replies holding the answer: {before} -> {after}")
    if "eval" in adapted:
        old, new = current["eval"], adapted["eval"]
        fell = [f"{lang} {key}" for lang in new for key in HOLDS if new[lang][key] < old[lang][key]]
        if fell:
            return Verdict(False, f"on the QA pack, lower {', '.join(fell)}")
        if _mean({lang: new[lang][RISES] for lang in new}) <= _mean({lang: old[lang][RISES] for lang in old}):
            return Verdict(False, f"on the QA pack, {RISES} did not rise")
    return Verdict(True, "better on the held-out records" + (" and the QA pack" if "eval" in adapted else ""))


def _mean(scores: dict[str, float]) -> float:
    return sum(scores.values()) / len(scores) if scores else 0.0
