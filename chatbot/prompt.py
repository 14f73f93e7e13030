"""The prompt: a system prompt, optional few-shot examples, numbered passages within a token budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .retrieve import Passage

DEFAULT_SYSTEM_PROMPT = (
    "You answer questions about company documents. Use only the numbered passages given with the "
    "question. Answer in one or two sentences, in the language of the question, and cite the passage "
    "you used like [1]. If the passages do not contain the answer, say that the documents do not "
    "contain it."
)

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

    The best passage always goes in, cut to the budget if it alone is larger:
    an answer needs at least one passage, and Korean text costs the model
    about two tokens per character.
    """
    shown: list[Passage] = []
    blocks: list[str] = []
    used = 0
    for passage in passages:
        block = _block(len(shown) + 1, passage)
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
        messages.append({"role": "user", "content": _user(example["question"], [f"[1] {example['context']}"])})
        messages.append({"role": "assistant", "content": example["answer"]})
    messages.append({"role": "user", "content": _user(question, blocks)})
    return Prompt(messages=messages, passages=shown)


def _block(number: int, passage: Passage) -> str:
    where = f" - {passage.heading}" if passage.heading else ""
    return f"[{number}] ({passage.label}{where})\n{passage.text.strip()}"


def _user(question: str, blocks: list[str]) -> str:
    return "Passages:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"


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
