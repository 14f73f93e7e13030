"""The answer engine: question -> standalone question -> passages -> prompt -> streamed, cited answer."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Iterator

from settings import Settings
from storage import Embedder, SearchFilter, Store

from .condense import standalone_question
from .fusion import fusion_weights
from .language import NOT_FOUND, Language, detect_language
from .llm import LocalLLM, TokenCounter
from .prompt import Prompt, build_prompt
from .rerank import Reranker
from .retrieve import Passage, Retriever

_CITATION = re.compile(r"\[(\d+)\]")
_WORD = re.compile(r"\w+")


@dataclass
class Answer:
    question: str
    standalone: str
    language: Language
    answer: str = ""
    found: bool = False
    sources: list[Passage] = field(default_factory=list)  # exactly the passages the model was given
    prompt_tokens: int = 0
    completion_tokens: int = 0
    hit_token_limit: bool = False
    ttft_s: float | None = None

    def to_json(self) -> dict:
        return {
            "answer": self.answer,
            "found": self.found,
            "sources": [p.to_json() for p in self.sources],
            "usage": {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens},
            "ttft_s": None if self.ttft_s is None else round(self.ttft_s, 3),
        }


@dataclass(frozen=True)
class SourcesEvent:
    """First event of every answer: what it will be based on."""

    sources: list[Passage]
    found: bool


@dataclass(frozen=True)
class TokenEvent:
    text: str


@dataclass(frozen=True)
class DoneEvent:
    answer: Answer


Event = SourcesEvent | TokenEvent | DoneEvent


class ChatEngine:
    """One per process: the embedder and the LLM are loaded once and shared by every user."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, llm: LocalLLM | None = None) -> None:
        self.settings = settings
        self.store = Store(settings)
        self.embedder = embedder or Embedder(settings.embed_model_path, settings.embed_batch_size)
        self.retriever = Retriever(
            self.store, self.embedder, fusion_weights(self.embedder, settings.fusion_weights), settings.fusion,
            Reranker(settings.reranker_model) if settings.reranker_model else None,
        )
        self._llm = llm
        self._token_counter: TokenCounter | None = None

    @property
    def llm(self) -> LocalLLM:
        """Loaded on first use: search-only callers (CLI search, retrieval eval) never pay for it."""
        if self._llm is None:
            self._llm = LocalLLM(self.settings.llm_model_path, self.settings.llm_context, self.settings.llm_threads)
        return self._llm

    @property
    def model_name(self) -> str:
        return self.llm.name

    def document_count(self) -> int:
        return len(self.store.files())

    def search(self, query: str, k: int | None = None, search_filter: SearchFilter | None = None) -> list[Passage]:
        return self.retriever.search(query, k or self.settings.top_k, detect_language(query), search_filter)

    def is_relevant(self, passage: Passage, language: Language) -> bool:
        """Enough of the question's terms, or (where configured for the language) a close enough vector."""
        dense_threshold = self.settings.min_dense.get(language, float("inf"))
        return passage.coverage >= self.settings.min_coverage or passage.dense >= dense_threshold

    def prompt_for(
        self, question: str, language: Language, search_filter: SearchFilter | None = None
    ) -> Prompt | None:
        """The prompt the model gets for a standalone question; None when no passage is relevant.

        One relevant passage makes the question answerable; then the top-k go
        in rank order, as the ranking (measured) beats the relevance test at
        telling which passage holds the answer.
        """
        passages = self.search(question, search_filter=search_filter)
        if not any(self.is_relevant(p, language) for p in passages):
            return None
        return build_prompt(
            question, passages, self.settings.context_tokens, self.count_tokens,
            self.settings.system_prompt, self.settings.few_shot,
        )

    def count_tokens(self, text: str) -> int:
        """In the LLM's own tokens; without loading its weights when it has not been needed yet."""
        if self._llm is not None:
            return self._llm.count_tokens(text)
        if self._token_counter is None:
            self._token_counter = TokenCounter(self.settings.llm_model_path)
        return self._token_counter.count_tokens(text)

    def ask(
        self, question: str, previous_questions: list[str] | None = None, search_filter: SearchFilter | None = None
    ) -> Answer:
        for event in self.stream(question, previous_questions, search_filter):
            if isinstance(event, DoneEvent):
                return event.answer
        raise RuntimeError("answer stream ended without an answer")

    def stream(
        self, question: str, previous_questions: list[str] | None = None, search_filter: SearchFilter | None = None
    ) -> Iterator[Event]:
        started = time.monotonic()
        answer = Answer(
            question=question,
            standalone=standalone_question(question, previous_questions or []),
            language=detect_language(question),
        )
        prompt = self.prompt_for(answer.standalone, answer.language, search_filter)
        if prompt is None:
            # Nothing relevant: say so without running the model on unrelated text.
            answer.answer = NOT_FOUND[answer.language]
            answer.ttft_s = time.monotonic() - started
            yield SourcesEvent([], found=False)
            yield TokenEvent(answer.answer)
            yield DoneEvent(answer)
            return

        answer.found, answer.sources = True, prompt.passages
        yield SourcesEvent(prompt.passages, found=True)

        generation = self.llm.generate(prompt.messages, self.settings.max_answer_tokens, self.settings.stop)
        pieces: list[str] = []
        try:
            for piece in generation:
                if answer.ttft_s is None:
                    answer.ttft_s = time.monotonic() - started
                pieces.append(piece)
                yield TokenEvent(piece)
        finally:
            generation.cancel()  # the caller stopped listening: free the model for the next one
        text = "".join(pieces).strip()
        # The final answer (DoneEvent) is authoritative: invalid markers the
        # stream showed are dropped from it, and its citation is appended here.
        answer.answer = _with_citation(text, prompt.passages)
        if answer.answer.startswith(text) and answer.answer != text:
            yield TokenEvent(answer.answer[len(text):])
        answer.prompt_tokens = generation.prompt_tokens
        answer.completion_tokens = generation.completion_tokens
        answer.hit_token_limit = generation.finish_reason == "length"
        yield DoneEvent(answer)


def _with_citation(text: str, passages: list[Passage]) -> str:
    """The reply with valid [n] markers only, ending with the passage it overlaps most.

    The model is not shown passage numbers (it invents them); the marker is
    the passage sharing most words with the reply.
    """
    cleaned = _CITATION.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(passages) else "", text).strip()
    if not passages or _CITATION.search(cleaned):
        return cleaned
    words = set(_WORD.findall(cleaned.lower()))
    overlaps = [len(words & set(_WORD.findall(p.text.lower()))) for p in passages]
    return f"{cleaned} [{overlaps.index(max(overlaps)) + 1}]"
