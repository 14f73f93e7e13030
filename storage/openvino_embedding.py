"""The embedder's transformer run by OpenVINO on the CPU: the same vectors, about twice as fast.

sentence-transformers' own ONNX and OpenVINO backends need optimum, whose
releases pin transformers below the 5.x this stack runs, so the transformer
is exported here instead: to ONNX by torch's exporter, once, from the local
model folder (never downloaded), cached beside the data; OpenVINO's runtime
reads that file. Everything else (tokenizer, prompts, length-sorted batches,
pooling, normalisation) stays sentence-transformers' own: only the
transformer module's forward is replaced.

Measured on the dev corpus (docs/BENCHMARKS.md): the vectors agree with
PyTorch's (cosine ≥ 0.9999), so a store built with either backend stays
valid with the other. The int8-quantised export was not kept: its vectors
moved (cosine 0.84–0.94) and it was barely faster here (1.0–1.2×).

OpenVINO's model converter reports usage to Google Analytics unless a consent
file says no; it is never called here (the runtime reads ONNX itself), and
its telemetry package is kept from loading at all.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

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
    path = onnx_file(cache_dir, fingerprint)
    if not path.is_file():
        _export(model, path)
    sys.modules.setdefault("openvino_telemetry", None)  # its converter's telemetry falls back to a stub
    import openvino

    try:
        compiled = openvino.Core().compile_model(str(path), "CPU")
    except RuntimeError as error:  # a cut-off or foreign file: made again from the model folder
        log.warning("re-exporting the embedder for OpenVINO: %s could not be read (%s)", path, error)
        _export(model, path)
        compiled = openvino.Core().compile_model(str(path), "CPU")
    transformer.forward = _OpenVinoForward(compiled, transformer.module_output_name)


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

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EmbeddingBackendError(
            f"cannot make the embedder's OpenVINO export in {path.parent}: {error.strerror}; set RAG_MODELS_DIR "
            "to a folder this account may write, or RAG_EMBED_BACKEND=torch") from error
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
