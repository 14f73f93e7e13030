"""The prompt: a system prompt, optional few-shot examples, sentence windows of the passages within a token budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..search.passage import Passage
from ..search.sentences import ScoredPassage, Sentence

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
    context: str  # their text as the model reads it
    # Per passage, the character ranges of its text the prompt shows (runs of adjacent sentences): what the
    # reader reads too.
    shown: list[list[tuple[int, int]]] = field(default_factory=list)

    @property
    def instructions(self) -> str:
        """What the model is told before the question: the system prompt and the few-shot examples."""
        return "\n".join(message["content"] for message in self.messages[:-1])


def build_prompt(
    question: str,
    candidates: list[ScoredPassage],
    budget: int,
    count_tokens: Callable[[str], int],
    window: int | None = 1,
    min_share: float = 0.0,
    question_first: bool = False,
    system_prompt: str | None = None,
    few_shot: list[dict[str, str]] | None = None,
) -> Prompt:
    """Each passage's best-matching sentence (one per retrieved chunk it joins) and ``window``
    sentences either side, in rank order, while they fit ``budget`` tokens of the model's own
    tokenizer.

    ``window=None`` gives whole passages. Passage i of the prompt is source
    [i] of the answer.

    - A best sentence that scores below ``min_share`` of the best sentence
      overall is no window's centre, and a passage left with none is left
      out: for a small model, a weak passage is a distractor more than a
      help (measured).
    - Sentences already shown (chunks overlap) are not repeated, and a
      best sentence already shown is no window's centre either.
    - A window that does not fit shrinks to its best sentences; the first
      passage always goes in, its best sentences cut to the budget if they
      alone are larger — an answer needs one passage, and Korean costs the model
      about two tokens per character.
    - ``question_first`` also puts the question before the context (it helped
      SmolLM2-135M in Korean and hurt it in English, docs/BENCHMARKS.md).
    """
    shown: list[Passage] = []
    blocks: list[str] = []
    ranges: list[list[tuple[int, int]]] = []
    seen: set[str] = set()
    used = 0
    bests = [_bests(c) for c in candidates]
    top = max((c.scores[b.index] for c, found in zip(candidates, bests) for b in found), default=0.0)
    for candidate, found in zip(candidates, bests):
        strong = sorted((b for b in found if candidate.scores[b.index] >= min_share * top
                         and _key(b) not in seen), key=lambda b: b.index)
        if not strong:
            continue
        windows = {s.index: s for b in strong for s in _window(candidate.sentences, b, window)}
        chosen = [s for _, s in sorted(windows.items()) if _key(s) not in seen]
        block = _join(candidate.passage.text, chosen)
        cost = count_tokens(block)
        if used + cost > budget:
            chosen, block = strong, _join(candidate.passage.text, strong)
            cost = count_tokens(block)
        if used + cost > budget:
            if shown:
                break
            block, cost = _cut_to_tokens(block, budget, count_tokens), budget
        shown.append(candidate.passage)
        blocks.append(block)
        ranges.append(_runs(chosen))
        seen.update(_key(s) for s in chosen)
        used += cost
    messages: list[Message] = [{"role": "system", "content": system_prompt or DEFAULT_SYSTEM_PROMPT}]
    for example in few_shot or []:
        messages.append({"role": "user", "content": _user(example["question"], [example["context"]], question_first)})
        messages.append({"role": "assistant", "content": example["answer"]})
    messages.append({"role": "user", "content": _user(question, blocks, question_first)})
    return Prompt(messages=messages, passages=shown, context=_context(blocks), shown=ranges)


def _bests(candidate: ScoredPassage) -> list[Sentence]:
    """The best-matching sentence within each chunk retrieval found in the passage, the
    best-ranked chunk's first; the window around each may reach into the neighbours
    (the answer often sits just past the words that match), but the neighbours' own
    sentences are not candidates: choosing among three chunks' sentences picked the
    wrong one more often (measured, docs/BENCHMARKS.md)."""
    bests: list[Sentence] = []
    for start, end in candidate.passage.foci or ((0, len(candidate.passage.text)),):
        inside = [s for s in candidate.sentences if s.start < end and s.end > start]
        best = max(inside, key=lambda s: candidate.scores[s.index], default=None)
        if best is not None and best not in bests:
            bests.append(best)
    return bests


def _window(sentences: list[Sentence], best: Sentence, window: int | None) -> list[Sentence]:
    if window is None:
        return sentences
    return sentences[max(0, best.index - window):best.index + window + 1]


def _key(sentence: Sentence) -> str:
    return " ".join(sentence.text.split())


def _join(text: str, sentences: list[Sentence]) -> str:
    """The sentences as the passage has them; " … " where a repeated one was left out."""
    parts: list[str] = []
    for previous, sentence in zip([None, *sentences], sentences):
        if previous is not None and sentence.index != previous.index + 1:
            parts.append(" … ")
        elif previous is not None:
            parts.append(text[previous.end:sentence.start])
        parts.append(sentence.text)
    return "".join(parts).strip()


def _runs(sentences: list[Sentence]) -> list[tuple[int, int]]:
    """The sentences as runs of adjacent ones: (start of the first, end of the last) each."""
    runs: list[tuple[int, int]] = []
    for previous, sentence in zip([None, *sentences], sentences):
        if previous is not None and sentence.index == previous.index + 1:
            runs[-1] = (runs[-1][0], sentence.end)
        else:
            runs.append((sentence.start, sentence.end))
    return runs


def _user(question: str, blocks: list[str], question_first: bool) -> str:
    ask = f"Question: {question}"
    return f"{ask}\n\n{_context(blocks)}\n\n{ask}" if question_first else f"{_context(blocks)}\n\n{ask}"


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
