"""The prompt: a system prompt, optional few-shot examples, numbered passages within a token budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .retrieve import Passage

# Measured on the sample documents with SmolLM2-135M (docs/BENCHMARKS.md): every
# instruction added to this short prompt (cite [n], answer in the question's
# language, say when the passages lack the answer) made its answers worse, and
# numbered passage headers made it invent citations ([4] with one passage).
# So the engine does those jobs itself: it answers "not found" before calling
# the model, and marks the passage each answer rests on. Larger models can be
# given a fuller prompt with RAG_SYSTEM_PROMPT or `system_prompt` in rag.yaml.
DEFAULT_SYSTEM_PROMPT = "Answer the question using only the context. Reply with one short sentence."

Message = dict[str, str]


@dataclass(frozen=True)
class Prompt:
    messages: list[Message]
    passages: list[Passage]  # exactly the passages shown to the model, numbered from 1


def build_prompt(
    question: str,
    passages: list[Passage],
    budget: int,
    count_tokens: Callable[[str], int],
    system_prompt: str | None = None,
    few_shot: list[dict[str, str]] | None = None,
) -> Prompt:
    """Passages in rank order while they fit `budget` tokens of the model's own tokenizer.

    Passage i of the prompt is source [i] of the answer.

    The best passage always goes in, cut to the budget if it alone is larger:
    an answer needs at least one passage, and Korean text costs the model
    about two tokens per character.
    """
    shown: list[Passage] = []
    blocks: list[str] = []
    used = 0
    for passage in passages:
        block = passage.text.strip()
        cost = count_tokens(block)
        if used + cost > budget:
            if shown:
                break
            block = _cut_to_tokens(block, budget, count_tokens)
            cost = budget
        shown.append(passage)
        blocks.append(block)
        used += cost
    messages: list[Message] = [{"role": "system", "content": system_prompt or DEFAULT_SYSTEM_PROMPT}]
    for example in few_shot or []:
        messages.append({"role": "user", "content": _user(example["question"], [example["context"]])})
        messages.append({"role": "assistant", "content": example["answer"]})
    messages.append({"role": "user", "content": _user(question, blocks)})
    return Prompt(messages=messages, passages=shown)


def _user(question: str, blocks: list[str]) -> str:
    return "Context:\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"


def _cut_to_tokens(text: str, budget: int, count_tokens: Callable[[str], int]) -> str:
    """The longest prefix of `text` within `budget` tokens (binary search on characters)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return text[:low]
