"""The embedder's transformer run by OpenVINO on the CPU: the same vectors, about twice as fast.

sentence-transformers' own ONNX and OpenVINO backends need optimum, whose
releases pin transformers below the 5.x this stack runs, so the transformer
is exported here instead: to ONNX by torch's exporter, once, from the local
model folder (never downloaded), cached beside the data; OpenVINO's runtime
reads that file. A plain folder (a transformer, mean or CLS pooling, a
normalisation, no prompts: the packaged MiniLM) is then run without
sentence-transformers or torch at all (`PlainEncoder`: the folder's own fast
tokenizer, OpenVINO, the pooling in NumPy), which saves every process that
searches or ingests the five seconds those libraries take to import. Any
other folder keeps sentence-transformers' tokenizer, prompts, pooling and
modules, with only the transformer module's forward replaced
(`use_openvino`). The export itself is made with sentence-transformers and
torch, once.

Measured on the dev corpus (docs/BENCHMARKS.md): the vectors agree with
PyTorch's (cosine ≥ 0.9999), so a store built with either backend stays
valid with the other. The int8-quantised export was not kept: its vectors
moved (cosine 0.84–0.94) and it was barely faster here (1.0–1.2×).

OpenVINO's model converter reports usage to Google Analytics unless a consent
file says no; it is never called here (the runtime reads ONNX itself), and
its telemetry package is kept from loading at all.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# The inputs a BERT-like text encoder takes; the export keeps those the tokenizer gives.
TEXT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
ONNX_OPSET = 17


class EmbeddingBackendError(RuntimeError):
    """The embedder cannot run on the configured backend; the message says why and what to set."""


def onnx_file(cache_dir: Path, fingerprint: str) -> Path:
    return cache_dir / f"embedder-{fingerprint}.onnx"


def use_openvino(model: Any, cache_dir: Path, fingerprint: str) -> None:
    """Run ``model``'s transformer (a loaded SentenceTransformer's first module) with OpenVINO."""
    transformer = model[0]
    compiled = _compiled(onnx_file(cache_dir, fingerprint), lambda path: _export(model, path))
    transformer.forward = _OpenVinoForward(compiled, transformer.module_output_name)


def _compiled(path: Path, export) -> Any:
    """The export at ``path`` compiled for the CPU; ``export(path)`` makes it when missing or unreadable."""
    if not path.is_file():
        _make_folder(path.parent)  # before the seconds an export takes: a folder that cannot be made stops at once
        export(path)
    sys.modules.setdefault("openvino_telemetry", None)  # its converter's telemetry falls back to a stub
    import openvino

    try:
        return openvino.Core().compile_model(str(path), "CPU")
    except RuntimeError as error:  # a cut-off or foreign file: made again from the model folder
        log.warning("re-exporting the embedder for OpenVINO: %s could not be read (%s)", path, error)
        export(path)
        return openvino.Core().compile_model(str(path), "CPU")


# The sentence-transformers modules PlainEncoder does itself; a folder with any other runs through
# sentence-transformers.
_PLAIN_MODULES = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                  "sentence_transformers.models.Normalize"]


def plain_pooling(folder: Path) -> str | None:
    """"mean" or "cls" when the folder is a plain text encoder PlainEncoder runs exactly as
    sentence-transformers would (its fast tokenizer, a transformer, that pooling, at most a normalisation,
    no prompts); None otherwise."""
    try:
        modules = [m["type"] for m in json.loads((folder / "modules.json").read_text())]
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
        st_config = folder / "config_sentence_transformers.json"
        prompts = json.loads(st_config.read_text()).get("prompts") if st_config.is_file() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if modules not in (_PLAIN_MODULES, _PLAIN_MODULES[:2]) or prompts or not (folder / "tokenizer.json").is_file():
        return None
    modes = [name for name, on in pooling.items() if name.startswith("pooling_mode_") and on]
    return {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(modes[0]) \
        if len(modes) == 1 else None


class PlainEncoder:
    """A plain folder's vectors without sentence-transformers or torch: its fast tokenizer (cut at the
    folder's max_seq_length, padded per batch), the OpenVINO export, then pooling and normalisation."""

    def __init__(self, folder: Path, pooling: str, cache_dir: Path, fingerprint: str) -> None:
        from tokenizers import Tokenizer

        self.max_tokens = int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
        self._folder, self._pooling = folder, pooling
        self.counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()
        self._batcher = copy.deepcopy(self.counter)  # the file read once
        self._batcher.enable_truncation(self.max_tokens)
        self._batcher.no_padding()  # padded per batch, to its longest text, as sentence-transformers does
        self._compiled = _compiled(onnx_file(cache_dir, fingerprint), self._export)
        self._inputs = [port.get_any_name() for port in self._compiled.inputs]

    def _export(self, path: Path) -> None:
        from sentence_transformers import SentenceTransformer

        _export(SentenceTransformer(str(self._folder), device="cpu", local_files_only=True), path)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Unit vectors, in the order of ``texts``; the longest texts batched together."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors: list[np.ndarray] = [np.empty(0)] * len(texts)
        for start in range(0, len(order), batch_size):
            chosen = order[start:start + batch_size]
            for index, vector in zip(chosen, self._batch([texts[i] for i in chosen])):
                vectors[index] = vector
        return np.stack(vectors) if vectors else np.empty((0, 0), dtype=np.float32)

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._batcher.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        pad = lambda rows: np.array([row + [0] * (width - len(row)) for row in rows], dtype=np.int64)  # noqa: E731
        feed = {"input_ids": pad([e.ids for e in encodings]),
                "attention_mask": pad([e.attention_mask for e in encodings]),
                "token_type_ids": pad([e.type_ids for e in encodings])}
        # One request per call: a compiled model serves several threads (the server's searches) at once.
        hidden = self._compiled.create_infer_request().infer({name: feed[name] for name in self._inputs})
        tokens = hidden[self._compiled.output(0)]
        if self._pooling == "cls":
            pooled = tokens[:, 0]
        else:
            mask = feed["attention_mask"][:, :, None].astype(np.float32)
            pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


