"""Every error the server answers with, in one JSON shape — OpenAI's, so its clients read ours:
``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from pydantic import BaseModel

# OpenAI's error types, by HTTP status.
TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
         404: "not_found_error", 409: "conflict_error", 413: "invalid_request_error", 429: "rate_limit_error",
         503: "service_unavailable"}


def error_body(status: int, code: str, message: str, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": TYPES.get(status, "invalid_request_error"), "param": param,
                      "code": code}}


def error_response(status: int, code: str, message: str, param: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, code, message, param), status_code=status, headers=headers)


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


# What any route may answer besides its own success, for the OpenAPI schema.
ERRORS: dict[int | str, dict] = {status: {"model": ErrorResponse, "description": text} for status, text in (
    (400, "Invalid request: the message names the field."), (401, "No valid API key or session."),
    (413, "Request body too large (RAG_MAX_REQUEST_KB)."),
    (429, "Rate limit (RAG_RATE_LIMIT_PER_MINUTE): retry after the Retry-After header's seconds."),
    (503, "The language model cannot answer right now."))}
