"""The shipped reader: its files are the ones its config and model card name, it loads and finds the words
that answer, a question its passage does not answer stays under the gate, and an altered file is refused
by name."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from chatbot.model.reader import CARD_FILE, CONFIG_FILE, ReaderUnavailable, SpanReader, file_sha256
from settings import Settings

LEAVE = "Full-time employees receive 15 days of paid annual leave per calendar year. Unused days expire in March."
LEAVE_KO = "입사 1년 후에는 15일의 유급 연차 휴가가 주어지며, 근속 2년마다 1일씩 늘어난다."


@pytest.fixture(scope="module")
def reader() -> SpanReader:
    settings = Settings()
    return SpanReader(settings.reader_dir, settings.embed_model_path)


def test_the_shipped_files_are_the_ones_the_config_and_the_card_name(reader: SpanReader) -> None:
    folder = reader.folder
    weights, data = folder / reader.config["weights"], folder / reader.config["weights_data"]
    assert (file_sha256(weights), file_sha256(data)) == (reader.config["sha256"], reader.config["sha256_data"])
    card = (folder / CARD_FILE).read_text(encoding="utf-8")
    assert set(re.findall(r"\b[0-9a-f]{64}\b", card)) == {reader.config["sha256"], reader.config["sha256_data"]}
    for named in ("Base model", "Data", "CC BY-SA 4.0", "CC BY-ND 2.0 KR", "make train-reader", "Figures"):
        assert named in card


def test_it_finds_the_words_that_answer(reader: SpanReader) -> None:
    question = "How many days of annual leave do employees get?"
    reading = reader.read(question, ["Passwords must be at least 12 characters long.", LEAVE])
    assert reading is not None and reading.passage == 1
    assert "15 days" in reading.text and len(reading.text) <= 2 * len("15 days") + 4
    assert LEAVE[reading.start:reading.end] == reading.text
    assert 0 < reading.confidence <= 1 and 0 < reading.no_answer <= 1


def test_korean_words_are_read_whole_but_korean_is_not_gated(reader: SpanReader) -> None:
    """The shipped reader learned too little Korean to be trusted (docs/BENCHMARKS.md): its spans still
    start and end on the passage's own characters, and no Korean gate is set, so it never states them."""
    reading = reader.read("연차 휴가는 며칠인가요?", [LEAVE_KO])
    assert reading is not None and LEAVE_KO[reading.start:reading.end] == reading.text
    assert "ko" not in Settings().min_reader_confidence


def test_a_question_the_passage_does_not_answer_stays_under_the_gate(reader: SpanReader) -> None:
    reading = reader.read("Who founded the company and in which city?", [LEAVE])
    assert reading is None or reading.confidence < Settings().min_reader_confidence["en"]


def test_an_altered_file_is_refused_by_name(reader: SpanReader, tmp_path: Path) -> None:
    copy = tmp_path / "reader"
    shutil.copytree(reader.folder, copy)
    data = copy / reader.config["weights_data"]
    blob = bytearray(data.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    data.write_bytes(bytes(blob))
    with pytest.raises(ReaderUnavailable, match="sha256"):
        SpanReader(copy, Settings().embed_model_path)
    (copy / CONFIG_FILE).unlink()
    with pytest.raises(ReaderUnavailable, match=str(copy / CONFIG_FILE)):
        SpanReader(copy, Settings().embed_model_path)
