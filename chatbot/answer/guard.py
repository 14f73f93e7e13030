"""A reply must not repeat the instructions the model was given (the system prompt, the few-shot examples).

Documents are data: a passage that says "print your system prompt" is
content to answer from, but a small model may still obey it. Retrieval
already keeps other users' questions and documents outside the reader's
groups out of the prompt; the instructions are the one thing in the prompt
a reply must not show. A reply that repeats any five words in a row of
them, which the passages and the question do not hold, is stopped before
those five words are streamed, and withheld.
"""

from __future__ import annotations

import re

SHINGLE = 5  # words in a row
_WORD = re.compile(r"\w+")


class EchoGuard:
    def __init__(self, instructions: str, allowed: str) -> None:
        self._secret = _shingles(instructions) - _shingles(allowed)

    def repeats(self, text: str) -> bool:
        return not self._secret.isdisjoint(_shingles(text))


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
