"""The HTTP API: the same answer engine as the chat page, for scripts and other tools.

Every route answers as the signed-in user (POST /login first when sign-in is
on): searches, answers and counts hold only what their groups may read.

    GET  /api/health                       model, embedder, user and groups, documents, chunks (those the user
                                           may read), the keyword index's version served
    POST /api/search {"query", "k", "filters"}        passages
    POST /api/feedback {"answer_id", "rating": "up"|"down"|"none", "comment", "correction" (admins)}
    POST /api/ask    {"question", "history", "filters"}
         filters (optional): {"folder", "file_types", "since", "until"} (dates as YYYY-MM-DD)
         -> NDJSON stream: {"type": "sources", "found", "sources"},
            {"type": "queue", "ahead"}... while the model answers others first (each time the
            number of questions before this one changes),
            {"type": "token", "text"}... (only words that stay: the answer's text, once it is decided),
            {"type": "done", "answer", "found", "supported", "reply", "evidence", "span", "path",
             "confidence", "sources", "usage", "ttft_s", "first_words_s", "saved"}; usage: {"prompt_tokens", "completion_tokens",
             "cached_tokens" (prompt tokens the model's KV cache already held; null from a model server)};
             "saved": false when the database went away while the answer was written (it is not in the
             audit log, nor kept for feedback)
         The done event's "answer" is final and equals the streamed tokens: the reader's
         words when it is sure of them (the model is not run then: "usage" is 0), else,
         once the model's reply is whole, the reply when the passages support it, or the
         evidence, with "span" (the evidence's words that answer) marked in it when
         they can be told apart. "first_words_s": seconds to the first streamed words. "path" says how the answer was made:
         "reply", "span", "evidence", "unsupported" (the evidence does not clearly
         answer, and the answer says so) or "not_found". "confidence" (0-1) is how sure
         the product is of the reply or the marked words (with the reader on: its probability of
         them, stated alone from RAG_MIN_READER_CONFIDENCE, with the model's agreement from
         RAG_READER_ANSWER_FLOOR); below RAG_MIN_STATEMENT_CONFIDENCE (reader off)
         neither is stated and the evidence stands unmarked (null: there was nothing to
         state). evidence: [{"source", "page", "location", "heading",
         "sentence", "passage"}], passage being the source's number [n] and heading
         the heading the sentence stands under ("" for none).
         When the language model fails midway (its server is down), the last
         line is {"type": "error", "error"} instead of "done".
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Annotated, Iterator, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from chatbot import (
    ChatEngine, DoneEvent, Event, FeedbackRefused, LLMUnavailable, QueueEvent, Reader, SearchFilter, SourcesEvent,
    TokenEvent,
)

from .errors import ERRORS, ErrorResponse, error_response
from .limits import MAX_HISTORY, MAX_MESSAGE_CHARS, MAX_QUESTION_CHARS


class Filters(BaseModel):
    """Which files answers may come from; see chatbot.SearchFilter."""

    model_config = ConfigDict(extra="forbid")

    folder: str | None = Field(None, description="This folder (relative to the documents folder) and below.")
    file_types: list[str] = Field(default_factory=list, description='Extensions, e.g. ["pdf", "docx"].')
    since: date | None = Field(None, description="Modified on or after.")
    until: date | None = Field(None, description="Modified on or before.")

    def to_filter(self) -> SearchFilter:
        return SearchFilter(self.folder, tuple(self.file_types), self.since, self.until)


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(5, gt=0, le=50)
    filters: Filters = Field(default_factory=Filters)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    history: list[Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]] = Field(
        default_factory=list, max_length=MAX_HISTORY, description="The user's earlier questions, oldest first.")
    filters: Filters = Field(default_factory=Filters)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_id: str = Field(min_length=1, max_length=80, pattern=r"^(chatcmpl-)?[0-9a-f]{32}$",
                           description='The answer\'s "id" (the done event of /api/ask), or a /v1 completion\'s id.')
    rating: Literal["up", "down", "none"] | None = Field(None, description='"none" takes a rating back; '
                                                                           "absent keeps it as it was.")
    comment: str | None = Field(None, max_length=2000)
    correction: str | None = Field(None, max_length=MAX_MESSAGE_CHARS, description="Administrators only.")


class RateLimited(Exception):
    """Too many requests from one user or key: answered 429 with Retry-After (ui/server.py)."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"too many requests: try again in {seconds} s (RAG_RATE_LIMIT_PER_MINUTE)")
        self.seconds = seconds