class _OpenVinoForward:
    """The transformer module's forward: the features' token ids in, its token embeddings out."""

    def __init__(self, compiled: Any, output_name: str) -> None:
        self._compiled = compiled
        self._inputs = [port.get_any_name() for port in compiled.inputs]
        self._output_name = output_name

    def __call__(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        import torch

        feed = {name: features[name].numpy() for name in self._inputs}
        # One request per call: a compiled model serves several threads (the server's searches) at once.
        hidden = self._compiled.create_infer_request().infer(feed)[self._compiled.output(0)]
        features[self._output_name] = torch.from_numpy(hidden.copy())
        return features


def _export(model: Any, path: Path) -> None:
    """The transformer to ONNX with batch and sequence length left free; written whole or not at all."""
    import torch

    try:
        import onnx  # noqa: F401  torch's exporter needs it; named here so its absence reads plainly
    except ImportError as error:
        raise EmbeddingBackendError("the OpenVINO embedder needs the onnx package (make setup), "
                                    "or set RAG_EMBED_BACKEND=torch") from error
    transformer = model[0]
    example = model.tokenize(["an example sentence", "a second, longer example sentence"])
    names = [name for name in TEXT_INPUTS if name in example]

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.encoder(**dict(zip(names, inputs))).last_hidden_state

    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    free = {name: {0: "batch", 1: "tokens"} for name in [*names, "token_embeddings"]}
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on BERT's Python branches, each start: noise
            torch.onnx.export(
                TokenEmbeddings(transformer.model).eval(), tuple(example[name] for name in names), str(partial),
                input_names=names, output_names=["token_embeddings"], dynamic_axes=free,
                opset_version=ONNX_OPSET, dynamo=False,
            )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    log.info("embedder exported for OpenVINO: %s", path)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EmbeddingBackendError(
            f"cannot make the embedder's OpenVINO export in {folder}: {error.strerror}; set RAG_MODELS_DIR "
            "to a folder this account may write, or RAG_EMBED_BACKEND=torch") from error
