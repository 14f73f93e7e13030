"""The OpenAI-compatible API at /v1, for tools that speak it (a wiki plug-in, a chat bot, an IDE).

    GET  /v1/models              the one model that answers
    POST /v1/chat/completions    an answer grounded in the documents, exactly as in the chat page
    POST /v1/embeddings          the local embedder's vectors

Clients authenticate with an API key (``Authorization: Bearer rag-...``,
python -m chatbot keys create USER), which acts as its user: answers hold
only what that user's groups may read. The official ``openai`` client works
unchanged with ``base_url="http://HOST:PORT/v1"``.

What differs from OpenAI's own API, on purpose:
- The answer is the chat's: the user's last message is the question, their
  earlier messages make follow-ups standalone, system messages are
  ignored (documents are data, and the instructions are the server's), and
  ``model`` may name any model (there is one).
- A completion carries extra fields: ``sources`` (the passages, as /api/ask
  gives them), ``evidence``, ``found`` and ``path``; a stream carries them
  in its last chunk.
- A stream sends the answer once it is checked against the passages (the
  reply is shown only when every word in it is in the documents, else the
  evidence leads): its text comes in one chunk, not token by token; while
  the model answers other questions first, SSE comments (": queue N")
  keep the connection alive.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from typing import Annotated, Iterator, Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from chatbot import Answer, ChatEngine, DoneEvent, LLMUnavailable, QueueEvent

from .api import Filters, rate_limited
from .errors import ERRORS, error_response
from .limits import MAX_EMBED_CHARS, MAX_EMBED_INPUTS, MAX_HISTORY, MAX_MESSAGE_CHARS, MAX_QUESTION_CHARS

log = logging.getLogger(__name__)

OWNER = "private-rag"
COMPLETION_PREFIX = "chatcmpl-"


class TextPart(BaseModel):
    type: Literal["text"]
    text: str = Field(max_length=MAX_MESSAGE_CHARS)


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = Field(None, description="Text, or a list of text parts.")

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(part.text for part in self.content)
        return self.content or ""


class ChatRequest(BaseModel):
    # Clients send many of OpenAI's options (temperature, top_p, n, user, ...): accepted, not used.
    model_config = ConfigDict(extra="ignore")

    model: str = Field("", max_length=200, description="Any name: one model answers (GET /v1/models).")
    messages: list[Message] = Field(min_length=1, max_length=MAX_HISTORY + 1)
    stream: bool = False
    filters: Filters = Field(default_factory=Filters, description="Extension: which files answers may come from.")


EmbedText = Annotated[str, Field(min_length=1, max_length=MAX_EMBED_CHARS)]


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = Field("", max_length=200)
    input: EmbedText | Annotated[list[EmbedText], Field(min_length=1, max_length=MAX_EMBED_INPUTS)] = Field(
        description="A text, or a list of texts.")
    encoding_format: Literal["float", "base64"] = "float"


class PromptTokensDetails(BaseModel):
    cached_tokens: int  # read from the model's KV cache, not evaluated again


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int = 0
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | None = None


class AssistantMessage(BaseModel):
    role: Literal["assistant"]
    content: str


class Choice(BaseModel):
    index: int
    message: AssistantMessage
    finish_reason: Literal["stop"]


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    sources: list[dict] = Field(description="The passages the answer cites, numbered [1], [2], ... in order.")
    evidence: list[dict] = Field(description="The sentences that support the answer, each with its passage.")
    found: bool = Field(description="False: no passage was relevant, and the answer says so.")
    path: str = Field(description='How the answer was made: "reply", "span", "evidence", "unsupported", '
                                  '"not_found" (as in /api/ask).')


class ModelCard(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelCard]


class Embedding(BaseModel):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str


class EmbeddingList(BaseModel):
    object: Literal["list"]
    data: list[Embedding]
    model: str
    usage: Usage


def router(engine: ChatEngine) -> APIRouter:
    v1 = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], responses=ERRORS)

    @v1.get("/models")
    def models() -> ModelList:
        return ModelList(object="list", data=[ModelCard(id=engine.model_name, object="model", created=0,
                                                        owned_by=OWNER)])

    @v1.post("/chat/completions", dependencies=[Depends(rate_limited)],
             responses={200: {"model": ChatCompletion, "content": {"text/event-stream": {}}}})
    def chat_completions(request: ChatRequest, http: Request):
        question, history = _question(request.messages)
        if isinstance(question, JSONResponse):
            return question
        reader, search_filter = http.state.reader, request.filters.to_filter()
        # The completion's id holds the answer's: POST /api/feedback takes either.
        answer_id, created = uuid.uuid4().hex, int(time.time())
        completion_id = f"{COMPLETION_PREFIX}{answer_id}"
        if request.stream:
            events = _stream(engine, question, history, search_filter, reader, answer_id, created)
            return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        try:
            answer = engine.ask(question, history, search_filter, reader, answer_id)
        except LLMUnavailable as error:
            log.error("%s", error)
            return error_response(503, "model_unavailable", "the language model cannot answer right now; "
                                  "try again shortly")
        return _completion(answer, engine.model_name, completion_id, created)

    @v1.post("/embeddings", dependencies=[Depends(rate_limited)])
    def embeddings(request: EmbeddingRequest) -> EmbeddingList:
        texts = [request.input] if isinstance(request.input, str) else request.input
        vectors = np.asarray(engine.embedder.embed(texts), dtype="<f4")
        tokens = sum(engine.embedder.count_tokens(text) for text in texts)
        data = [Embedding(object="embedding", index=n, embedding=_encoded(vector, request.encoding_format))
                for n, vector in enumerate(vectors)]
        return EmbeddingList(object="list", data=data, model=engine.embedder.model_name,
                             usage=Usage(prompt_tokens=tokens, total_tokens=tokens))

    return v1


def _question(messages: list[Message]) -> tuple[str, list[str]] | tuple[JSONResponse, None]:
    """The user's last message (the question) and their earlier ones; or the 400 saying why not."""
    asked = [m.text.strip() for m in messages if m.role == "user" and m.text.strip()]
    if not asked:
        return error_response(400, "invalid_value", "no user message holds a question", "messages"), None
    if len(asked[-1]) > MAX_QUESTION_CHARS:
        return error_response(400, "invalid_value", f"the question is longer than {MAX_QUESTION_CHARS} characters",
                              "messages"), None
    return asked[-1], asked[:-1]


