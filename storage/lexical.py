"""The lexical side of the store: Korean- and English-aware terms, and a BM25 index over all chunks.

Terms: Hangul runs go through Kiwi's morphological analysis and keep their
content morphemes, so particles and endings do not break matches ("휴가는"
matches "휴가"); Latin words are lower-cased, stop words dropped, and
Snowball-stemmed ("policies" matches "policy"); numbers are kept.

Each chunk's terms are computed once, at ingest, and stored with the chunk
(metadata ``lexical``), so the BM25 index is rebuilt from the collection
without analysing any text again.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from . import chroma

logging.getLogger("bm25s").setLevel(logging.WARNING)

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
# Kiwi tags kept: common and proper nouns (NNG, NNP), numerals (NR), verb and
# adjective stems (VV, VA), roots (XR), foreign words (SL), numbers (SN), hanja (SH).
# Particles (J*), endings (E*) and affixes (X*) are what must not break a match.
_KEPT_TAGS = ("NNG", "NNP", "NR", "VV", "VA", "XR", "SL", "SN", "SH")
_STOPWORDS = set(STOPWORDS_EN) | {"what", "which", "who", "whom", "how", "when", "where", "why", "do", "does",
                                  "did", "can", "could", "should", "would", "i", "we", "you", "my", "our"}


class Analyzer:
    """Text -> index terms. Thread-safe; Kiwi loads (about 1 s) on first Korean text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @cached_property
    def _kiwi(self):
        from kiwipiepy import Kiwi

        return Kiwi()

    @cached_property
    def _stemmer(self) -> Stemmer.Stemmer:
        return Stemmer.Stemmer("english")

    def terms(self, text: str) -> list[str]:
        if _HANGUL.search(text):
            with self._lock:  # one Kiwi instance, analysed one text at a time
                tokens = self._kiwi.tokenize(text)
            words = [t.form if t.tag != "SL" else t.form.lower() for t in tokens if t.tag in _KEPT_TAGS]
            latin = [w for w in words if w.isascii()]
            hangul = [w for w in words if not w.isascii()]
            return hangul + self._latin(" ".join(latin))
        return self._latin(text.lower())

    def _latin(self, text: str) -> list[str]:
        words = [w for w in _LATIN_WORD.findall(text.lower()) if w not in _STOPWORDS]
        return self._stemmer.stemWords(words)


class LexicalIndex:
    """BM25 over every chunk in the collection, saved beside it (``STORE/bm25``)."""

    def __init__(self, folder: Path, bm25: bm25s.BM25 | None, ids: list[str]) -> None:
        self.folder = folder
        self._bm25 = bm25
        self._ids = ids

    @classmethod
    def build(cls, collection, folder: Path) -> "LexicalIndex":
        ids, corpus = [], []
        for chunk_id, metadata in chroma.iter_metadata(collection):
            ids.append(chunk_id)
            corpus.append(json.loads(str(metadata.get("lexical", "[]"))))
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        index = cls(folder, bm25, ids)
        index._save()
        return index

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        ids = json.loads((folder / "ids.json").read_text()) if (folder / "ids.json").exists() else []
        bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False) if ids else None
        return cls(folder, bm25, ids)

    def search(self, terms: list[str], k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) for the k best chunks with any term in common,
        among the ``allowed`` chunk ids when given (a search filter)."""
        if self._bm25 is None or not terms or allowed is not None and not allowed:
            return []
        known = [t for t in terms if t in self._bm25.vocab_dict]
        if not known:
            return []
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self._ids), dtype=np.float32)
            mask[[self._positions[i] for i in allowed if i in self._positions]] = 1.0
        results, scores = self._bm25.retrieve(
            [known], k=min(k, len(self._ids)), show_progress=False, weight_mask=mask
        )
        return [(self._ids[int(i)], float(s)) for i, s in zip(results[0], scores[0]) if s > 0]

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {chunk_id: position for position, chunk_id in enumerate(self._ids)}

    def _save(self) -> None:
        """Written beside the old index, then swapped in: a reader never sees half an index."""
        staging = self.folder.with_name(self.folder.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(str(staging / "bm25"), show_progress=False)
        (staging / "ids.json").write_text(json.dumps(self._ids))
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(old)
        staging.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)


def as_metadata(terms: list[str]) -> str:
    return json.dumps(terms, ensure_ascii=False)

