"""Which language a question is in, and the fixed replies in each."""

from __future__ import annotations

from typing import Literal

Language = Literal["ko", "en"]

NOT_FOUND: dict[Language, str] = {
    "en": "I could not find this in the documents.",
    "ko": "문서에서 해당 내용을 찾을 수 없습니다.",
}

# A reply the passages do not support is not shown as the answer. When the evidence holds the
# question's terms, the answer leads with it: with the words that answer marked (SPAN_LEAD), or
# as it stands (EVIDENCE_LEAD); when it does not, the answer says so (UNSUPPORTED), then the evidence.
SPAN_LEAD: dict[Language, str] = {
    "en": "According to the documents: **{span}**.",
    "ko": "문서에 따르면 **{span}**입니다.",
}
EVIDENCE_LEAD: dict[Language, str] = {
    "en": "The documents say:",
    "ko": "문서에는 이렇게 나와 있습니다:",
}
UNSUPPORTED: dict[Language, str] = {
    "en": "The documents do not clearly support an answer. The closest passage says:",
    "ko": "문서에서 답을 확인하지 못했습니다. 가장 관련 있는 문장은 다음과 같습니다:",
}


def detect_language(text: str) -> Language:
    """Korean when a fair share of the letters are Hangul, else English."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "en"
    hangul = sum(1 for ch in letters if "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e")
    return "ko" if hangul / len(letters) >= 0.3 else "en"
