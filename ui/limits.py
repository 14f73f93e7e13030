"""Limits on what one caller may send: events per time window (failed sign-ins, questions per minute) and
the size of a request's body.

The window limits live in the process; with RAG_DATABASE_URL they are
counted on the database server (storage/window_events.py), once for every
front-end behind the proxy (docs/DEPLOY.md).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatbot import SharedWindow
from settings import Settings

from .errors import error_response

# What one request may carry, whatever the route (a question, the chat so far, a batch of texts to embed).
MAX_QUESTION_CHARS = 4000
MAX_HISTORY = 50  # earlier questions or messages sent with one question
MAX_MESSAGE_CHARS = 32_000  # an earlier message (an answer quoting its evidence can be long)
MAX_EMBED_INPUTS = 256
MAX_EMBED_CHARS = 8192


class WindowLimit:
    """At most ``events`` per key within ``window`` seconds (e.g. failures per user name and per address)."""

    def __init__(self, events: int, window: float) -> None:
        self.events = events
        self.window = window
        self._times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, keys: list[str]) -> int:
        """Seconds until every key may have another event; 0 when they may now."""
        with self._lock:
            return self._wait(keys, time.monotonic())

    def record(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._times.setdefault(key, deque()).append(time.monotonic())

    def take(self, key: str) -> int:
        """Record an event for the key if the limit allows it now (0); else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            if wait := self._wait([key], now):
                return wait
            self._times.setdefault(key, deque()).append(now)
            return 0

    def clear(self, key: str) -> None:
        with self._lock:
            self._times.pop(key, None)

    def _wait(self, keys: list[str], now: float) -> int:
        waits = [0.0]
        for key in keys:
            times = self._times.get(key)
            while times and times[0] <= now - self.window:
                times.popleft()
            if times is not None and not times:
                del self._times[key]  # a quiet key takes no memory
            elif times and len(times) >= self.events:
                waits.append(times[0] + self.window - now)
        return int(max(waits) + 0.999)


def window_limit(settings: Settings, name: str, events: int, window: float) -> WindowLimit | SharedWindow:
    """At most ``events`` per key in ``window`` seconds: counted in this process, or on the database server
    that the front-ends share."""
    if settings.database_url:
        return SharedWindow(settings.database_url, name, events, window)
    return WindowLimit(events, window)


class BodyLimit:
    """ASGI middleware: a request body above ``max_bytes`` is refused with 413 before a route reads it —
    at once when its Content-Length says so, else as soon as that many bytes have arrived."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _TooLarge(413, self._message)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, sending)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    @property
    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes // 1024} KB (RAG_MAX_REQUEST_KB)"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await error_response(413, "request_too_large", self._message)(scope, receive, send)


class _TooLarge(HTTPException):
    """An HTTPException, which FastAPI passes on as it is while it reads a body (it turns other errors
    there into 400s): a route reading the body answers 413 too."""