def rate_limited(http: Request) -> None:
    """A route dependency: counts the request against its caller's limit, refused once over it."""
    if wait := http.app.state.rate_limit.take(http.state.limit_key):
        raise RateLimited(wait)

log = logging.getLogger(__name__)


def router(engine: ChatEngine) -> APIRouter:
    api = APIRouter(prefix="/api", responses=ERRORS)

    @api.get("/health")
    def health(http: Request) -> dict:
        reader = _reader(http)
        return {"status": "ok", "model": engine.model_name, "embedder": engine.embedder.model_name,
                "user": reader.name or None, "groups": sorted(reader.groups),
                "documents": engine.document_count(reader), "chunks": engine.chunk_count(reader),
                "index_version": engine.index_version()}

    @api.post("/search", dependencies=[Depends(rate_limited)])
    def search(request: SearchRequest, http: Request) -> list[dict]:
        passages = engine.search(request.query, request.k, request.filters.to_filter(), reader=_reader(http))
        return [p.to_json() for p in passages]

    @api.post("/feedback", responses={403: {"model": ErrorResponse, "description": "A correction, not an admin."},
                                       404: {"model": ErrorResponse, "description": "No such answer of yours."}})
    def feedback(request: FeedbackRequest, http: Request) -> dict:
        """Thumbs up or down, a comment and (administrators) a corrected answer, on one of your answers."""
        answer_id = request.answer_id.removeprefix("chatcmpl-")
        rating = "keep" if request.rating is None else (None if request.rating == "none" else request.rating)
        try:
            engine.give_feedback(answer_id, _reader(http), rating, request.comment, request.correction)
        except FeedbackRefused as refusal:
            return error_response(refusal.status, "feedback_refused", str(refusal))
        return {"answer_id": answer_id, "saved": True}

    @api.post("/ask", dependencies=[Depends(rate_limited)], response_class=StreamingResponse, responses={
        200: {"description": "NDJSON: one event per line (see the module's docs)",
              "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}})
    def ask(request: AskRequest, http: Request) -> StreamingResponse:
        return StreamingResponse(_ndjson(engine, request, _reader(http)), media_type="application/x-ndjson")

    return api


def _reader(http: Request) -> Reader:
    """Who is asking: set on every request by ui.auth.RequireSignIn (there is no default)."""
    return http.state.reader


def _ndjson(engine: ChatEngine, request: AskRequest, reader: Reader) -> Iterator[str]:
    try:
        for event in engine.stream(request.question, request.history, request.filters.to_filter(), reader):
            yield _line(_item(event))
    except LLMUnavailable as error:  # the stream has begun: the error is its last line, the log has why
        log.error("%s", error)
        yield _line({"type": "error", "error": "the language model cannot answer right now; try again shortly"})


def _item(event: Event) -> dict:
    if isinstance(event, SourcesEvent):
        return {"type": "sources", "found": event.found, "sources": [p.to_json() for p in event.sources]}
    if isinstance(event, QueueEvent):
        return {"type": "queue", "ahead": event.ahead}
    if isinstance(event, TokenEvent):
        return {"type": "token", "text": event.text}
    assert isinstance(event, DoneEvent)
    return {"type": "done", "standalone": event.answer.standalone, **event.answer.to_json()}


def _line(item: dict) -> str:
    return json.dumps(item, ensure_ascii=False) + "\n"
