"""The reader: which words of the passages answer the question, and how sure — or that none do.

A span head (start and end scores per word piece, and "no answer" at the
first token) over the packaged all-MiniLM-L6-v2, fine-tuned on extractive
question answering on this CPU (`make train-reader`, chatbot/adapt/reader_train.py;
its model card beside the weights). At chat time it runs without torch: the
word pieces come from the packaged model's own tokenizer, their vectors from
its word-embedding table (frozen in training, so they are not shipped again),
and the fine-tuned layers from an OpenVINO IR file (float16 weights) run by OpenVINO, as the embedder
is. A question and a passage go in as one pair; a passage longer than the
window is read in overlapping windows (the same ``windows`` training used).

The confidence is the model's own probability of its best span (start
probability × end probability, over every position of the window, "no
answer" included), taken over every window of every passage; ``no_answer``
is the probability it gives "no answer" in the window it found the span in.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_HANGUL = re.compile(r"[가-힣]")
_OPENERS = "$£€₩¥(\"'“‘"  # the marks an answer may begin with, besides a letter or a digit
_CLOSERS = ")%\"'”’"  # and end with

MAX_TOKENS = 320  # the window: question and passage, in word pieces (MiniLM reads at most 512)
STRIDE = 96  # word pieces two windows of one passage share
MAX_ANSWER_TOKENS = 40  # a Hangul syllable is 2–3 word pieces to this English tokenizer
WEIGHTS_FILE = "reader.xml"  # OpenVINO IR; its weights in reader.bin
CARD_FILE = "MODEL_CARD.md"
CONFIG_FILE = "reader.json"


class ReaderUnavailable(RuntimeError):
    """The reader's files are missing, altered or unreadable; the message names the file and what to run."""


@dataclass(frozen=True)
class Window:
    """One question-passage pair as the model reads it."""

    ids: list[int]
    type_ids: list[int]
    offsets: list[tuple[int, int]]  # characters of the passage each word piece covers; (0, 0) outside it
    in_passage: list[bool]  # the word piece is the passage's (not the question's, nor a marker)
    # Where an answer may begin and end: at a word's first piece, and at a word's last piece — or anywhere after
    # Hangul, where particles follow the answer inside its word ("15일의": "15일").
    can_start: list[bool]
    can_end: list[bool]


@dataclass(frozen=True)
class Reading:
    """The reader's best span in one passage of those it was given."""

    passage: int  # index into the passages read
    start: int  # character offsets into that passage's text
    end: int
    text: str
    confidence: float  # the model's probability of this span, 0 to 1
    no_answer: float  # its probability of "no answer" in the same window


def windows(tokenizer, question: str, passage: str, max_tokens: int = MAX_TOKENS,
            stride: int = STRIDE) -> list[Window]:
    """The pair cut into windows of ``max_tokens`` (the question whole in each, the passage overlapping by
    ``stride``); ``tokenizer`` is a `tokenizers.Tokenizer` (the embedder folder's tokenizer.json)."""
    tokenizer.enable_truncation(max_tokens, stride=stride, strategy="only_second")
    tokenizer.no_padding()
    first = tokenizer.encode(question, passage)
    found = []
    for encoding in [first, *first.overflowing]:
        sequences = encoding.sequence_ids
        inside = [s == 1 and (a, b) != (0, 0) for s, (a, b) in zip(sequences, encoding.offsets)]
        offsets = [o if i else (0, 0) for o, i in zip(encoding.offsets, inside)]
        starts = [i and (a == 0 or not passage[a - 1].isalnum()) and (passage[a].isalnum() or passage[a] in _OPENERS)
                  for i, (a, _) in zip(inside, offsets)]
        ends = [i and (passage[b - 1].isalnum() or passage[b - 1] in _CLOSERS)
                and (b == len(passage) or not passage[b].isalnum() or _HANGUL.match(passage[b - 1]) is not None)
                for i, (_, b) in zip(inside, offsets)]
        found.append(Window(list(encoding.ids), list(encoding.type_ids), offsets, inside, starts, ends))
    return found


def best_span(start: np.ndarray, end: np.ndarray, window: Window, max_answer: int = MAX_ANSWER_TOKENS
              ) -> tuple[int, int, float, float] | None:
    """The passage's best (first piece, last piece) by start + end score, with its probability and the
    window's "no answer" probability (position 0); None when the window holds none of the passage."""
    if not any(window.in_passage):
        return None
    p_start, p_end = _softmax(start), _softmax(end)
    s = np.where(window.can_start, start, -np.inf)
    e = np.where(window.can_end, end, -np.inf)
    n = len(s)
    # Every (i, j) with i <= j < i + max_answer: an upper band of the score matrix.
    scores = s[:, None] + e[None, :]
    band = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(np.ones((n, n), dtype=bool), k=max_answer)
    scores = np.where(band, scores, -np.inf)
    i, j = np.unravel_index(int(np.argmax(scores)), scores.shape)
    if not np.isfinite(scores[i, j]):
        return None
    return int(i), int(j), float(p_start[i] * p_end[j]), float(p_start[0] * p_end[0])


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()


