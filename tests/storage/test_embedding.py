"""The embedder on its two backends: OpenVINO (the default) gives PyTorch's vectors, from an export made once."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from settings import REPO_ROOT, Settings
from storage import Embedder, model_fingerprint
from storage.openvino_embedding import onnx_file

TEXTS = [
    "Full-time employees receive 15 days of annual leave per calendar year.",
    "Passwords must have at least 12 characters and must not be reused across systems.",
    "1년 이상 근무한 직원에게는 15일의 유급 연차 휴가를 준다.",
    "short",
    " ".join(["A long passage that runs past the model's window."] * 60),
]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(Settings().embed_model_path, backend="torch")


def test_openvino_gives_the_vectors_pytorch_gives(embedder: Embedder, torch_embedder: Embedder) -> None:
    assert embedder.backend == "openvino"  # the session's embedder is the default one
    for query in (False, True):
        ours = np.array(embedder.embed(TEXTS, query=query))
        theirs = np.array(torch_embedder.embed(TEXTS, query=query))
        assert ours.shape == theirs.shape == (len(TEXTS), 384)
        # A store built with one backend stays valid with the other (docs/BENCHMARKS.md measures it on a corpus).
        assert (ours * theirs).sum(axis=1).min() > 0.9999
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_the_export_is_made_once_and_made_again_when_damaged(
        embedder: Embedder, models: Path, tmp_path: Path, torch_embedder: Embedder) -> None:
    model = Settings().embed_model_path
    made = onnx_file(models, model_fingerprint(model))
    assert made.is_file()
    before = made.stat().st_mtime_ns
    Embedder(model, backend="openvino", cache_dir=models)  # a second process on the same data
    assert made.stat().st_mtime_ns == before and not list(models.glob(".*.part"))

    # Cut off (a disk that filled up, a copy that stopped): read as unusable, exported again, same vectors.
    damaged = onnx_file(tmp_path, model_fingerprint(model))
    shutil.copyfile(made, damaged)
    with open(damaged, "r+b") as handle:
        handle.truncate(damaged.stat().st_size // 3)
    again = Embedder(model, backend="openvino", cache_dir=tmp_path)
    assert damaged.stat().st_size == made.stat().st_size
    ours, theirs = np.array(again.embed(TEXTS[:2])), np.array(torch_embedder.embed(TEXTS[:2]))
    assert (ours * theirs).sum(axis=1).min() > 0.9999


def test_the_packaged_embedder_runs_without_sentence_transformers_or_torch(embedder: Embedder, models: Path) -> None:
    """A plain folder on OpenVINO (the default, as the session's embedder checked against PyTorch above) needs
    neither library once exported: seconds off every start."""
    probe = ("import sys; from settings import Settings; from storage import open_embedder\n"
             "vector = open_embedder(Settings(models_dir=sys.argv[1])).embed(['annual leave'])[0]\n"
             "print(len(vector), [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules])")
    run = subprocess.run([sys.executable, "-c", probe, str(models)], cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and run.stdout.split() == ["384", "[]"], run.stderr[-2000:]
