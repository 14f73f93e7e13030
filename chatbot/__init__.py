"""The answer engine and its CLI (python -m chatbot), in rooms (docs/ARCHITECTURE.md): ``search`` finds
passages, ``model`` runs the LLM, ``answer`` makes the answer, ``operations`` runs the installation,
``adapt`` teaches the model; ``language`` is shared by all. This front door is what ``ui`` uses:

    engine = ChatEngine(get_settings())
    for event in engine.stream("How many days of leave do I get?"):
        ...

Each name is imported from its module when first asked for (PEP 562), as in
`storage`: an admin command (`python -m chatbot users list`) or a server that
only signs people in does not load llama-index, the LLM or the embedder.
"""

import importlib
from typing import Any

import settings as _settings  # noqa: F401  (offline mode before any model library loads)

# The storage types the server needs for who is asking (ui talks to chatbot only).
_STORAGE = [
    "UNRESTRICTED", "ApiKey", "ApiKeys", "AuditLog", "Conversation", "Conversations", "Directory",
    "DirectoryAccount", "DirectoryAccounts", "DirectoryUnavailable", "FeedbackStore", "Reader",
    "SearchFilter", "Sessions", "SharedWindow", "StateUnavailable", "Turn", "UsersError", "UsersFile", "open_users",
]
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(_STORAGE, "storage"),
    **dict.fromkeys(["Admin", "Gap", "IndexRow", "IngestStatus"], ".operations.admin"),
    **dict.fromkeys(
        ["Answer", "ChatEngine", "DoneEvent", "Event", "FeedbackRefused", "QueueEvent", "SourcesEvent", "TokenEvent"],
        ".answer.engine",
    ),
    **dict.fromkeys(["Evidence"], ".answer.evidence"),
    **dict.fromkeys(["detect_language"], ".language"),
    **dict.fromkeys(["LLMUnavailable"], ".model.llm"),
    **dict.fromkeys(["ContextChunk", "SourceContext"], ".answer.reading"),
    **dict.fromkeys(["Passage"], ".search.passage"),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