def file_sha256(path: Path) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


class SpanReader:
    """The shipped reader, loaded once per process and shared by every thread (one OpenVINO request each
    call)."""

    def __init__(self, folder: Path, embed_folder: Path) -> None:
        from tokenizers import Tokenizer

        self.folder = folder
        self.config = _config(folder)
        weights = folder / WEIGHTS_FILE
        if not weights.is_file():
            raise ReaderUnavailable(f"{weights}: the reader's weights are missing (make train-reader makes them)")
        data = weights.with_suffix(".bin")
        if not data.is_file() or (file_sha256(weights), file_sha256(data)) != (self.config.get("sha256"),
                                                                                self.config.get("sha256_data")):
            raise ReaderUnavailable(f"{weights}: its sha256 is not the one {folder / CONFIG_FILE} names "
                                    "(altered or cut off): restore it from the repository or make train-reader")
        self._embeddings = _word_embeddings(embed_folder)
        self._tokenizer_file = embed_folder / "tokenizer.json"
        self._local = threading.local()  # a fast tokenizer is not to be shared by two threads at once
        Tokenizer.from_file(str(self._tokenizer_file))  # a missing or bad tokenizer fails here, not mid-answer
        sys.modules.setdefault("openvino_telemetry", None)  # never loaded (storage/openvino_embedding.py)
        import openvino

        try:
            self._compiled = openvino.Core().compile_model(str(weights), "CPU")
        except RuntimeError as error:
            raise ReaderUnavailable(f"{weights}: OpenVINO cannot read it ({error})") from error

    @property
    def _tokenizer(self):
        if not hasattr(self._local, "tokenizer"):
            from tokenizers import Tokenizer

            self._local.tokenizer = Tokenizer.from_file(str(self._tokenizer_file))
        return self._local.tokenizer

    def read(self, question: str, passages: list[str]) -> Reading | None:
        """The best span over every passage; None when no passage has text."""
        cut = [(number, w) for number, text in enumerate(passages) if text.strip()
               for w in windows(self._tokenizer, question, text, self.config["max_tokens"], self.config["stride"])]
        if not cut:
            return None
        start, end = self.scores([w for _, w in cut])
        best: Reading | None = None
        for row, (number, window) in enumerate(cut):
            found = best_span(start[row][:len(window.ids)], end[row][:len(window.ids)], window)
            if found is None:
                continue
            i, j, probability, no_answer = found
            if best is None or probability > best.confidence:
                a, b = window.offsets[i][0], window.offsets[j][1]
                best = Reading(number, a, b, passages[number][a:b], probability, no_answer)
        return best

    def scores(self, cut: list[Window]) -> tuple[np.ndarray, np.ndarray]:
        """Start and end scores of every window (padded to the longest)."""
        width = max(len(w.ids) for w in cut)
        ids = np.zeros((len(cut), width), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for row, window in enumerate(cut):
            ids[row, :len(window.ids)] = window.ids
            types[row, :len(window.ids)] = window.type_ids
            mask[row, :len(window.ids)] = 1
        feed = {"inputs_embeds": self._embeddings[ids], "attention_mask": mask, "token_type_ids": types}
        out = self._compiled.create_infer_request().infer(feed)
        start = out[self._compiled.output("start_logits")]
        end = out[self._compiled.output("end_logits")]
        return np.where(mask > 0, start, -1e4), np.where(mask > 0, end, -1e4)


def _config(folder: Path) -> dict:
    path = folder / CONFIG_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ReaderUnavailable(f"{path}: missing (make train-reader makes it)") from error
    except ValueError as error:
        raise ReaderUnavailable(f"{path}: not JSON ({error})") from error


def _word_embeddings(embed_folder: Path) -> np.ndarray:
    """The embedder's word-piece vectors: the reader's first layer, unchanged by its training."""
    from safetensors import safe_open

    path = embed_folder / "model.safetensors"
    try:
        with safe_open(str(path), framework="np") as weights:
            return weights.get_tensor("embeddings.word_embeddings.weight")
    except (OSError, KeyError) as error:
        raise ReaderUnavailable(f"{path}: the word-piece vectors the reader reads are not there ({error})") from error
