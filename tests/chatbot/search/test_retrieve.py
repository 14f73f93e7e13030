"""Hybrid retrieval on real stores: Korean morphemes, incremental lexical index, fusion, filters, reranker."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest

import ingest
from chatbot import ChatEngine, SearchFilter
from chatbot.search.fusion import BLIND_TO_LANGUAGE, READS_LANGUAGE, fuse, probe_languages
from chatbot.search.rerank import Reranker
from chatbot.search.passage import Passage
from chatbot.search.sentence_rerank import DEPTH, by_best_sentence
from chatbot.search.sentences import SentenceMatcher
from settings import Settings
from storage import Analyzer
from tests.helpers import stored_chunks

DENSE_ONLY, BM25_ONLY, BIGRAMS_ONLY = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)


def write(folder: Path, relative: str, text: str, modified: date | None = None) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if modified:
        stamp = datetime.combine(modified, datetime.min.time()).timestamp() + 12 * 3600
        os.utime(path, (stamp, stamp))
    return path


def ingested(settings: Settings, embedder) -> ChatEngine:
    report = ingest.run(settings, embedder=embedder)
    assert report.failed == [], report.failed
    return ChatEngine(settings, embedder=embedder)


def sources(passages) -> list[str]:
    return [p.source for p in passages]


def test_korean_particles_and_endings_do_not_break_a_match(settings: Settings, docs: Path, embedder) -> None:
    assert Analyzer().terms("휴가는 며칠인가요?")[0] == "휴가"
    assert Analyzer.bigrams("방탄소년단 리더, 휴가 a 휴") == ["방탄", "탄소", "소년", "년단", "리더", "휴가", "휴", "a"]
    write(docs, "hr/leave.txt", "휴가 일수\n\n연차 휴가 15일. 입사 첫해 월 1일.")
    write(docs, "it/vpn.txt", "원격 접속\n\n외부에서 사내망에 접속할 때는 VPN을 사용해야 한다.")
    write(docs, "finance/travel.txt", "출장비\n\n해외 출장 일비는 하루 50달러이다.")
    engine = ingested(settings, embedder)

    # "휴가는" (with the topic particle) must find the passage that only has bare "휴가".
    assert sources(engine.retriever.search("휴가는 며칠이에요?", 3, "ko", weights=BM25_ONLY))[:1] == ["hr/leave.txt"]
    assert sources(engine.search("휴가는 며칠이에요?", 1)) == ["hr/leave.txt"]


def test_criterion_numbers_and_product_codes_in_korean_text_match_whole(
    settings: Settings, docs: Path, embedder
) -> None:
    assert Analyzer().terms("ISMS-P 2.11.2 항목, 갤럭시 S8") == ["항목", "갤럭시", "ism", "p", "2.11.2", "s8"]
    # Same words, different numbers: only the number tells the passages apart.
    for number, phone in (("2.11.2", "S8"), ("2.11.5", "S7"), ("2.12.1", "S6")):
        write(docs, f"isms/{number}.md", f"# {number} 점검 항목\n\n{number} 항목은 {phone} 단말의 점검 주기를 정한다.")
    engine = ingested(settings, embedder)

    for question, expected in (("2.11.5 항목은 무엇을 정하나요?", "isms/2.11.5.md"),
                               ("S6 단말의 점검 주기는?", "isms/2.12.1.md")):
        assert sources(engine.retriever.search(question, 3, "ko", weights=BM25_ONLY))[:1] == [expected], question
        assert sources(engine.search(question, 1)) == [expected], question


def test_a_sub_section_is_found_by_its_parent_heading(settings: Settings, docs: Path, embedder) -> None:
    # Each criterion has the same sub-headings; only the parent heading's number tells them apart.
    criteria = {"2.5.3 사용자 인증": "정보시스템 접근은 안전한 인증 절차로 통제해야 한다.",
                "2.5.4 비밀번호 관리": "비밀번호는 안전한 관리 절차를 수립하여 이행해야 한다."}
    write(docs, "isms/guide.md", "\n\n".join(
        f"# {title}\n\n## 인증 기준\n\n{rule}\n\n## 결함사례\n\n절차를 지키지 않은 사례."
        for title, rule in criteria.items()))
    write(docs, "isms/headings-only.md", "# 부록\n\n## 용어")
    engine = ingested(settings, embedder)

    chunks = stored_chunks(settings)
    guide = [c for c in chunks if c["source"] == "isms/guide.md"]
    # A part with nothing but its heading line ("# 2.5.3 사용자 인증") is no chunk of its own ...
    assert [c["heading"] for c in guide] == [f"{title} > {sub}" for title in criteria for sub in ("인증 기준", "결함사례")]
    # ... and a document of headings only still gets its chunks.
    assert [c["text"] for c in chunks if c["source"] == "isms/headings-only.md"] == ["# 부록", "## 용어"]

    for question, expected in (("2.5.4 항목의 인증 기준은?", "2.5.4 비밀번호 관리 > 인증 기준"),
                               ("2.5.3 결함사례는?", "2.5.3 사용자 인증 > 결함사례")):
        for weights in (BM25_ONLY, BIGRAMS_ONLY):
            assert engine.retriever.search(question, 1, "ko", weights=weights)[0].heading == expected, (question, weights)
        assert engine.search(question, 1)[0].heading == expected, question


FACILITIES = "\n\n".join([
    "# Parking",
    "Visitors collect a parking permit from the reception desk.",
    *(f"Row {row} of the garage is kept for {who} on weekdays." for row, who in
      zip("ABCDEF", ("visitors", "managers", "vans", "bicycles", "motorbikes", "electric cars"))),
    "A permit is valid for one calendar day only.",
    "# Canteen",
    "Lunch is served from noon until two o'clock in the afternoon.",
    "Vegetarian dishes are marked with a green leaf on the menu board.",
])


@pytest.fixture
def facilities(settings: Settings, docs: Path, embedder) -> tuple[Settings, list[dict]]:
    """A Markdown file cut into many small chunks, two headings."""
    settings = settings.model_copy(update={"chunk_size": 40, "chunk_overlap": 10, "neighbours": 2})
    write(docs, "facilities.md", FACILITIES)
    ingested(settings, embedder)
    chunks = stored_chunks(settings)
    parking = [c for c in chunks if c["heading"] == "Parking"]
    assert len(parking) >= 3 and chunks[len(parking)]["heading"] == "Canteen", [c["text"] for c in chunks]
    return settings, chunks


def test_a_passage_joins_its_neighbours_under_the_same_heading(facilities, embedder) -> None:
    settings, chunks = facilities
    engine = ChatEngine(settings, embedder=embedder)
    sentences = [line for line in FACILITIES.split("\n\n") if not line.startswith("#")]

    for query in ("Row C of the garage is kept for vans", "How long is a permit valid?"):
        [passage] = engine.search(query, 1)
        # Each chunk holds one or two sentences, the whole section fewer than a dozen:
        # every chunk within two of it under its heading joins, each sentence once
        # (the chunks' overlap is not repeated).
        joined = [c for c in chunks if abs(c["chunk_index"] - passage.chunk_index) <= settings.neighbours
                  and c["heading"] == passage.heading]
        assert len(joined) >= 2
        for sentence in sentences:
            expected = any(sentence in chunk["text"] for chunk in joined)
            assert passage.text.count(sentence) == expected, (sentence, passage.text)
        assert "Lunch" not in passage.text  # the next chunk is under another heading

    # Without neighbours a passage is its chunk.
    alone = ChatEngine(settings.model_copy(update={"neighbours": 0, "join_adjacent": 0}), embedder=embedder)
    [passage] = alone.search("Row C of the garage is kept for vans", 1)
    assert passage.text == next(c["text"] for c in chunks if c["chunk_index"] == passage.chunk_index)


def test_adjacent_chunks_that_both_rank_high_form_one_passage(facilities, embedder) -> None:
    settings, chunks = facilities
    settings = settings.model_copy(update={"neighbours": 0, "join_adjacent": 3})
    text = {c["chunk_index"]: c["text"] for c in chunks}
    parking = [c["chunk_index"] for c in chunks if c["heading"] == "Parking"]
    engine = ChatEngine(settings, embedder=embedder)
    single = ChatEngine(settings.model_copy(update={"join_adjacent": 0}), embedder=embedder)

    # The rows question matches every Parking chunk; the three rank top and lie next to each other.
    query = "Which garage rows are kept for vans and for bicycles?"
    top = single.search(query, 4)
    assert [p.text for p in top] == [text[p.chunk_index] for p in top]  # join_adjacent 0: chunks alone
    assert sorted(p.chunk_index for p in top[:3]) == parking
    # k counts chunks: the four best are the three joined and the canteen's.
    joined, canteen = engine.search(query, 4)
    assert all(text[i] in joined.text for i in parking) and "Lunch" not in joined.text
    # The prompt's windows centre on each retrieved chunk, the best-ranked first.
    assert [joined.text[start:end] for start, end in joined.foci] == [p.text for p in top[:3]]
    assert canteen.text == text[canteen.chunk_index] and canteen.heading == "Canteen"

    # Next to each other but under two headings, or apart: each stays alone.
    query = "How long is a permit valid and when is lunch served?"
    top = single.search(query, 3)
    assert [p.heading for p in top] == ["Canteen", "Parking", "Parking"]
    assert abs(top[1].chunk_index - top[2].chunk_index) > 1
    assert [p.text for p in engine.search(query, 3)] == [p.text for p in top]


def test_a_chunk_that_holds_a_dozen_sentences_is_shown_alone(settings: Settings, docs: Path, embedder) -> None:
    write(docs, "rules.txt", "\n".join(f"Rule {n}: doors close at {n} pm." for n in range(1, 60)))
    # Joins off: every chunk mentions doors, so retrieved chunks lie next to each other.
    engine = ingested(settings.model_copy(update={"neighbours": 2, "join_adjacent": 0}), embedder)
    chunks = stored_chunks(settings)
    assert len(chunks) >= 3
    [passage] = engine.search("When do doors close under rule 30?", 1)
    assert passage.text == next(c["text"] for c in chunks if c["chunk_index"] == passage.chunk_index)


def test_a_chunk_inside_a_better_passage_is_not_shown_again(facilities, embedder) -> None:
    settings, chunks = facilities
    passages = ChatEngine(settings, embedder=embedder).search("garage row kept for weekdays", 5)
    text = {c["chunk_index"]: c["text"] for c in chunks}
    for n, passage in enumerate(passages):
        assert not any(text[passage.chunk_index] in better.text for better in passages[:n])


def test_the_chunk_with_the_best_matching_sentence_comes_first(embedder) -> None:
    question = "Where do visitors collect a parking permit?"
    texts = {
        "overview": "Parking rules for the garage: an overview of who parks where and when.",
        "answer": "The garage has six rows. Visitors collect a parking permit from the reception desk.",
        "other": "Lunch is served from noon.",
    }
    passages = [Passage(id=name, source=f"{name}.txt", text=text, score=score)
                for (name, text), score in zip(texts.items(), (1.0, 0.8, 0.1))]
    scored, _ = SentenceMatcher(Analyzer(), embedder, {"en": True}).score_passages(passages, question, "en")

    ranked = by_best_sentence(scored, 1.0)
    assert [p.id for p in ranked] == ["answer", "overview", "other"]
    assert [p.score for p in ranked] == sorted((p.score for p in ranked), reverse=True)
    assert [p.id for p in by_best_sentence(scored, 0.0)] == ["overview", "answer", "other"]


def test_a_deleted_file_cannot_be_found_by_either_index(settings: Settings, docs: Path, embedder) -> None:
    gone = write(docs, "old/quantum.txt", "Quantum flux capacitor\n\nThe quantum flux capacitor needs recalibration "
                                          "every ninety days by the hardware team. 양자축전기는 90일마다 재보정한다.")
    write(docs, "keep/parking.txt", "Parking\n\nStaff park for free in lot B behind the main building.")
    engine = ingested(settings, embedder)  # a long-lived engine, as in the server
    queries = {DENSE_ONLY: "quantum flux capacitor recalibration", BM25_ONLY: "quantum flux capacitor recalibration",
               BIGRAMS_ONLY: "양자축전기 재보정"}
    for weights, query in queries.items():
        assert "old/quantum.txt" in sources(engine.retriever.search(query, 2, "en", weights=weights))

    gone.unlink()
    assert ingest.run(settings, embedder=embedder).removed == 1
    for weights, query in queries.items():
        assert "old/quantum.txt" not in sources(engine.retriever.search(query, 2, "en", weights=weights))
    assert sources(engine.retriever.search("parking lot", 2, "en", weights=BM25_ONLY)) == ["keep/parking.txt"]


def test_relative_fusion_rewards_agreement_and_follows_the_weights() -> None:
    dense = [("a", 0.9), ("b", 0.8), ("c", 0.1)]
    lexical = [("c", 12.0), ("b", 11.0), ("a", 1.0)]
    equal = fuse([(1.0, dense), (1.0, lexical)], "relative")
    # b is near the top of both lists, a and c each top one and bottom the other.
    assert max(equal, key=equal.get) == "b"
    lexical_led = fuse([(0.1, dense), (1.0, lexical)], "relative")
    assert sorted(lexical_led, key=lexical_led.get, reverse=True) == ["c", "b", "a"]
    assert fuse([(0.0, dense), (1.0, [])], "relative") == {}


def test_reciprocal_rank_fusion_uses_ranks_not_scores() -> None:
    dense = [("a", 0.99), ("b", 0.98)]
    lexical = [("b", 500.0), ("c", 1.0)]
    fused = fuse([(1.0, dense), (1.0, lexical)], "rrf")
    assert sorted(fused, key=fused.get, reverse=True) == ["b", "a", "c"]
    assert fused["a"] == pytest.approx(1 / 61) and fused["b"] == pytest.approx(1 / 62 + 1 / 61)


def test_fusion_weights_follow_what_the_embedder_reads(embedder, sample_settings: Settings) -> None:
    # The packaged MiniLM is English-only: its Korean ranking gets only a nudge.
    assert probe_languages(embedder) == {"en": True, "ko": False}
    engine = ChatEngine(sample_settings, embedder=embedder)
    assert engine.retriever.weights == {"en": READS_LANGUAGE, "ko": BLIND_TO_LANGUAGE}
    configured = sample_settings.model_copy(update={"fusion_weights": {"en": (1.0, 1.0, 0.0), "ko": (0.0, 1.0, 1.0)}})
    assert ChatEngine(configured, embedder=embedder).retriever.weights == {"en": (1.0, 1.0, 0.0), "ko": (0.0, 1.0, 1.0)}


def test_an_embedder_that_reads_neither_language_gets_only_a_nudge(tmp_path: Path, sample_settings: Settings) -> None:
    from sentence_transformers import SentenceTransformer, models

    from storage import Embedder

    bert = tiny_cross_encoder(tmp_path / "bert", Path(sample_settings.embed_model_path))
    transformer = models.Transformer(str(bert))
    folder = tmp_path / "random-embedder"
    SentenceTransformer(modules=[transformer, models.Pooling(transformer.get_embedding_dimension())]).save(
        str(folder))
    random_embedder = Embedder(folder)
    assert probe_languages(random_embedder) == {"en": False, "ko": False}
    assert ChatEngine(sample_settings.model_copy(update={"embed_model": folder}),
                      embedder=random_embedder).retriever.weights == {"en": BLIND_TO_LANGUAGE, "ko": BLIND_TO_LANGUAGE}


@pytest.fixture(scope="module")
def filtered_engine(tmp_path_factory: pytest.TempPathFactory, models: Path, embedder) -> ChatEngine:
    """Four dated files in four folders, ingested once: the filter cases only search them."""
    root = tmp_path_factory.mktemp("filters")
    docs = root / "docs"
    settings = Settings(data_dir=root / "data", docs_dir=docs, store_dir=root / "store", models_dir=models)
    text = "Travel policy\n\nThe travel allowance for {what} is {amount} per day. 출장 일비는 하루 {amount}이다."
    write(docs, "hr/travel.md", text.format(what="hr staff", amount="30 euros"), date(2025, 3, 1))
    write(docs, "hr/archive/travel-2019.txt", text.format(what="2019 trips", amount="20 euros"), date(2019, 6, 1))
    write(docs, "finance/travel.txt", text.format(what="finance staff", amount="40 euros"), date(2026, 1, 15))
    write(docs, "hrm/travel.txt", text.format(what="hrm staff", amount="50 euros"), date(2026, 2, 1))
    return ingested(settings, embedder)


@pytest.mark.parametrize("search_filter, expected", [
    (SearchFilter(folder="hr"), {"hr/travel.md", "hr/archive/travel-2019.txt"}),  # subfolders, not "hrm"
    (SearchFilter(folder="hr/archive/"), {"hr/archive/travel-2019.txt"}),
    (SearchFilter(file_types=("md",)), {"hr/travel.md"}),
    (SearchFilter(file_types=("TXT",), since=date(2026, 1, 1)), {"finance/travel.txt", "hrm/travel.txt"}),
    (SearchFilter(until=date(2025, 3, 1)), {"hr/travel.md", "hr/archive/travel-2019.txt"}),  # inclusive
    (SearchFilter(since=date(2025, 1, 1), until=date(2026, 1, 31)), {"hr/travel.md", "finance/travel.txt"}),
    (SearchFilter(folder="legal"), set()),
])
def test_filters_limit_both_rankers(filtered_engine: ChatEngine, search_filter: SearchFilter,
                                    expected: set[str]) -> None:
    for query, weights in (("travel allowance per day", DENSE_ONLY), ("travel allowance per day", BM25_ONLY),
                           ("출장 일비", BIGRAMS_ONLY), ("travel allowance per day", None)):
        found = filtered_engine.retriever.search(query, 10, "en", search_filter, weights=weights)
        assert set(sources(found)) == expected, weights


def test_a_configured_cross_encoder_orders_the_passages(
    tmp_path: Path, sample_settings: Settings, embedder
) -> None:
    from sentence_transformers import CrossEncoder

    folder = tiny_cross_encoder(tmp_path / "reranker", Path(sample_settings.embed_model_path))
    # Neighbours and joins off: the scores are checked against the cross-encoder on each chunk's own text.
    settings = sample_settings.model_copy(update={"reranker_model": folder, "neighbours": 0, "join_adjacent": 0})
    engine = ChatEngine(settings, embedder=embedder)
    query = "How many days of annual leave?"
    passages = engine.search(query, 4)

    scores = CrossEncoder(str(folder)).predict([(query, p.text) for p in passages])
    assert [p.score for p in passages] == pytest.approx([float(s) for s in scores], abs=1e-5)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    # The reranker chose from the fused candidates (4 x the 10 the engine asks for), not only the fused top 4.
    fused = ChatEngine(sample_settings, embedder=embedder).retriever.search(query, 4 * DEPTH, "en")
    assert {p.id for p in passages} <= {p.id for p in fused}


def test_a_reranker_folder_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a model folder"):
        Reranker(tmp_path)


def tiny_cross_encoder(folder: Path, tokenizer_from: Path) -> Path:
    """A randomly initialised two-layer BERT with a one-score head: a cross-encoder
    for the real code path, or a random encoder, with no download."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_from))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
