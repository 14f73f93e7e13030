"""The answer engine: retrieval, prompting, generation, and the CLI (python -m chatbot).

    engine = ChatEngine(get_settings())
    for event in engine.stream("How many days of leave do I get?"):
        ...
"""

import settings as _settings  # noqa: F401  (offline mode before any model library loads)
# The storage types the server needs for who is asking (ui talks to chatbot only).
from storage import (
    UNRESTRICTED, ApiKey, ApiKeys, AuditLog, Conversation, Conversations, FeedbackStore, Reader, SearchFilter,
    Sessions, Turn, UsersError, UsersFile,
)

from .admin import Admin, Gap, IndexRow, IngestStatus
from .engine import Answer, ChatEngine, DoneEvent, Event, FeedbackRefused, QueueEvent, SourcesEvent, TokenEvent
from .evidence import Evidence
from .language import detect_language
from .llm import LLMUnavailable
from .reading import ContextChunk, SourceContext
from .retrieve import Passage

__all__ = [
    "UNRESTRICTED",
    "Admin",
    "Answer",
    "Gap",
    "IndexRow",
    "IngestStatus",
    "ApiKey",
    "ApiKeys",
    "AuditLog",
    "ContextChunk",
    "Conversation",
    "Conversations",
    "SourceContext",
    "Turn",
    "Reader",
    "Sessions",
    "UsersError",
    "UsersFile",
    "ChatEngine",
    "DoneEvent",
    "Event",
    "Evidence",
    "FeedbackRefused",
    "FeedbackStore",
    "LLMUnavailable",
    "Passage",
    "QueueEvent",
    "SearchFilter",
    "SourcesEvent",
    "TokenEvent",
    "detect_language",
]
