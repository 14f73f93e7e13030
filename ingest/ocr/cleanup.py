"""OCR text made fit for the chunker and the keyword index, where Tesseract is known to err.

- Korean: Tesseract often reads a line of Hangul as one syllable per "word" ("연 차 휴 가 는"), which Kiwi
  cannot analyse into morphemes and the keyword index then misses. In a line where most Hangul tokens are single
  syllables, runs of them are joined back ("연차휴가는"; Kiwi splits it into morphemes as it does unspaced text),
  and numbers to their counters ("45 일" → "45일").
- Both languages: a line broken inside a sentence is joined to the next; an English word hyphenated at a line
  end is joined whole.
"""

from __future__ import annotations

import re

_SYLLABLE = re.compile(r"^[가-힣]$")
_HANGUL = re.compile(r"[가-힣]")
_NUMBER_COUNTER = re.compile(r"(\d) (?=[가-힣])")
_SENTENCE_END = re.compile(r"[.!?。:;)\]\"'”’]$|다$|요$|음$|함$")
MIN_SINGLES = 3  # fewer single-syllable tokens in a line are ordinary one-syllable words ("그 후 두 달")
SINGLE_SHARE = 0.5


def clean(text: str) -> str:
    paragraphs = [_join_lines([_join_syllables(line) for line in paragraph.splitlines() if line.strip()])
                  for paragraph in text.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _join_syllables(line: str) -> str:
    tokens = line.split()
    hangul = [t for t in tokens if _HANGUL.search(t)]
    singles = sum(bool(_SYLLABLE.match(t)) for t in hangul)
    if singles < MIN_SINGLES or singles < SINGLE_SHARE * len(hangul):
        return " ".join(tokens)
    joined: list[str] = []
    for token in tokens:
        if joined and _SYLLABLE.match(token) and _HANGUL.search(joined[-1][-1]):
            joined[-1] += token
        else:
            joined.append(token)
    # Such a line splits a number from its counter too ("45 일"): Korean writes them together ("45일").
    return _NUMBER_COUNTER.sub(r"\1", " ".join(joined))


def _join_lines(lines: list[str]) -> str:
    """Lines of one paragraph; a line ending a sentence keeps its break."""
    out = ""
    for line in lines:
        if not out:
            out = line
        elif re.search(r"[A-Za-z]-$", out):
            out = out[:-1] + line
        elif _SENTENCE_END.search(out):
            out += "\n" + line
        else:
            out += " " + line
    return out
