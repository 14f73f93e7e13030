"""Every supported format, built as a real file, ingested once, checked in the store."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingest
from settings import Settings
from tests import builders
from tests.helpers import stored_chunks

KOREAN = "연차 휴가는 입사 1년 후 15일이 주어진다. 휴가 신청은 인사팀에 한다."
# A page as a PDF prints it: a running header and footer, a paragraph cut by the page's width.
WRAPPED_PAGES = [
    "ACME Corp Directive 12 - Internal\nPurpose\n"
    "This directive implements Section 508 of the Rehabilitation Act of 1973 for all of the\n"
    "Department's electronic and information technology, as amended by the Workforce\n"
    "Investment Act of 1998.\nPage 1 of 3",
    "ACME Corp Directive 12 - Internal\nScope\n"
    "The directive applies to every office, contractor and system that the Department pays\n"
    "for or operates.\nPage 2 of 3",
    "ACME Corp Directive 12 - Internal\nReview\n"
    "The Section 508 Program Office reviews this directive every three years and publishes\n"
    "its findings.\nPage 3 of 3",
]
# A bid notice in HWPX: a table with its caption, and a form's label and value cells.
BID_NOTICE = (
    "입찰 공고\n\n< 입찰 개요 >\n\n| 구분 | 금액 | 비고 |\n| --- | --- | --- |\n"
    "| 기초금액 | 72,300,000원 | 부가세 포함 |\n| 추정가격 | 65,727,273원 | 부가세 별도 |\n\n"
    "| 공고일 | 2026. 3. 2. |\n| --- | --- |\n| 입찰 마감일 | 2026. 3. 16. 18:00 |\n"
)
# A financial table as SEC filings write it: spanning headers, the currency sign in a cell of its own.
RESULTS_HTML = (
    "<html><body><p>CONSOLIDATED STATEMENTS OF INCOME</p><table>"
    "<tr><td></td><td colspan='2'>Three Months Ended</td><td colspan='2'>Nine Months Ended</td></tr>"
    "<tr><td></td><td colspan='2'>June 28, 2025</td><td colspan='2'>June 28, 2025</td></tr>"
    "<tr><td>Net sales</td><td>$</td><td>94,036</td><td>$</td><td>313,695</td></tr>"
    "<tr><td>Income taxes</td><td></td><td>4,597</td><td></td><td>16,010</td></tr>"
    "</table></body></html>"
)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[ingest.IngestReport, dict[str, list[dict]]]:
    root = tmp_path_factory.mktemp("formats")
    docs = root / "docs"
    (docs / "policies").mkdir(parents=True)
    builders.write_pdf(docs / "security.pdf", [
        "IT security rules\nPasswords must have at least 12 characters.",
        "VPN access\nUse the company VPN on public networks.",
        "정보보안 규정\n비밀번호는 90일마다 바꾼다.",
    ])
    builders.write_docx(docs / "policies" / "expenses.docx", [
        ("Title", "Expense rules"),
        ("Heading 1", "Travel"),
        ("Normal", "Economy class is required for flights under six hours."),
        ("Heading 2", "Meals"),
        ("Normal", "Meals are reimbursed up to 40 euros per day."),
    ], table=[["Item", "Limit"], ["Taxi", "50 EUR"], ["Hotel", "150 EUR"]])
    builders.write_pptx(docs / "onboarding.pptx", [
        ("Welcome aboard", "Your first week starts with a laptop handover."),
        ("Benefits", "Health insurance starts on day one."),
    ], notes={2: "Mention the gym subsidy."})
    builders.write_xlsx(docs / "limits.xlsx", {
        "Travel": [["Item", "Limit (KRW)"], ["Taxi", 50000], ["Hotel", 150000]],
        "Meals": [["Meal", "Limit (KRW)"], ["Lunch", 12000]],
    })
    (docs / "contacts.csv").write_bytes("부서,담당자\n인사팀,김민지\n보안팀,이준호\n".encode("cp949"))
    (docs / "faq.html").write_bytes(
        "<html><head><meta charset='euc-kr'><title>자주 묻는 질문</title>"
        "<script>var tracking = 1;</script></head><body><h1>재택 근무</h1>"
        "<p>재택 근무는 주 2회까지 가능하다.</p></body></html>".encode("euc-kr")
    )
    (docs / "guide.md").write_text(
        "---\ntitle: Onboarding guide\nlayout: page\n---\n# Onboarding\n\n## Accounts\n\n"
        "Your email account is created by IT on your first day.\n\n"
        "Reset it in the [account portal](https://id.example/reset \"Reset\"){target=_blank} "
        "or see the [IT FAQ][faq]. ![Login screen](img/login_(1).png)\n\n[faq]: https://wiki.example/it-faq\n",
        encoding="utf-8",
    )
    (docs / "utf8.txt").write_text("Parking is free for employees in lot B.", encoding="utf-8")
    (docs / "utf16.txt").write_text("The office closes at 7 pm on Fridays.", encoding="utf-16")
    (docs / "cp949.txt").write_bytes(KOREAN.encode("cp949"))
    (docs / "euckr.txt").write_bytes("사내 식당은 오전 11시 30분에 연다.".encode("euc-kr"))
    builders.write_hwpx(docs / "hr.hwpx", "# 인사 규정\n\n## 연차 휴가\n\n" + KOREAN + "\n")
    builders.write_hwp(docs / "welfare.hwp", ["복리후생 규정", "경조사 휴가는 5일이다."])
    (docs / "tools.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    builders.write_pdf(docs / "directive.pdf", WRAPPED_PAGES)
    builders.write_hwpx(docs / "bid.hwpx", BID_NOTICE)
    builders.write_docx(docs / "hotels.docx", [("Normal", "Hotel limits by city")],
                        table=[["City", "Limit"], ["Seoul", "150,000 KRW"], ["Busan", "120,000 KRW"]])
    (docs / "results.html").write_text(RESULTS_HTML, encoding="utf-8")

    settings = Settings(data_dir=root / "data", docs_dir=docs, store_dir=root / "store")
    report = ingest.run(settings, embedder=embedder)
    by_source: dict[str, list[dict]] = {}
    for chunk in stored_chunks(settings):
        by_source.setdefault(chunk["source"], []).append(chunk)
    return report, by_source


def text_of(chunks: list[dict]) -> str:
    return "\n".join(c["text"] for c in chunks)


def test_every_readable_file_goes_in_and_other_types_are_counted(ingested) -> None:
    report, by_source = ingested
    assert report.failed == []
    assert report.added == 17
    assert report.skipped == 1  # tools.zip
    assert "tools.zip" not in by_source
    assert report.chunks_total == sum(len(c) for c in by_source.values())


def test_pdf_keeps_page_numbers(ingested) -> None:
    chunks = ingested[1]["security.pdf"]
    pages = {c["page"]: c["text"] for c in chunks}
    assert "12 characters" in pages[1]
    assert "VPN" in pages[2]
    assert "90일마다" in pages[3]


def test_docx_headings_and_table_rows(ingested) -> None:
    chunks = ingested[1]["policies/expenses.docx"]
    meals = next(c for c in chunks if "40 euros" in c["text"])
    assert meals["heading"] == "Expense rules > Travel > Meals"
    assert meals["folder"] == "policies"
    assert "Item: Taxi; Limit: 50 EUR" in text_of(chunks)


def test_pptx_keeps_slide_numbers_and_notes(ingested) -> None:
    chunks = ingested[1]["onboarding.pptx"]
    slides = {c["slide"]: c["text"] for c in chunks}
    assert "laptop handover" in slides[1]
    assert "Health insurance" in slides[2] and "gym subsidy" in slides[2]


def test_xlsx_rows_readable_with_sheet_names(ingested) -> None:
    chunks = ingested[1]["limits.xlsx"]
    sheets = {c["sheet"]: c["text"] for c in chunks}
    assert "Item: Taxi; Limit (KRW): 50000" in sheets["Travel"]
    assert "Meal: Lunch; Limit (KRW): 12000" in sheets["Meals"]


def test_csv_in_cp949_is_decoded(ingested) -> None:
    assert "부서: 인사팀; 담당자: 김민지" in text_of(ingested[1]["contacts.csv"])


def test_html_drops_scripts_and_keeps_headings(ingested) -> None:
    chunks = ingested[1]["faq.html"]
    assert "주 2회" in text_of(chunks)
    assert "tracking" not in text_of(chunks)
    assert chunks[0]["title"] == "자주 묻는 질문"
    assert chunks[0]["heading"] == "재택 근무"


def test_markdown_front_matter_gives_title_not_text(ingested) -> None:
    chunks = ingested[1]["guide.md"]
    assert chunks[0]["title"] == "Onboarding guide"
    assert "layout" not in text_of(chunks)
    assert any(c["heading"] == "Onboarding > Accounts" for c in chunks)


def test_markdown_links_keep_their_text_not_their_target(ingested) -> None:
    text = text_of(ingested[1]["guide.md"])
    assert "Reset it in the account portal or see the IT FAQ. Login screen" in text
    assert not any(markup in text for markup in ("example", "img/", "target", "[", "]", "(", "{"))


@pytest.mark.parametrize("name, expected", [
    ("utf8.txt", "lot B"),
    ("utf16.txt", "closes at 7 pm"),
    ("cp949.txt", KOREAN),
    ("euckr.txt", "사내 식당은 오전 11시 30분에 연다."),
])
def test_text_encodings_never_mojibake(ingested, name: str, expected: str) -> None:
    assert expected in text_of(ingested[1][name])


def test_hwpx_and_hwp(ingested) -> None:
    assert "15일이 주어진다" in text_of(ingested[1]["hr.hwpx"])
    hwp = ingested[1]["welfare.hwp"]
    assert "경조사 휴가는 5일이다." in text_of(hwp)
    assert hwp[0]["title"] == "복리후생 규정"


def test_every_chunk_carries_its_metadata(ingested) -> None:
    for source, chunks in ingested[1].items():
        for chunk in chunks:
            assert chunk["source"] == source
            assert len(chunk["content_hash"]) == 64
            assert chunk["ingested_at"].startswith("20")
            assert chunk["title"]
            assert chunk["file_type"] == Path(source).suffix.lstrip(".")


def test_markdown_with_only_front_matter_keeps_its_title_and_link(settings: Settings, docs: Path, embedder) -> None:
    (docs / "org-chart.md").write_text(
        "---\ntitle: Org chart\nredirect_to: https://intranet.example/org\nredirect_from:\n  - /org/\n---\n"
    )
    report = ingest.run(settings, embedder=embedder)
    assert report.failed == []
    [chunk] = stored_chunks(settings)
    assert chunk["title"] == "Org chart"
    assert "https://intranet.example/org" in chunk["text"]


def test_pdf_lines_are_joined_into_sentences_and_running_lines_left_out(ingested) -> None:
    _, by_source = ingested
    text = text_of(by_source["directive.pdf"])
    assert ("This directive implements Section 508 of the Rehabilitation Act of 1973 for all of the Department's "
            "electronic and information technology, as amended by the Workforce Investment Act of 1998.") in text
    assert "ACME Corp Directive" not in text and "of 3" not in text
    assert "Purpose\n" in text and "for or operates." in text  # a heading keeps its own line


def test_table_rows_carry_their_headers_and_caption_and_form_fields_their_labels(ingested) -> None:
    _, by_source = ingested
    bid = text_of(by_source["bid.hwpx"])
    assert "입찰 개요 › 구분: 기초금액; 금액: 72,300,000원; 비고: 부가세 포함" in bid
    assert "공고일: 2026. 3. 2." in bid and "입찰 마감일: 2026. 3. 16. 18:00" in bid
    assert "Hotel limits by city › City: Busan; Limit: 120,000 KRW" in text_of(by_source["hotels.docx"])
    results = text_of(by_source["results.html"])
    assert ("CONSOLIDATED STATEMENTS OF INCOME › Net sales; Three Months Ended June 28, 2025: $94,036; "
            "Nine Months Ended June 28, 2025: $313,695") in results
    assert "|" not in results
