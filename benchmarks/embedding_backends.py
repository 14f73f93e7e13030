"""Embedding backends side by side: texts per second and whether their vectors agree.

    python -m benchmarks.embedding_backends FOLDER... [--limit N] [--threads N]

The folders' text files, cut into chunk-sized pieces (about 800 characters
at paragraph ends), are embedded by each backend in the same run; the
cosine between the two backends' vectors of each piece says whether a store
built with one stays valid with the other.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from settings import Settings
from storage import Embedder

PIECE_CHARS = 800
BACKENDS = ("torch", "openvino")


def pieces(folders: list[Path], limit: int) -> list[str]:
    found: list[str] = []
    for file in sorted(f for folder in folders for f in folder.rglob("*.txt")):
        piece = ""
        for paragraph in file.read_text(encoding="utf-8", errors="replace").split("\n"):
            piece = f"{piece}\n{paragraph}".strip()
            if len(piece) >= PIECE_CHARS:
                found.append(piece)
                piece = ""
        if piece:
            found.append(piece)
    return found[:limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=2000, help="pieces embedded (default 2000)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    texts = pieces(args.folders, args.limit)
    print(f"{len(texts)} pieces from {', '.join(map(str, args.folders))}\n")
    figures = compare(texts, Settings())
    print("| backend | load s | pieces/s |")
    print("|---|---|---|")
    for backend in BACKENDS:
        print(f"| {backend} | {figures[backend]['load_s']:.1f} | {figures[backend]['pieces_per_s']:.1f} |")
    print(f"\ncosine torch vs openvino: min {figures['cosine_min']:.6f}, mean {figures['cosine_mean']:.6f}")


def compare(texts: list[str], settings: Settings) -> dict:
    """Each backend's load time and steady pieces/s on ``texts``, and the cosine between their vectors."""
    figures: dict = {}
    vectors = {}
    for backend in BACKENDS:
        started = time.perf_counter()
        embedder = Embedder(settings.embed_model_path, settings.embed_batch_size, backend,
                            settings.models_path)
        loaded = time.perf_counter() - started
        embedder.embed(texts[:32])  # first-call set-up is not the steady rate
        started = time.perf_counter()
        vectors[backend] = np.asarray(embedder.embed(texts))
        figures[backend] = {"load_s": loaded, "pieces_per_s": len(texts) / (time.perf_counter() - started)}
    cosines = (vectors["torch"] * vectors["openvino"]).sum(axis=1)
    return {**figures, "pieces": len(texts), "cosine_min": float(cosines.min()),
            "cosine_mean": float(cosines.mean())}


if __name__ == "__main__":
    main()
