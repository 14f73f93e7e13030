"""The lexical side of the store: Korean- and English-aware terms, and BM25 indexes over all chunks.

Terms: Hangul runs go through Kiwi's morphological analysis and keep their
content morphemes, so particles and endings do not break matches ("휴가는"
matches "휴가"); Latin words are lower-cased, stop words dropped, and
Snowball-stemmed ("policies" matches "policy"); numbers are kept. Latin and
number runs are cut the same way in Korean text as in English, whole: Kiwi
would split a product code ("S8" -> "s", "8") and drop a criterion or
version number ("2.11.2" is a W_SERIAL), the exact terms a question
names most precisely.

Bigrams: each Hangul run's overlapping syllable pairs ("방탄소년단" ->
"방탄", "탄소", "소년", "년단") and the text's Latin words and numbers as
they are, a second, analysis-free view of Korean text
that still matches where Kiwi splits a compound or a name differently in
the question and the passage. Measured on the dev pack, fusing both beats
either alone (docs/BENCHMARKS.md).

Each chunk's terms are computed once, at ingest, and stored with the chunk
(metadata ``lexical``); bigrams are cut from the same text (``indexed_text``:
heading and chunk) when the index is built. Neither needs Kiwi at rebuild time.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from . import chroma
from .access import UNRESTRICTED, Reader, groups_of
from .folders import swap_in

logging.getLogger("bm25s").setLevel(logging.WARNING)

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")  # runs of Hangul syllables (the chunker counts them too)
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
# Kiwi tags kept: common and proper nouns (NNG, NNP), numerals (NR), verb and
# adjective stems (VV, VA), roots (XR), hanja (SH). Particles (J*), endings (E*)
# and affixes (X*) are what must not break a match; Latin words and numbers
# (SL, SN, W_SERIAL, …) are taken from the text itself, like English.
_KEPT_TAGS = ("NNG", "NNP", "NR", "VV", "VA", "XR", "SH")
STOPWORDS = set(STOPWORDS_EN) | {"what", "which", "who", "whom", "how", "when", "where", "why", "do", "does",
                                  "did", "can", "could", "should", "would", "i", "we", "you", "my", "our"}


def indexed_text(heading: str, text: str) -> str:
    """What a chunk is indexed by (its vector, terms and bigrams): the heading gives a short passage its topic.

    A chunk that opens with its own heading line gets its parents' headings
    only: the first chunk of "## 인증 기준" under "# 2.5.3 사용자 인증" must
    still know it belongs to 2.5.3. Only content-derived text goes in (no file
    name), so a renamed or copied file yields the same chunk hashes and its
    vectors are reused.
    """
    if text.lstrip().startswith("#"):
        heading = heading.rpartition(" > ")[0]
    return f"{heading}\n{text}" if heading else text


@dataclass(frozen=True)
class Morpheme:
    form: str
    tag: str  # Kiwi's (Sejong) tag: NNG common noun, NNP proper noun, SN number, NNB bound noun, …
    start: int  # its characters in the analysed text
    end: int


class Analyzer:
    """Text -> index terms. Thread-safe; Kiwi loads (about 1 s) on first Korean text."""

    # Bump when terms change: chunks carry their terms, so stores must re-analyse them
    # (part of the chunker's signature). 2: Latin and number runs whole in Korean text.
    VERSION = 2

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
            # Kiwi knows some all-Latin names ("2AM", NNP); the Latin pass below has them.
            hangul = [t.form for t in tokens if t.tag in _KEPT_TAGS and not t.form.isascii()]
            return hangul + self._latin(HANGUL_RUN.sub(" ", text))
        return self._latin(text)

    def morphemes(self, text: str) -> list[Morpheme]:
        """Kiwi's analysis of a text with each morpheme's place in it (for text that holds Hangul)."""
        with self._lock:
            tokens = self._kiwi.tokenize(text)
        return [Morpheme(t.form, t.tag, t.start, t.start + t.len) for t in tokens]

    @staticmethod
    def bigrams(text: str) -> list[str]:
        """Overlapping syllable pairs of each Hangul run (a one-syllable run as itself); with
        them, Korean text's Latin words and numbers, lower-cased: a question that tells two
        passages apart by a code or number ("2.5.3 항목") keeps that in both Korean views."""
        pairs: list[str] = []
        for run in HANGUL_RUN.findall(text):
            pairs += [run[i:i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]
        if not pairs:  # no Korean: English text is served by the terms alone
            return []
        return pairs + _LATIN_WORD.findall(text.lower())

    def _latin(self, text: str) -> list[str]:
        words = [w for w in _LATIN_WORD.findall(text.lower()) if w not in STOPWORDS]
        return self._stemmer.stemWords(words)


class _Bm25:
    """One BM25 model over the chunks, in the index's chunk order."""

    def __init__(self, bm25: bm25s.BM25 | None) -> None:
        self.bm25 = bm25

    @classmethod
    def over(cls, corpus: list[list[str]]) -> "_Bm25":
        if not any(corpus):
            return cls(None)
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        return cls(bm25)

    def top(self, terms: list[str], k: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        known = [t for t in terms if self.bm25 is not None and t in self.bm25.vocab_dict]
        if not known:
            return []
        results, scores = self.bm25.retrieve([known], k=k, show_progress=False, weight_mask=mask)
        return [(int(i), float(s)) for i, s in zip(results[0], scores[0]) if s > 0]


class LexicalIndex:
    """BM25 over every chunk's terms and over its Hangul bigrams, saved beside the collection (``STORE/bm25``)."""

    # 1: terms only; 2: terms and bigrams; 3: bigrams with Korean text's Latin words and numbers;
    # 4: each chunk's groups. A store with another format is rebuilt by ingest.
    FORMAT = 4
    FIELDS = ("terms", "bigrams")

    def __init__(self, folder: Path, ids: list[str], fields: dict[str, _Bm25],
                 readers: dict[str, list[int]]) -> None:
        self.folder = folder
        self._ids = ids
        self._fields = fields
        self._readers = readers  # group -> positions of the chunks it may read
        self._masks: dict[frozenset[str], np.ndarray] = {}  # per set of groups: 1 where one may read

    @classmethod
    def build(cls, collection, folder: Path) -> "LexicalIndex":
        ids: list[str] = []
        corpora: dict[str, list[list[str]]] = {field: [] for field in cls.FIELDS}
        readers: dict[str, list[int]] = {}
        for position, (chunk_id, metadata, text) in enumerate(chroma.iter_records(collection)):
            ids.append(chunk_id)
            corpora["terms"].append(json.loads(str(metadata.get("lexical", "[]"))))
            corpora["bigrams"].append(Analyzer.bigrams(indexed_text(str(metadata.get("heading", "")), text)))
            for group in groups_of(metadata):
                readers.setdefault(group, []).append(position)
        index = cls(folder, ids, {field: _Bm25.over(corpus) for field, corpus in corpora.items()}, readers)
        index._save()
        return index

    @classmethod
    def is_current(cls, folder: Path) -> bool:
        """Present, in this code's format, and not left withholding chunks by a cut-off run."""
        saved = cls._saved(folder)
        return saved is not None and saved.get("complete", True)

    @classmethod
    def _saved(cls, folder: Path) -> dict | None:
        try:
            saved = json.loads((folder / "index.json").read_text())
        except (OSError, ValueError):
            return None
        return saved if saved.get("format") == cls.FORMAT else None

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        """The saved index; an empty one when there is none in this format yet (ingest builds it)."""
        saved = cls._saved(folder)
        if saved is None:
            return cls(folder, [], {field: _Bm25(None) for field in cls.FIELDS}, {})
        fields = {
            field: _Bm25(bm25s.BM25.load(str(folder / field), show_progress=False) if (folder / field).exists()
                         else None)
            for field in cls.FIELDS
        }
        return cls(folder, saved["ids"], fields, saved["readers"])

    def search(self, terms: list[str], k: int, allowed: set[str] | None = None,
               field: str = "terms", reader: Reader = UNRESTRICTED) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) for the k best chunks with any of ``terms`` in the field that
        the reader may read, among the ``allowed`` chunk ids when given (a search filter)."""
        if not terms or allowed is not None and not allowed:
            return []
        mask = None if reader.sees_all else self._readable(reader)
        if allowed is not None:
            chosen = np.zeros(len(self._ids), dtype=np.float32)
            chosen[[self._positions[i] for i in allowed if i in self._positions]] = 1.0
            mask = chosen if mask is None else mask * chosen  # a new array: the cached mask stays as it is
        return [(self._ids[i], score) for i, score in self._fields[field].top(terms, min(k, len(self._ids)), mask)]

    def readable_ids(self, reader: Reader) -> list[str]:
        """The chunks one of the reader's groups may read: the dense side's candidates."""
        return [self._ids[i] for i in np.flatnonzero(self._readable(reader))]

    def withholding(self, chunk_ids: set[str]) -> None:
        """Save this index with these chunks readable by no group (admins still see them), marked
        incomplete until the next build: the first step of changing who may read them."""
        positions = {self._positions[i] for i in chunk_ids if i in self._positions}
        self._readers = {group: [p for p in kept if p not in positions] for group, kept in self._readers.items()}
        self._masks.clear()
        self._save(complete=False)

    def _readable(self, reader: Reader) -> np.ndarray:
        """1 where one of the reader's groups may read the chunk, else 0."""
        if reader.groups not in self._masks:
            mask = np.zeros(len(self._ids), dtype=np.float32)
            for group in reader.groups:
                mask[self._readers.get(group, [])] = 1.0
            self._masks[reader.groups] = mask
        return self._masks[reader.groups]

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {chunk_id: position for position, chunk_id in enumerate(self._ids)}

    def _save(self, complete: bool = True) -> None:
        """Written beside the old index, then swapped in: a reader never sees half an index."""
        staging = self.folder.with_name(self.folder.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for field, model in self._fields.items():
            if model.bm25 is not None:
                model.bm25.save(str(staging / field), show_progress=False)
        (staging / "index.json").write_text(
            json.dumps({"format": self.FORMAT, "complete": complete, "ids": self._ids, "readers": self._readers},
                       ensure_ascii=False)
        )
        swap_in(staging, self.folder)


def as_metadata(terms: list[str]) -> str:
    return json.dumps(terms, ensure_ascii=False)

