"""Fusing the dense and lexical rankings, with weights that fit the embedder.

Two fusions (measured against each other in docs/BENCHMARKS.md):

- ``relative``: each ranker's scores min-max scaled to [0, 1] over its own
  candidates, then a weighted sum (llama-index's "relative score" fusion);
- ``rrf``: weighted reciprocal-rank fusion, sum of weight / (60 + rank).

llama-index's QueryFusionRetriever has both, but merges nodes by content
hash (two files with the same paragraph would become one source) and its
RRF takes no weights, so the few lines are here.

The weights depend on what the embedder can read: the packaged MiniLM is
English-only, and giving its Korean ranking a real vote makes Korean worse
than BM25 alone. ``probe_languages`` measures this on built-in examples at
start-up, so a multilingual embedder (bge-m3, multilingual-e5, …) gets a
full dense weight in Korean without any setting.
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np

from storage import Embedder

from ..language import Language

FusionMode = Literal["relative", "rrf"]
RRF_K = 60  # the usual reciprocal-rank-fusion constant

# (dense, BM25 terms, BM25 Hangul bigrams) weights, chosen on the dev pack
# (docs/BENCHMARKS.md): the dense ranking has half BM25's say where the
# embedder reads the language, a nudge only where it does not. Bigrams only
# exist for Korean text, so their weight does not touch English questions.
Weights = tuple[float, float, float]
READS_LANGUAGE: Weights = (0.5, 1.0, 1.0)
BLIND_TO_LANGUAGE: Weights = (0.1, 1.0, 1.0)

Ranking = Sequence[tuple[str, float]]  # (chunk id, score), best first


def fuse(weighted: Sequence[tuple[float, Ranking]], mode: FusionMode) -> dict[str, float]:
    """Chunk id -> fused score (higher is better) over every ranking's candidates."""
    fused: dict[str, float] = {}
    for weight, ranking in weighted:
        if weight == 0 or not ranking:
            continue
        scaled = min_max(np.asarray([score for _, score in ranking]))
        for rank, ((chunk_id, _), value) in enumerate(zip(ranking, scaled), start=1):
            part = weight / (RRF_K + rank) if mode == "rrf" else weight * float(value)
            fused[chunk_id] = fused.get(chunk_id, 0.0) + part
    return fused


def min_max(scores: np.ndarray) -> np.ndarray:
    """Scores scaled to [0, 1] over their own range; all 1 when they are all equal (a lone hit counts fully)."""
    spread = scores.max() - scores.min()
    return (scores - scores.min()) / spread if spread > 0 else np.ones_like(scores, dtype=float)


# Each probe: a question and a passage that answers it in other words. An
# embedder that reads the language matches each question to its own answer
# among all the answers; one that only sees letters (MiniLM sees Korean as
# loose jamo) cannot, since the pairs share few words.
_PROBES: dict[Language, list[tuple[str, str]]] = {
    "en": [
        ("Can I use the company car for personal trips?",
         "Business vehicles may not be driven for private purposes."),
        ("How many days of holiday do new staff get?",
         "Employees receive fifteen days of paid leave in their first year."),
        ("Who approves access to the server room?",
         "Entry to the data centre requires sign-off from the security team."),
        ("What is the deadline for expense claims?",
         "Receipts must be submitted within thirty days of purchase."),
        ("Is working from home allowed?",
         "Staff may do their jobs remotely up to two days a week."),
        ("What should I do if my laptop is stolen?",
         "Report a lost or missing computer to the IT helpdesk at once."),
    ],
    "ko": [
        ("회사 차량을 개인 용도로 써도 되나요?",
         "업무용 자동차는 사적인 목적으로 운행할 수 없습니다."),
        ("신입 사원은 휴가를 며칠 받나요?",
         "입사 첫해 직원에게는 연차 15일이 주어진다."),
        ("서버실 출입은 누가 승인하나요?",
         "데이터 센터에 들어가려면 보안팀의 허가가 필요하다."),
        ("경비 청구 마감은 언제인가요?",
         "영수증은 구매일로부터 30일 안에 제출해야 한다."),
        ("재택근무가 허용되나요?",
         "직원은 일주일에 이틀까지 집에서 일할 수 있다."),
        ("노트북을 도난당하면 어떻게 해야 하나요?",
         "컴퓨터를 잃어버렸다면 즉시 IT 지원 창구에 신고한다."),
    ],
}


def probe_languages(embedder: Embedder) -> dict[Language, bool]:
    """Whether the embedder reads each language: most questions find their own answer."""
    reads: dict[Language, bool] = {}
    for language, pairs in _PROBES.items():
        questions = np.asarray([embedder.get_query_embedding(q) for q, _ in pairs])
        answers = np.asarray(embedder.get_text_embedding_batch([a for _, a in pairs]))
        matched = (questions @ answers.T).argmax(axis=1) == np.arange(len(pairs))
        reads[language] = bool(matched.mean() >= 0.8)
    return reads


def fusion_weights(reads: dict[Language, bool], configured: dict[str, Weights] | None) -> dict[str, Weights]:
    """Configured weights win; otherwise they follow what the embedder reads (``probe_languages``)."""
    if configured:
        return dict(configured)
    return {language: READS_LANGUAGE if can_read else BLIND_TO_LANGUAGE for language, can_read in reads.items()}
