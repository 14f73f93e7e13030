"""Documents whose text is out of a plain reader's reach: 배포용 HWP (ViewText, AES with a key inside the file),
PDFs locked with an empty password, and files whose only text is a viewer's placeholder."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingest
from chatbot import ChatEngine
from ingest.placeholder import placeholder_of
from ingest.readers.hwp_distribution import decrypt_view_text, key_of, unscramble
from settings import Settings
from tests import builders
from tests.helpers import stored_chunks

DISTRIBUTED = ["민원 처리 규정", "민원 처리 기한은 접수일로부터 7일이며 담당 부서는 총무과이다."]
LOCKED = "Copy protected handbook\nThe badge office opens at 8:30 and issues visitor cards."
XFA = ("Please wait... \n\nIf this message is not eventually replaced by the proper contents of the document, "
       "your PDF viewer may not be able to display this type of document. \n\nYou can upgrade to the latest "
       "version of Adobe Reader for Windows, Mac, or Linux by visiting http://www.adobe.com/go/reader_download.")


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory, embedder, llm, models: Path):
    root = tmp_path_factory.mktemp("locked")
    docs = root / "docs"
    docs.mkdir()
    builders.write_hwp(docs / "배포용.hwp", DISTRIBUTED, distribution=True)
    builders.write_hwp(docs / "placeholder.hwp", [builders.DISTRIBUTION_PLACEHOLDER])  # no ViewText at all
    builders.lock_pdf(builders.write_pdf(docs / "copy-protected.pdf", [LOCKED]))
    builders.lock_pdf(builders.write_pdf(docs / "password.pdf", ["Salary bands"]), user_password="s3cret")
    builders.write_pdf(docs / "xfa-form.pdf", [XFA])
    settings = Settings(data_dir=root / "data", docs_dir=docs, models_dir=models)
    report = ingest.run(settings, embedder=embedder)
    return report, settings, ChatEngine(settings, embedder=embedder, llm=llm)


def test_a_distribution_hwp_is_read_from_its_encrypted_view_text(locked) -> None:
    report, settings, engine = locked
    chunks = [c for c in stored_chunks(settings) if c["source"] == "배포용.hwp"]
    assert chunks and "총무과" in chunks[0]["text"] and "배포용 문서입니다" not in chunks[0]["text"]
    assert chunks[0]["title"] == "민원 처리 규정"
    hits = engine.search("민원 처리 기한은 며칠인가요?", k=3)
    assert hits[0].source == "배포용.hwp" and "접수일로부터 7일" in hits[0].text


def test_a_pdf_locked_with_an_empty_password_is_read_and_one_with_a_password_is_reported(locked) -> None:
    report, settings, engine = locked
    hits = engine.search("When does the badge office open?", k=3)
    assert (hits[0].source, hits[0].page) == ("copy-protected.pdf", 1) and "8:30" in hits[0].text
    failed = {f.path: f.error for f in report.failed}
    assert "a password is required" in failed["password.pdf"]


def test_a_file_holding_only_a_viewers_placeholder_is_reported_not_stored(locked) -> None:
    report, settings, _ = locked
    failed = {f.path: f.error for f in report.failed}
    assert set(failed) == {"password.pdf", "placeholder.hwp", "xfa-form.pdf"}
    assert "placeholder" in failed["placeholder.hwp"] and "배포용 문서입니다" in failed["placeholder.hwp"]
    assert "placeholder" in failed["xfa-form.pdf"] and "Please wait" in failed["xfa-form.pdf"]
    assert {c["source"] for c in stored_chunks(settings)} == {"배포용.hwp", "copy-protected.pdf"}
    assert report.added == 2


def test_the_placeholder_check_leaves_documents_that_mention_such_words() -> None:
    assert placeholder_of(builders.DISTRIBUTION_PLACEHOLDER)
    assert placeholder_of("이 문서는 배포용 문서입니다. 민원 처리 기한은 접수일로부터 7일이며 담당 부서는 총무과이다.") is None
    assert placeholder_of("This document is protected by copyright. Employees get 25 days of annual leave, "
                          "booked through the HR portal.") is None


def test_view_text_decryption_follows_the_format() -> None:
    # The scrambling is its own inverse, the key sits where the first byte says, and a stream that does
    # not start with the distribution record is refused with the reason.
    payload = bytes(range(256))
    assert unscramble(unscramble(payload)) == payload
    assert len(key_of(payload)) == 16
    with pytest.raises(ValueError, match="not the distribution record"):
        decrypt_view_text(b"\x43\x00\x00\x10" + b"\x00" * 300)
