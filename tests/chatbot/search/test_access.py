"""Each ranker alone keeps to what the reader may read, before its top-k; a change of readers never
widens them, even while it is being applied."""

from __future__ import annotations

from pathlib import Path

import ingest
from chatbot import ChatEngine
from chatbot.operations.eval import SINGLE_RANKERS
from settings import Settings
from storage import UNRESTRICTED, LexicalIndex, Reader, Store

PARKING = "# Parking {n}\n\nParking permit {n} is for lot {n} near the north gate of building {n}.\n"
HR = Reader("hana", frozenset({"hr", "everyone"}))
ENG = Reader("ethan", frozenset({"eng", "everyone"}))


def parking_corpus(docs: Path) -> None:
    """Ten files about parking for each group: any top-k of either ranker would mix them unless it is
    limited to the reader's files before it is cut."""
    for group in ("hr", "eng"):
        (docs / group).mkdir()
        (docs / group / ".access").write_text(f"{group}\n")
        for n in range(10):
            (docs / group / f"parking-{n}.md").write_text(PARKING.format(n=n))


def test_each_ranker_alone_searches_only_what_the_reader_may_read(settings: Settings, docs: Path,
                                                                  embedder) -> None:
    parking_corpus(docs)
    ingest.run(settings, embedder=embedder)
    engine = ChatEngine(settings, embedder=embedder)
    for ranker in ("dense", "bm25", "bigrams"):
        weights = SINGLE_RANKERS[ranker] if ranker != "bigrams" else (0.0, 0.0, 1.0)
        query = "주차 parking permit north gate" if ranker == "bigrams" else "parking permit north gate"
        for reader, folder in ((HR, "hr/"), (ENG, "eng/")):
            hits = engine.retriever.search(query, 10, weights=weights, reader=reader)
            if ranker != "bigrams":  # no Hangul in the documents: the bigram ranker finds nothing at all
                assert len(hits) == 10, (ranker, reader.name)
            assert all(hit.source.startswith(folder) for hit in hits), (ranker, reader.name)
        everything = engine.retriever.search(query, 20, weights=weights, reader=UNRESTRICTED)
        if ranker != "bigrams":
            assert {hit.source.split("/")[0] for hit in everything} == {"hr", "eng"}
    assert engine.retriever.search("parking", 5, reader=Reader("nobody", frozenset())) == []
    assert (engine.document_count(HR), engine.document_count(UNRESTRICTED)) == (10, 20)


def test_a_change_of_readers_withholds_the_chunks_until_it_is_done(settings: Settings, docs: Path,
                                                                   embedder) -> None:
    parking_corpus(docs)
    ingest.run(settings, embedder=embedder)
    store = Store(settings)
    try:
        record = store.files()["hr/parking-3.md"]
        # The first step of a change, as a run cut off right after it leaves the store:
        store.load_lexical_index().withholding(set(record.chunk_ids))
        assert not store.lexical_index_current()
    finally:
        store.close()
    engine = ChatEngine(settings, embedder=embedder)
    for weights in (SINGLE_RANKERS["dense"], SINGLE_RANKERS["bm25"]):
        hr_sees = {h.source for h in engine.retriever.search("parking permit 3", 20, weights=weights, reader=HR)}
        assert "hr/parking-3.md" not in hr_sees and len(hr_sees) == 9  # withheld from every group
        admin_sees = {h.source for h in engine.retriever.search("parking permit 3", 20, weights=weights)}
        assert "hr/parking-3.md" in admin_sees
    report = ingest.run(settings, embedder=embedder)  # the next run completes the index
    assert report.chunks_embedded == 0 and LexicalIndex.is_current(settings.store_path / "bm25")
    hits = engine.retriever.search("parking permit 3", 20, weights=SINGLE_RANKERS["bm25"], reader=HR)
    assert "hr/parking-3.md" in {h.source for h in hits}
