"""Tables as the HWP parser and the HTML converter write them (Markdown pipe tables with lost spans),
rewritten as rows that carry their headers and caption."""

from __future__ import annotations

from ingest.readers.tables import pipe_tables_as_rows

# How the HWP parser writes a table whose year cells span four quarter columns: the spans are lost, and
# the second row of percentages lost its label cell.
QUARTERS = """< 분기별 해외직접투자액 추이(억 달러, %) >

| 구분 | 2024년 | 2025년 |
| --- | --- | --- |
| 1분기 | 2분기 | 3분기 | 4분기 | 1분기 | 2분기 |
| 총투자 | 166.1 | 163.4 | 145.7 | 182.8 | 157.4 | 141.5 |
| (△9.0) | (1.4) | (△3.2) | (10.3) | (△5.3) | (△13.4) |
본문은 표 다음에 이어진다."""


def test_a_table_that_lost_its_spans_gets_each_value_its_year_and_quarter() -> None:
    lines = pipe_tables_as_rows(QUARTERS).splitlines()
    assert ("분기별 해외직접투자액 추이(억 달러, %) › 구분: 총투자; 2024년 1분기: 166.1; 2024년 2분기: 163.4; "
            "2024년 3분기: 145.7; 2024년 4분기: 182.8; 2025년 1분기: 157.4; 2025년 2분기: 141.5") in lines
    assert lines[-2].startswith("분기별 해외직접투자액 추이(억 달러, %) › 2024년 1분기: (△9.0);")
    assert lines[-2].endswith("2025년 2분기: (△13.4)")
    assert lines[-1] == "본문은 표 다음에 이어진다."
    assert not any(line.startswith("|") for line in lines)


def test_a_two_column_table_is_a_form_of_labels_and_values() -> None:
    form = "| 창업아이템명 | 스마트 물류 로봇 |\n| --- | --- |\n| 산출물 | 모바일 어플리케이션(1개) |"
    assert pipe_tables_as_rows(form).splitlines() == ["창업아이템명: 스마트 물류 로봇", "산출물: 모바일 어플리케이션(1개)"]
