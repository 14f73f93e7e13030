"""Follow-up questions made standalone before retrieval.

"And for contractors?" means nothing to a retriever. An LLM rewrite (llama-
index's condense-question prompt) is unreliable with a 135M model and costs
a second generation, so a follow-up is recognised by its form (short, or
opening with a follow-up word, or pointing back with a pronoun) and joined
to the standalone question it follows.
"""

from __future__ import annotations

import re

_CUES = re.compile(
    r"^(and|also|what about|how about|then|so|but|or|그럼|그러면|그리고|또|그런데|그건|그것은|이건|이것은)\b",
    re.IGNORECASE,
)
_POINTERS = re.compile(r"\b(it|they|them|this|that|those|these|he|she)\b|그것|그거|이것|이거|거기|그분", re.IGNORECASE)


def is_follow_up(question: str) -> bool:
    text = question.strip()
    return len(text.split()) <= 3 or bool(_CUES.match(text)) or bool(_POINTERS.search(text))


def standalone_question(question: str, previous_questions: list[str]) -> str:
    """The question to retrieve and answer with, given the user's earlier questions (oldest first)."""
    standalone = ""
    for asked in [*previous_questions, question]:
        standalone = f"{standalone} {asked.strip()}".strip() if standalone and is_follow_up(asked) else asked.strip()
    return standalone
