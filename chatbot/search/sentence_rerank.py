"""Second stage without a model of its own: candidates re-ordered by their best sentence.

The fused chunk ranking knows which chunk shares most of the question's
terms overall; the answer is usually in one sentence that matches the
question closely. Blending the two (each min-max scaled over the
candidates) puts that chunk first more often (measured on the dev pack,
docs/BENCHMARKS.md). The engine scores the sentences by their terms only,
which is fast enough for every search.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .fusion import min_max
from .passage import Passage
from .sentences import ScoredPassage

DEPTH = 10  # candidates re-ordered: deeper brought nothing more on the dev pack


def by_best_sentence(scored: list[ScoredPassage], weight: float) -> list[Passage]:
    """The passages, best first by fused score + weight x best sentence score; score holds the blend."""
    if len(scored) < 2:
        return [s.passage for s in scored]
    fused = min_max(np.asarray([s.passage.score for s in scored]))
    best = min_max(np.asarray([max(s.scores, default=0.0) for s in scored]))
    blended = fused + weight * best
    order = np.argsort(-blended, kind="stable")
    return [replace(scored[i].passage, score=float(blended[i])) for i in order]
