"""A deterministic synthetic documents folder: many small policy-like files in English and Korean.

    python -m benchmarks.synthetic_corpus FOLDER [--files N]

The same seed gives the same bytes on every machine, so re-ingest figures
from different runs are over the same corpus. Files are spread over
sub-folders (as a real shared drive is) and are short, so the figure a
benchmark takes from them is about per-file costs: scanning, hashing, the
manifest, start-up.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

SEED = 20261203
FILES_PER_FOLDER = 50
KOREAN_SHARE = 0.3

_EN_SUBJECTS = ("travel", "expense", "laptop", "password", "leave", "visitor", "backup", "printer", "parking",
                "training", "contract", "invoice", "badge", "meeting room", "overtime", "remote work")
_EN_RULES = (
    "Requests for {s} must be approved by a team lead within {n} working days.",
    "The {s} policy applies to every employee and contractor from {y}.",
    "Claims above {n}00 euros for {s} need a second signature from finance.",
    "Questions about {s} go to the help desk at extension {n}{n}{n}.",
    "Records of {s} are kept for {n} years and then deleted.",
)
_KO_SUBJECTS = ("출장", "경비", "노트북", "비밀번호", "휴가", "방문객", "백업", "주차", "교육", "계약", "연장근무")
_KO_RULES = (
    "{s} 신청은 {n}일 이내에 팀장의 승인을 받아야 한다.",
    "{s} 규정은 {y}년부터 모든 직원과 계약직에게 적용된다.",
    "{s} 관련 문의는 내선 {n}{n}{n}번 지원팀으로 한다.",
    "{s} 기록은 {n}년간 보관한 뒤 삭제한다.",
)


def _document(rng: random.Random, korean: bool) -> str:
    subjects, rules = (_KO_SUBJECTS, _KO_RULES) if korean else (_EN_SUBJECTS, _EN_RULES)
    subject = rng.choice(subjects)
    lines = [f"# {subject}", ""]
    for _ in range(rng.randint(4, 9)):
        lines.append(rng.choice(rules).format(s=subject, n=rng.randint(2, 9), y=rng.randint(2015, 2026)))
    return "\n".join(lines) + "\n"


def write_corpus(folder: Path, files: int) -> list[Path]:
    """Write ``files`` documents under ``folder`` (made if missing); the paths written."""
    rng = random.Random(SEED)
    written = []
    for number in range(files):
        korean = rng.random() < KOREAN_SHARE
        name = f"{'규정' if korean else 'policy'}-{number:05d}.md"
        path = folder / f"dept-{number // FILES_PER_FOLDER:03d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_document(rng, korean), encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    print(f"{len(write_corpus(args.folder, args.files))} files in {args.folder}")


if __name__ == "__main__":
    main()