def _completion(answer: Answer, model: str, completion_id: str, created: int) -> ChatCompletion:
    details = answer.to_json()
    return ChatCompletion(
        id=completion_id, object="chat.completion", created=created, model=model,
        choices=[Choice(index=0, message=AssistantMessage(role="assistant", content=answer.answer),
                        finish_reason="stop")],
        usage=_usage(answer), sources=details["sources"], evidence=details["evidence"], found=answer.found,
        path=answer.path,
    )


def _usage(answer: Answer) -> Usage:
    cached = answer.cached_tokens
    return Usage(prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
                 total_tokens=answer.prompt_tokens + answer.completion_tokens,
                 prompt_tokens_details=None if cached is None else PromptTokensDetails(cached_tokens=cached))


def _stream(engine: ChatEngine, question: str, history: list[str], search_filter, reader, answer_id: str,
            created: int) -> Iterator[str]:
    model = engine.model_name
    chunk = {"id": f"{COMPLETION_PREFIX}{answer_id}", "object": "chat.completion.chunk", "created": created,
             "model": model}
    yield _event({**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                        "finish_reason": None}]})
    try:
        for event in engine.stream(question, history, search_filter, reader, answer_id):
            if isinstance(event, QueueEvent):
                yield f": queue {event.ahead}\n\n"  # a comment: clients skip it, proxies see the line alive
            elif isinstance(event, DoneEvent):
                answer = event.answer
                details = answer.to_json()
                yield _event({**chunk, "choices": [{"index": 0, "delta": {"content": answer.answer},
                                                    "finish_reason": None}]})
                yield _event({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                              "usage": _usage(answer).model_dump(), "sources": details["sources"],
                              "evidence": details["evidence"], "found": answer.found, "path": answer.path})
    except LLMUnavailable as error:  # the stream has begun: the error is its last event, the log has why
        log.error("%s", error)
        yield _event({"error": {"message": "the language model cannot answer right now; try again shortly",
                                "type": "service_unavailable", "param": None, "code": "model_unavailable"}})
    yield "data: [DONE]\n\n"


def _event(item: dict) -> str:
    return f"data: {json.dumps(item, ensure_ascii=False)}\n\n"


def _encoded(vector: np.ndarray, encoding: str) -> list[float] | str:
    """As OpenAI sends them: floats, or base64 of little-endian float32 (what its Python client asks for)."""
    return base64.b64encode(vector.tobytes()).decode() if encoding == "base64" else vector.tolist()
