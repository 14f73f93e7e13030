"""Persistence: the Chroma collection of chunks, the ingest manifest, the embedder; users, API keys, sessions,
saved chats, answers and feedback, audit log.

`ingest` writes through `writer`; `chatbot` reads through `Store`.
"""

import settings as _settings  # noqa: F401  (offline mode before any model library loads)

from .access import UNRESTRICTED, Reader, acl_metadata, valid_group
from .audit import AuditEntry, AuditLog
from .backup import backup, restore
from .conversations import Conversation, Conversations, Turn
from .embedding import EmbedBackend, Embedder, model_fingerprint, open_embedder
from .openvino_embedding import EmbeddingBackendError
from .feedback import AnswerRecord, FeedbackStore, Rated, Rating
from .filters import SearchFilter
from .keys import ApiKey, ApiKeys
from .lexical import HANGUL_RUN, STOPWORDS, Analyzer, LexicalIndex, Morpheme, as_metadata, indexed_text
from .manifest import FileRecord
from .sessions import Sessions
from .tuning import Adapters, AdapterState, FewShotFile, write_json
from .store import (
    Reconciliation,
    Store,
    StoreError,
    lexical_index_outdated,
    now_iso,
    stored_chunk_count,
    writer,
    writer_lock,
)
from .users import User, UsersError, UsersFile

__all__ = [
    "UNRESTRICTED",
    "AuditEntry",
    "AnswerRecord",
    "ApiKey",
    "ApiKeys",
    "AuditLog",
    "Conversation",
    "FeedbackStore",
    "Rated",
    "Rating",
    "Conversations",
    "Turn",
    "Reader",
    "Sessions",
    "Adapters",
    "AdapterState",
    "FewShotFile",
    "write_json",
    "User",
    "UsersError",
    "UsersFile",
    "acl_metadata",
    "backup",
    "restore",
    "valid_group",
    "HANGUL_RUN",
    "Analyzer",
    "Morpheme",
    "STOPWORDS",
    "EmbedBackend",
    "Embedder",
    "EmbeddingBackendError",
    "LexicalIndex",
    "as_metadata",
    "indexed_text",
    "lexical_index_outdated",
    "FileRecord",
    "Reconciliation",
    "SearchFilter",
    "Store",
    "StoreError",
    "model_fingerprint",
    "open_embedder",
    "now_iso",
    "stored_chunk_count",
    "writer",
    "writer_lock",
]
