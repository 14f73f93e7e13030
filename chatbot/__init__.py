"""The answer engine: retrieval, prompting, generation, and the CLI (python -m chatbot).

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
    "SearchFilter", "Sessions", "Turn", "UsersError", "UsersFile",
]
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(_STORAGE, "storage"),
    **dict.fromkeys(["Admin", "Gap", "IndexRow", "IngestStatus"], ".admin"),
    **dict.fromkeys(
        ["Answer", "ChatEngine", "DoneEvent", "Event", "FeedbackRefused", "QueueEvent", "SourcesEvent", "TokenEvent"],
        ".engine",
    ),
    **dict.fromkeys(["Evidence"], ".evidence"),
    **dict.fromkeys(["detect_language"], ".language"),
    **dict.fromkeys(["LLMUnavailable"], ".llm"),
    **dict.fromkeys(["ContextChunk", "SourceContext"], ".reading"),
    **dict.fromkeys(["Passage"], ".retrieve"),
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
