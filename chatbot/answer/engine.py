"""The answer engine: question -> standalone question -> passages -> prompt -> streamed, cited answer."""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterator, Literal

from settings import Settings
from storage import (
    UNRESTRICTED,
    Adapters,
    Analyzer,
    AnswerRecord,
    AuditEntry,
    AuditLog,
    Embedder,
    FeedbackStore,
    FewShotFile,
    Rating,
    Reader,
    SearchFilter,
    StateUnavailable,
    Store,
    open_embedder,
)

from ..language import EVIDENCE_LEAD, NOT_FOUND, SPAN_LEAD, UNSUPPORTED, Language, detect_language
from ..model.llm import LocalLLM, TokenCounter
from ..model.reader import ReaderUnavailable, SpanReader
from ..model.remote_llm import RemoteLLM
from ..search import sentence_rerank
from ..search.fusion import Weights, fusion_weights, probe_languages
from ..search.passage import Passage
from ..search.rerank import Reranker
from ..search.retrieve import Retriever
from ..search.sentences import SentenceMatcher, SentencePool, split_sentences
from .condense import standalone_question
from .evidence import Evidence, copies_evidence, find_evidence, support
from .guard import EchoGuard
from .prompt import Prompt, build_prompt
from .reader_span import ReaderAnswer, read_answer
from .reading import SourceContext, original_file, read_context
from .span import TYPED, Span, asked_for, question_names, says
from .statement import Statement, first_span, reader_statement, reply_statement, span_statement

log = logging.getLogger(__name__)

_CITATION = re.compile(r"\[(\d+)\]")

# How the answer shown was made: no relevant passage; the model's reply; the evidence with the words
# that answer marked; the evidence as it stands; the evidence after "the documents do not say".
AnswerPath = Literal["not_found", "reply", "span", "evidence", "unsupported"]

QUEUE_POLL_SECONDS = 0.5  # how often a waiting question looks at its place in the line

# Share of the question's terms the evidence must hold for the answer to lead with it.
MIN_EVIDENCE_COVERAGE = 0.5

CONTEXT_RADIUS = 3  # chunks shown either side of a cited one when its source is read in context


@dataclass
class Answer:
    question: str
    standalone: str
    language: Language
    answer: str = ""  # what the user is shown
    found: bool = False
    sources: list[Passage] = field(default_factory=list)  # exactly the passages the model was given
    reply: str = ""  # the model's own words; the answer only when the passages support them
    supported: bool = False
    evidence: list[Evidence] = field(default_factory=list)
    span: Span | None = None  # the words of an evidence sentence that answer, when the answer leads with them
    # What the page states (the reply, or the span) and how sure of it; kept when withheld for its confidence.
    statement: Statement | None = None
    path: AnswerPath = "not_found"
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int | None = None  # fewer than prompt_tokens: the rest came from the KV cache
    completion_tokens: int = 0
    hit_token_limit: bool = False
    ttft_s: float | None = None  # the model's first token (or the answer's, when no model ran)
    # The first words the page shows: only words that stay (the model's reply is held until it passed the gate).
    first_words_s: float | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)  # what feedback on this answer names
    prompt: list[dict] = field(default_factory=list)  # the chat messages the model was given
    # In the audit log and kept for feedback; False when the database went away while it was written (the
    # answer is still given, and says so).
    saved: bool = True

    @property
    def cached_tokens(self) -> int | None:
        """Prompt tokens the model did not evaluate again (its KV cache held them); None when not told."""
        if self.prompt_tokens_evaluated is None:
            return None
        return max(0, self.prompt_tokens - self.prompt_tokens_evaluated)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "answer": self.answer,
            "found": self.found,
            "supported": self.supported,
            "reply": self.reply,
            "evidence": [e.to_json() for e in self.evidence],
            "span": self.span.text if self.span else None,
            "path": self.path,
            "confidence": None if self.statement is None else round(self.statement.confidence, 3),
            "sources": [p.to_json() for p in self.sources],
            "usage": {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                      "cached_tokens": self.cached_tokens},
            "ttft_s": None if self.ttft_s is None else round(self.ttft_s, 3),
            "first_words_s": None if self.first_words_s is None else round(self.first_words_s, 3),
            "saved": self.saved,
        }


class FeedbackRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SourcesEvent:
    """First event of every answer: what it will be based on."""

    sources: list[Passage]
    found: bool


@dataclass(frozen=True)
class QueueEvent:
    """The model answers others first: how many are before this question (sent each time it changes)."""

    ahead: int


@dataclass(frozen=True)
class TokenEvent:
    text: str


@dataclass(frozen=True)
class DoneEvent:
    answer: Answer


Event = SourcesEvent | QueueEvent | TokenEvent | DoneEvent


@dataclass(frozen=True)
class _Prepared:
    prompt: Prompt
    sentences: SentencePool  # every retrieved passage's sentences, for the evidence
    question_scores: list[float]  # theirs against the question
    citations: dict[int, int]  # retrieved passage index -> its number among the prompt's sources


class ChatEngine:
    """One per process: the embedder and the LLM are loaded once and shared by every user.

    Every search runs for a reader (storage.Reader: a user's groups) and
    sees only what they may read; the default, UNRESTRICTED, is for trusted
    local callers (the CLI without --user, the eval). With an audit log,
    every answer is recorded in it.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None, llm: LocalLLM | RemoteLLM | None = None,
                 audit: AuditLog | None = None, feedback: FeedbackStore | None = None) -> None:
        self.settings = settings
        self.audit = audit
        # Answers kept for feedback; not when the audit log keeps no words (RAG_AUDIT_TEXT=hash).
        self.feedback = feedback if settings.audit_text == "plain" else None
        self.store = Store(settings)
        self.embedder = embedder or open_embedder(settings)
        self.analyzer = Analyzer()
        reads = probe_languages(self.embedder)
        self.retriever = Retriever(
            self.store, self.embedder, fusion_weights(reads, settings.fusion_weights), settings.fusion,
            Reranker(settings.reranker_model) if settings.reranker_model else None, self.analyzer,
        )
        self.matcher = SentenceMatcher(self.analyzer, self.embedder, reads)
        # Re-ranking runs on every search: terms only, as embedding ten chunks' sentences
        # costs about half a second on the CPU for about one question in a hundred (measured).
        self._rerank_matcher = SentenceMatcher(self.analyzer, None, reads)
        self._llm = llm
        self._token_counter: TokenCounter | None = None

    @cached_property
    def reader(self) -> SpanReader | None:
        """The reader, loaded on first use; None when switched off (RAG_READER=false) or when its files are
        missing or altered (logged: the answers go on without it, and the doctor names the fault)."""
        if not self.settings.reader:
            return None
        try:
            return SpanReader(self.settings.reader_dir, self.settings.embed_model_path)
        except ReaderUnavailable as error:
            log.error("answering without the reader: %s", error)
            return None

    @property
    def llm(self) -> LocalLLM | RemoteLLM:
        """Loaded on first use: search-only callers (CLI search, retrieval eval) never pay for it."""
        if self._llm is None:
            self._llm = open_llm(self.settings)
        return self._llm

    def warm_up(self) -> None:
        """Load everything a first question needs (the LLM, the embedder's first batch, Kiwi, the keyword
        index), so that the first user does not wait for it. No answer is written to the audit log."""
        for question in ("How many days of leave?", "휴가는 며칠인가요?"):
            prompt = self.prompt_for(question, detect_language(question))  # search, sentence scores, token counts
            if prompt is not None and self.reader is not None:
                read_answer(self.reader, question, prompt)  # the reader's weights and tokenizer
        "".join(self.llm.generate([{"role": "user", "content": "OK"}], max_tokens=1))

    @property
    def model_name(self) -> str:
        return self.llm.name

    def document_count(self, reader: Reader = UNRESTRICTED) -> int:
        """Documents the reader may read: no one learns that others exist."""
        return len(self.store.files_readable(reader))

    def chunk_count(self, reader: Reader = UNRESTRICTED) -> int:
        return sum(len(record.chunk_ids) for record in self.store.files_readable(reader))

    def index_version(self) -> str | None:
        """The keyword index this engine serves: the newest an ingest finished (loaded first if need be)."""
        self.retriever.refresh()
        return self.retriever.index_version

    def context(self, source: str, chunk: int, version: str = "", reader: Reader = UNRESTRICTED,
                radius: int = CONTEXT_RADIUS) -> SourceContext | None:
        """A cited chunk among its neighbours in the file, for reading the source; None for a file the
        reader may not read, or one not indexed."""
        return read_context(self.store, reader, source, chunk, version, radius)

    def original(self, source: str, reader: Reader = UNRESTRICTED) -> Path | None:
        """The indexed file itself (for download), when the reader may read it."""
        return original_file(self.store, self.settings.docs_dir, reader, source)

    def search(
        self, query: str, k: int | None = None, search_filter: SearchFilter | None = None,
        weights: Weights | None = None, reader: Reader = UNRESTRICTED,
    ) -> list[Passage]:
        """The k best passages: fused chunks, re-ordered by their best sentence, joined with their neighbours
        (each step as configured, per question language for the re-ordering).

        A configured cross-encoder replaces the sentence re-ordering (it reads
        question and passage together: a better judge). ``weights`` overrides
        the fusion weights (the eval's single rankers).
        """
        k = k or self.settings.top_k
        language = detect_language(query)
        ranked = self.retriever.search(query, max(k, sentence_rerank.DEPTH), language, search_filter, weights, reader)
        weight = self.settings.sentence_rerank.get(language, 0.0)
        if weight and not self.retriever.has_reranker:
            scored, _ = self._rerank_matcher.score_passages(ranked, query, language)
            ranked = sentence_rerank.by_best_sentence(scored, weight)
        return self.retriever.widen(ranked, self.settings.neighbours, k, self.settings.join_adjacent)

    def is_relevant(self, passage: Passage, language: Language) -> bool:
        """Enough of the question's terms, or (where configured for the language) a close enough vector."""
        dense_threshold = self.settings.min_dense.get(language, float("inf"))
        return passage.coverage >= self.settings.min_coverage or passage.dense >= dense_threshold

    def prompt_for(
        self, question: str, language: Language, search_filter: SearchFilter | None = None,
        reader: Reader = UNRESTRICTED,
    ) -> Prompt | None:
        """The prompt the model gets for a standalone question; None when no passage is relevant."""
        prepared = self._prepare(question, language, search_filter, reader)
        return prepared.prompt if prepared else None

    def _prepare(self, question: str, language: Language, search_filter: SearchFilter | None,
                 reader: Reader) -> _Prepared | None:
        """The prompt and the passages' sentences; None when no passage is relevant.

        One relevant passage makes the question answerable; then the top-k go
        in rank order, as the ranking (measured) beats the relevance test at
        telling which passage holds the answer. Each is cut to a window around
        its sentence that best matches the question, and those whose best
        sentence is weak beside the others' are left out.
        """
        passages = self.search(question, search_filter=search_filter, reader=reader)
        if not any(self.is_relevant(p, language) for p in passages):
            return None
        scored, sentences = self.matcher.score_passages(passages, question, language)
        prompt = build_prompt(
            question, scored, self.settings.context_tokens, self.count_tokens,
            window=self.settings.context_window.get(language, 1), min_share=self.settings.min_sentence_share,
            question_first=language in self.settings.question_first,
            system_prompt=self.settings.system_prompt, few_shot=self._few_shot(language),
        )
        position = {p.id: i for i, p in enumerate(passages)}
        citations = {position[p.id]: n for n, p in enumerate(prompt.passages, start=1)}
        return _Prepared(prompt, sentences, [score for p in scored for score in p.scores], citations)

    def _few_shot(self, language: Language) -> list[dict[str, str]]:
        """The configured examples (and those picked from feedback, when switched on) for this language."""
        examples = list(self.settings.few_shot)
        if self.settings.few_shot_from_feedback:
            examples += self._picked_examples
        return [e for e in examples if e.get("language", language) == language]

    @cached_property
    def _picked_examples(self) -> list[dict[str, str]]:
        return FewShotFile(self.settings.adapt_dir).read()

    def count_tokens(self, text: str) -> int:
        """In the LLM's own tokens; without loading its weights when it has not been needed yet."""
        if self._llm is not None or self.settings.llm_url:  # a server's model costs nothing to open
            return self.llm.count_tokens(text)
        if self._token_counter is None:
            self._token_counter = TokenCounter(self.settings.llm_model_path)
        return self._token_counter.count_tokens(text)

    def ask(
        self, question: str, previous_questions: list[str] | None = None, search_filter: SearchFilter | None = None,
        reader: Reader = UNRESTRICTED, answer_id: str | None = None,
    ) -> Answer:
        for event in self.stream(question, previous_questions, search_filter, reader, answer_id):
            if isinstance(event, DoneEvent):
                return event.answer
        raise RuntimeError("answer stream ended without an answer")

    def stream(
        self, question: str, previous_questions: list[str] | None = None, search_filter: SearchFilter | None = None,
        reader: Reader = UNRESTRICTED, answer_id: str | None = None,
    ) -> Iterator[Event]:
        """The answer's events: its sources, its place in the line while the model serves others, then the
        answer's words — only words that stay: the reader's, at once, or once the model's reply is whole and
        judged, the answer made of it (never a reply the gate then takes back) — and the answer itself.
        ``answer_id`` names it (by default a new random id)."""
        started = time.monotonic()
        answer = Answer(
            question=question,
            standalone=standalone_question(question, previous_questions or []),
            language=detect_language(question),
            **({"id": answer_id} if answer_id else {}),
        )
        prepared = self._prepare(answer.standalone, answer.language, search_filter, reader)
        if prepared is None:
            # Nothing relevant: say so without running the model on unrelated text.
            answer.answer = NOT_FOUND[answer.language]
            answer.ttft_s = answer.first_words_s = time.monotonic() - started
            yield SourcesEvent([], found=False)
            yield TokenEvent(answer.answer)
            yield self._done(reader, answer)
            return
        prompt = prepared.prompt
        answer.found, answer.sources, answer.prompt = True, prompt.passages, prompt.messages
        yield SourcesEvent(prompt.passages, found=True)
        # The reader reads the languages it has a gate for (the settings' per-language thresholds).
        gate = self.settings.min_reader_confidence.get(answer.language)
        read = read_answer(self.reader, answer.standalone, prompt) \
            if self.reader is not None and gate is not None else None
        if read is not None and read.confidence >= gate:
            # The reader found the words and is sure of them: they and their sentence are the answer, at once;
            # the model is not run (it would only say them less reliably, seconds later).
            self._state_read(answer, read, prepared)
            answer.ttft_s = answer.first_words_s = time.monotonic() - started
            yield TokenEvent(answer.answer)
            yield self._done(reader, answer)
            return

        max_tokens = self.settings.max_answer_tokens.get(answer.language, max(self.settings.max_answer_tokens.values()))
        generation = self.llm.generate(prompt.messages, max_tokens, self.settings.stop)
        guard = EchoGuard(prompt.instructions, f"{answer.standalone}\n{prompt.context}")
        text, echoed = "", False
        try:
            yield from _place_in_line(generation)
            for piece in generation:
                if answer.ttft_s is None:
                    answer.ttft_s = time.monotonic() - started
                if guard.repeats(text + piece):
                    log.warning("reply withheld: it repeated the model's instructions")
                    echoed = True
                    break
                text += piece  # held back: only the answer that stays is shown (below)
                if len(split_sentences(text)) > self.settings.max_answer_sentences:
                    break  # stop rule: the reply has said its sentences and runs on
        finally:
            generation.cancel()  # the caller stopped listening, or the stop rule: free the model
        answer.reply = "" if echoed else _first_sentences(text, self.settings.max_answer_sentences)
        answer.prompt_tokens = generation.prompt_tokens
        answer.prompt_tokens_evaluated = generation.prompt_tokens_evaluated
        answer.completion_tokens = generation.completion_tokens
        answer.hit_token_limit = generation.finish_reason == "length"
        answer.supported = not echoed and (support(answer.reply, answer.standalone, prompt.context, self.analyzer)
                                           >= self.settings.min_support)
        answer.evidence = find_evidence(prepared.sentences, prepared.question_scores, prepared.citations,
                                        prompt.passages)
        # What the page shows is decided here, once the reply is whole: the reply only when it passed the gate.
        names_held = self._names_held(answer.standalone, prompt.passages, answer.language)
        if read is not None:
            self._judge_with_reader(answer, read, prepared, names_held)
        else:
            trusted = answer.supported and names_held
            if trusted and not copies_evidence(answer.reply, answer.evidence):
                answer.path, answer.answer = "reply", _with_citation(answer.reply, prompt.passages, answer.evidence)
            else:
                # A trusted reply that only repeats the passages' words (a tuned model quotes the sentence it
                # found) points to the answer: shown as the evidence with those words marked, it loses nothing
                # the other evidence holds when the model quoted the wrong sentence.
                self._lead_with_evidence(answer, names_held, pointed=trusted)
            self._state_only_when_sure(answer)
        answer.first_words_s = time.monotonic() - started
        yield TokenEvent(answer.answer)
        yield self._done(reader, answer)

    def _state_read(self, answer: Answer, read: ReaderAnswer, prepared: _Prepared, agreed: bool = False) -> None:
        """The reader's words stated, marked in their sentence, beside the question's best other evidence."""
        others = find_evidence(prepared.sentences, prepared.question_scores, prepared.citations, answer.sources)
        others = [e for e in others if e.sentence != read.evidence.sentence
                  and self._bears_on(answer.standalone, e.sentence, answer.language)]
        answer.evidence = [read.evidence, *others][:2]
        answer.span, answer.path = read.span, "span"
        answer.statement = reader_statement(read, agreed)
        lead = SPAN_LEAD[answer.language].format(span=read.span.text)
        answer.answer = f"{lead}\n\n{_quotes(answer.evidence, read.span)}"

    def _judge_with_reader(self, answer: Answer, read: ReaderAnswer, prepared: _Prepared, names_held: bool) -> None:
        """The reader was not sure enough to answer alone. Its words are stated when the model's supported
        reply names them too (two readers agreeing) and the reader's probability clears the floor; else the
        evidence is shown unmarked — after "the documents do not clearly say" when the reader found no likely
        answer, the question's names are not in the passages, or the evidence lacks its terms."""
        language = answer.language
        floor = self.settings.reader_answer_floor.get(language, 0.0)
        if answer.supported and read.confidence >= floor and says(answer.reply, read.span.text):
            self._state_read(answer, read, prepared, agreed=True)
            return
        evidence = answer.evidence
        if read.confidence < floor or not names_held or not self._answers(answer.standalone, evidence, read.span,
                                                                          language):
            answer.path, answer.answer = "unsupported", f"{UNSUPPORTED[language]} {_quotes(evidence)}"
        else:
            answer.path, answer.answer = "evidence", f"{EVIDENCE_LEAD[language]} {_quotes(evidence)}"
        answer.statement = reader_statement(read)  # withheld: kept for the eval's records

    def _lead_with_evidence(self, answer: Answer, names_held: bool, pointed: bool = False) -> None:
        """The answer from the evidence: with the words that answer marked, when they can be told apart;
        as it stands otherwise; after "the documents do not clearly answer" when it does not answer (unless
        a supported reply ``pointed`` to it)."""
        evidence, language = answer.evidence, answer.language
        span = first_span(answer.standalone, evidence, language, self.analyzer, answer.reply)
        if not pointed and (not names_held or not self._answers(answer.standalone, evidence, span, language)):
            answer.path, answer.answer = "unsupported", f"{UNSUPPORTED[language]} {_quotes(evidence)}"
        elif span is None:
            answer.path, answer.answer = "evidence", f"{EVIDENCE_LEAD[language]} {_quotes(evidence)}"
        else:
            lead = SPAN_LEAD[language].format(span=span.text)
            answer.span, answer.path, answer.answer = span, "span", f"{lead}\n\n{_quotes(evidence, span)}"

    def _state_only_when_sure(self, answer: Answer) -> None:
        """The reply or the marked words stay the answer only when their confidence reaches the setting's;
        below it the evidence stands alone, unmarked."""
        question, language = answer.standalone, answer.language
        if answer.path == "reply":
            answer.statement = reply_statement(question, answer.reply, answer.evidence, language, self.analyzer)
        elif answer.path == "span" and answer.span is not None:
            answer.statement = span_statement(question, answer.span, answer.evidence, language, self.analyzer)
        if answer.statement is None or answer.statement.confidence >= self.settings.min_statement_confidence.get(
                language, 0.0):
            return
        lead = EVIDENCE_LEAD if answer.evidence else UNSUPPORTED
        answer.span, answer.path = None, "evidence" if answer.evidence else "unsupported"
        answer.answer = f"{lead[language]} {_quotes(answer.evidence)}"

    def _bears_on(self, question: str, sentence: str, language: Language) -> bool:
        """A sentence worth quoting beside the answer's own: holding one of the question's terms beyond the
        names it is about (not the lost-laptop rule under a password answer). Headings never reach here
        (evidence.find_evidence)."""
        names = {t for name in question_names(question, language, self.analyzer) for t in self.analyzer.terms(name)}
        return bool((set(self.analyzer.terms(question)) - names) & set(self.analyzer.terms(sentence)))

    def _names_held(self, question: str, passages: list[Passage], language: Language) -> bool:
        """Every name the question is about (a place, a person, an organisation) is in the passages:
        a passage about Kenya's roads does not answer a question about Tokyo's."""
        text = " ".join(p.text for p in passages)
        missing = [name for name in question_names(question, language, self.analyzer) if name not in text]
        if not missing:  # the usual case: no analysis of the passages needed
            return True
        terms = set(self.analyzer.terms(text))  # "Harvard's" is held by "Harvard"
        return all(set(self.analyzer.terms(name)) <= terms for name in missing)

    def _answers(self, question: str, evidence: list[Evidence], span: Span | None, language: Language) -> bool:
        """The evidence answers unless it lacks the question's terms or holds nothing of the kind asked
        for (no number for "how many", no date for "when")."""
        # The terms that say what is asked, not whom or where about: a heading that names the company
        # does not answer a question on its dress code.
        names = {t for name in question_names(question, language, self.analyzer) for t in self.analyzer.terms(name)}
        key_terms = set(self.analyzer.terms(question)) - names
        held = key_terms & set(self.analyzer.terms(" ".join(e.sentence for e in evidence)))
        if not evidence or len(held) < MIN_EVIDENCE_COVERAGE * len(key_terms):
            return False
        return span is not None or asked_for(question, language) not in TYPED

    def _done(self, reader: Reader, answer: Answer) -> DoneEvent:
        """The final event, once the answer is in the audit log; an answer the database could not take
        (it stopped while the model wrote) is still given, marked as not saved."""
        try:
            self._record(reader, answer)
        except StateUnavailable as error:
            log.error("answer %s given but not saved: %s", answer.id, error)
            answer.saved = False
        return DoneEvent(answer)

    def _record(self, reader: Reader, answer: Answer) -> None:
        if self.audit is not None:
            self.audit.record(AuditEntry(
                user=reader.name, question=answer.question, answer=answer.answer, found=answer.found,
                sources=[{"source": p.source, "page": p.page, "slide": p.slide, "sheet": p.sheet}
                         for p in answer.sources],
                path=answer.path, reply=answer.reply,
            ))
        if self.feedback is not None:
            self.feedback.record(AnswerRecord(
                id=answer.id, user=reader.name, language=answer.language, question=answer.question,
                standalone=answer.standalone, prompt=answer.prompt, sources=[p.to_json() for p in answer.sources],
                reply=answer.reply, answer=answer.answer, path=answer.path,
            ))

    def give_feedback(self, answer_id: str, reader: Reader, rating: Rating | None | Literal["keep"] = "keep",
                      comment: str | None = None, correction: str | None = None) -> None:
        """Feedback from the reader who was given the answer (or an administrator, who alone may correct it).
        FeedbackRefused says why not."""
        record = self.feedback.answer(answer_id) if self.feedback is not None else None
        if record is None or not (reader.sees_all or record.user == reader.name):
            raise FeedbackRefused(404, "no such answer of yours (answers are not kept when RAG_AUDIT_TEXT=hash)")
        if correction is not None and not reader.sees_all:
            raise FeedbackRefused(403, "only administrators may correct an answer")
        self.feedback.give(answer_id, rating, comment, correction)


def open_llm(settings: Settings) -> LocalLLM | RemoteLLM:
    """The configured LLM: a server's when RAG_LLM_URL is set, else the GGUF file in this process."""
    if settings.llm_url:
        return RemoteLLM(settings.llm_url, settings.llm_name, settings.llm_api_key, settings.llm_timeout,
                         vocabulary=settings.llm_model)
    return LocalLLM(settings.llm_model_path, settings.llm_context, settings.llm_threads, lora_path(settings),
                    settings.llm_instances)


def lora_path(settings: Settings) -> Path | None:
    """The adapter the local LLM runs with: RAG_LLM_LORA, else the one `make adapt` switched on."""
    return settings.llm_lora or Adapters(settings.adapt_dir).active()


def _place_in_line(generation) -> Iterator[QueueEvent]:
    """While the model serves others first: this question's place in the line, at once and whenever it
    changes."""
    shown = 0
    while True:
        ahead = generation.ahead()
        if ahead != shown:
            shown = ahead
            yield QueueEvent(ahead)
        if generation.begun(QUEUE_POLL_SECONDS):
            return


def _first_sentences(text: str, count: int) -> str:
    sentences = split_sentences(text)
    return text[:sentences[count - 1].end].strip() if len(sentences) > count else text.strip()


def _with_citation(text: str, passages: list[Passage], evidence: list[Evidence]) -> str:
    """The reply with valid [n] markers only, ending with its best evidence's passage when it cites none.

    The model is not shown passage numbers (it invents them).
    """
    cleaned = _CITATION.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(passages) else "", text).strip()
    if not evidence or _CITATION.search(cleaned):
        return cleaned
    return f"{cleaned} [{evidence[0].citation}]"


def _quotes(evidence: list[Evidence], span: Span | None = None) -> str:
    """The evidence sentences quoted with their citations; the span marked in its sentence."""
    quoted = []
    for number, item in enumerate(evidence):
        text = item.sentence
        if span is not None and number == span.sentence:
            text = f"{text[:span.start]}**{span.text}**{text[span.end:]}"
        crumb = f"{item.heading} › " if item.heading and item.heading not in item.sentence else ""
        quoted.append(f"{crumb}“{text}” [{item.citation}]")
    return " ".join(quoted)
