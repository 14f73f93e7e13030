"""Optional second stage: a cross-encoder from a local folder re-orders the fused candidates.

None ships (the packaged models are the embedder and the LLM); an admin who
copies a sentence-transformers CrossEncoder folder onto the server (e.g. a
bge-reranker or ms-marco MiniLM) sets RAG_RERANKER_MODEL to it. It reads
the question and each passage together, which a bi-encoder cannot, at the
cost of one model pass per candidate.
"""

from __future__ import annotations

from pathlib import Path

from llama_index.core.postprocessor import SentenceTransformerRerank
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode


class Reranker:
    def __init__(self, folder: Path) -> None:
        if not (folder / "config.json").exists():
            raise FileNotFoundError(f"reranker model {folder}: not a model folder (no config.json)")
        # trust_remote_code off: a model folder must not run code of its own.
        self._model = SentenceTransformerRerank(model=str(folder), top_n=1, device="cpu",
                                                trust_remote_code=False)

    def order(self, query: str, candidates: list[tuple[str, str]]) -> list[tuple[str, float]]:
        """(chunk id, text) candidates -> (chunk id, relevance), most relevant first."""
        nodes = [NodeWithScore(node=TextNode(id_=chunk_id, text=text)) for chunk_id, text in candidates]
        self._model.top_n = len(nodes)
        ranked = self._model.postprocess_nodes(nodes, QueryBundle(query))
        scored = [(n.node.node_id, float(n.score or 0.0)) for n in ranked]
        return sorted(scored, key=lambda item: item[1], reverse=True)  # its own sort misplaces a 0.0
