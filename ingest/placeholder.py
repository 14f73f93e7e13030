"""Text that only says the document cannot be shown: a viewer's placeholder, never the document.

Real files carry such text where their content is out of a reader's reach: a 배포용 HWP's BodyText ("이 문서는
상위 버전의 배포용 문서입니다…"), an XFA form's PDF text layer ("Please wait... If this message is not
eventually replaced…"), a protected file's cover page. Stored, it would be found by no question and yet count as
ingested; it is reported instead.
"""

from __future__ import annotations

import re

# Each pattern names a sentence that speaks about the viewer or the protection, not about any subject.
PATTERNS = [re.compile(p, re.IGNORECASE) for p in (
    r"배포용 문서", r"상위 버전", r"최신 버전의 (글|한글|뷰어|프로그램)", r"전용 뷰어", r"현재 버전에서",
    r"문서 내용이 손실", r"(보호된|암호화된) 문서", r"(열람|표시)할 수 없",
    r"please wait\.*", r"not eventually replaced by the proper contents",
    r"(pdf )?viewer may not be able to display",
    r"(requires|need) a (newer|later) version", r"upgrade to the latest version of",
    r"this document is (protected|encrypted|secured)", r"can ?not be (displayed|shown|viewed)",
    r"adobe (acrobat )?reader", r"trademark of",  # the XFA placeholder's own small print
)]
MAX_OTHER_LETTERS = 20  # what may be left besides such sentences ("주의!", a file name, a page number)
_SENTENCES = re.compile(r"(?<=[.!?。])\s+|\n+")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def placeholder_of(text: str) -> str | None:
    """The text, shortened, when it is nothing but such sentences; None when it is a document's text."""
    sentences = [s.strip() for s in _SENTENCES.split(text) if s.strip()]
    said = [s for s in sentences if any(p.search(s) for p in PATTERNS)]
    others = sum(len(_LETTERS.findall(s)) for s in sentences if s not in said)
    if not said or others > MAX_OTHER_LETTERS:
        return None
    joined = " ".join(said)
    return joined if len(joined) <= 120 else joined[:117] + "…"
