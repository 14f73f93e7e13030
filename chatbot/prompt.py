"""The prompt: a system prompt, optional few-shot examples, the passages within a token budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .retrieve import Passage

# The instructions the product promises: answer only from the passages, in
# the question's language, cite, and say so when the passages lack the answer.
# The passages themselves go in without "[n]" headers: with numbered headers
# SmolLM2-135M copied the format and invented citations ([4] with one
# passage), so the engine attaches each answer's [n] itself (engine.py).
# Measured against a one-line prompt in docs/BENCHMARKS.md; replace it with
# RAG_SYSTEM_PROMPT or `system_prompt` in rag.yaml.
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
    context: str  # their text as the model reads it (the last one may be cut to the budget)


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
    return Prompt(messages=messages, passages=shown, context=_context(blocks))


def _user(question: str, blocks: list[str]) -> str:
    return f"{_context(blocks)}\n\nQuestion: {question}"


def _context(blocks: list[str]) -> str:
    return "Context:\n" + "\n\n".join(blocks)


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
