"""Sentence-transformers embeddings from a local folder, as a llama-index embedding.

The same object serves ingest (documents) and retrieval (queries), so both
sides of the store always use the same model.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable, Literal

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr
from tokenizers import Tokenizer

from settings import Settings

from .fingerprint import model_fingerprint


# PyTorch, or OpenVINO on an export of the same weights (the same vectors, measured: docs/BENCHMARKS.md).
EmbedBackend = Literal["torch", "openvino"]


class Embedder(BaseEmbedding):
    """Normalised sentence-transformers vectors (cosine = dot product).

    Queries and documents go through ``encode_query`` / ``encode_document``:
    a model folder that defines prompts for them (e5's "query: " and
    "passage: ", bge's instruction) gets them applied.
    """

    model_path: str
    backend: EmbedBackend = "torch"
    _model: Any = PrivateAttr(None)  # a SentenceTransformer, unless _plain runs the folder
    _plain: Any = PrivateAttr(None)  # openvino_embedding.PlainEncoder

    def __init__(self, model_path: Path, batch_size: int = 32, backend: EmbedBackend = "torch",
                 cache_dir: Path | None = None, **kwargs: Any) -> None:
        """``backend`` "openvino" runs the transformer with OpenVINO (storage/openvino_embedding.py),
        its export kept in ``cache_dir``."""
        super().__init__(model_path=str(model_path), model_name=Path(model_path).name,
                         embed_batch_size=batch_size, backend=backend, **kwargs)
        folder = Path(model_path)
        if backend == "openvino":
            if cache_dir is None:
                raise ValueError("the OpenVINO embedder needs a folder for its exported model")
            from .openvino_embedding import PlainEncoder, plain_pooling

            pooling = plain_pooling(folder)
            if pooling:  # no sentence-transformers, no torch: seconds off every start
                self._plain = PlainEncoder(folder, pooling, cache_dir, model_fingerprint(folder))
                return
        # Imported here: torch takes seconds to load, and a no-change ingest
        # run never needs it.
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start

        self._model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        if backend == "openvino":
            from .openvino_embedding import use_openvino

            use_openvino(self._model, cache_dir, model_fingerprint(folder))

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads; the rest of a longer text is cut off."""
        return self._plain.max_tokens if self._plain else int(self._model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def tokenize(self, text: str) -> list[int]:
        return _word_pieces(self._tokenizer, text)

    def tokenizer_copy(self) -> Callable[[str], list[int]]:
        """``tokenize`` on a copy of the tokenizer, for another thread while this one embeds: a fast
        tokenizer used by two threads at once fails with "Already borrowed" (huggingface/tokenizers#537)."""
        tokenizer = copy.deepcopy(self._tokenizer)
        return lambda text: _word_pieces(tokenizer, text)

    @property
    def _tokenizer(self) -> Any:
        return self._plain.counter if self._plain else self._model.tokenizer

    def embed(self, texts: list[str], query: bool = False) -> list[list[float]]:
        if self._plain:  # a plain folder has no prompts: queries and documents are encoded alike
            return self._plain.encode(texts, self.embed_batch_size).tolist()
        encode = self._model.encode_query if query else self._model.encode_document
        vectors = encode(
            texts,
            batch_size=self.embed_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.tolist()

    # llama-index interface
    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query], query=True)[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def _word_pieces(tokenizer: Any, text: str) -> list[int]:
    if isinstance(tokenizer, Tokenizer):  # the plain encoder's own, untruncated
        return tokenizer.encode(text, add_special_tokens=False).ids
    # verbose=False: counting a long text is not feeding it to the model,
    # so the "longer than the maximum sequence length" warning is noise here.
    return tokenizer.encode(text, add_special_tokens=False, verbose=False)


def open_embedder(settings: Settings) -> Embedder:
    """The configured embedder (model folder, batch size, backend)."""
    return Embedder(settings.embed_model_path, settings.embed_batch_size, settings.embed_backend,
                    settings.models_path)
