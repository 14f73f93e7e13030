"""Finding passages for a question: dense vectors and BM25 terms from the store, fused by the question's
language, optionally re-ranked, widened with their neighbours; and the sentences inside them, scored.

- ``passage``: the Passage every room reads (and where in its file it lies);
- ``retrieve``: the Retriever (the reader's groups limit every ranker before anything is ranked);
- ``fusion``: the weight of each ranker per language, and how their scores are fused;
- ``rerank``, ``sentence_rerank``: the optional cross-encoders, for passages and for sentences;
- ``sentences``: passages cut into sentences, matched to the question.

May import: ``settings``, ``storage``'s public names, ``chatbot.language``. Never ``answer`` or anything above.
"""
