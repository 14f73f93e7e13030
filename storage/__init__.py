"""Persistence: the Chroma collection of chunks, the ingest manifest, the embedder; users (local, and the
company directory's with their groups as last seen), API keys, sessions, saved chats, answers and feedback,
audit log.

`ingest` writes through `writer`; `chatbot` reads through `Store`.

Each name is imported from its module when first asked for (PEP 562): a
process that needs the manifest and not the embedder or Chroma (an ingest
run with nothing to do, the CLI) never loads llama-index, chromadb or torch.
"""

import importlib
from typing import Any

import settings as _settings  # noqa: F401  (offline mode before any model library loads)

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["UNRESTRICTED", "Reader", "acl_metadata", "valid_group"], "access"),
    **dict.fromkeys(["AuditEntry", "AuditFile", "AuditLog", "AuditTable"], "audit"),
    **dict.fromkeys(["backup", "restore"], "backup"),
    **dict.fromkeys(["Conversation", "Conversations", "Turn"], "conversations"),
    **dict.fromkeys(["Directory", "DirectoryUnavailable", "DirectoryUser"], "directory"),
    **dict.fromkeys(["DirectoryAccount", "DirectoryAccounts", "seen_accounts"], "directory_accounts"),
    **dict.fromkeys(["EmbedBackend", "Embedder", "open_embedder"], "embedding"),
    **dict.fromkeys(["model_fingerprint"], "fingerprint"),
    **dict.fromkeys(["EmbeddingBackendError"], "openvino_embedding"),
    **dict.fromkeys(["AnswerRecord", "FeedbackStore", "Rated", "Rating"], "feedback"),
    **dict.fromkeys(["SearchFilter"], "filters"),
    **dict.fromkeys(["ApiKey", "ApiKeys"], "keys"),
    **dict.fromkeys(
        ["HANGUL_RUN", "STOPWORDS", "Analyzer", "LexicalIndex", "Morpheme", "as_metadata", "indexed_text"], "lexical"
    ),
    **dict.fromkeys(["FileRecord"], "manifest"),
    **dict.fromkeys(["swap_in"], "folders"),
    **dict.fromkeys(["JobBoard"], "ingest_jobs"),
    **dict.fromkeys(["OcrCache", "OcrText"], "ocr_cache"),
    **dict.fromkeys(["Sessions"], "sessions"),
    **dict.fromkeys(["MoveRefused", "MoveReport", "Moved", "move_state"], "state_move"),
    **dict.fromkeys(["Database", "Migrations", "StateUnavailable", "describe", "missing_privileges", "open_database"],
                    "database"),
    **dict.fromkeys(["SharedWindow"], "window_events"),
    **dict.fromkeys(["Adapters", "AdapterState", "FewShotFile", "write_json"], "tuning"),
    **dict.fromkeys(
        ["Reconciliation", "Store", "StoreError", "lexical_index_outdated", "now_iso", "stored_chunk_count",
         "writer", "writer_lock"],
        "store",
    ),
    **dict.fromkeys(["User", "UsersError", "UsersFile", "UsersTable", "open_users"], "users"),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    # Bound on the package, replacing a submodule of the same name (storage.backup, the function).
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
