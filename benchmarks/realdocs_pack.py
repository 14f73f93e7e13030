"""The real-documents pack as `make eval` reads it (benchmarks/realdocs/README.md): a folder holding the
questions and a `corpus/` of links to the documents — ../shared/eval/realfiles (not its SOURCES.md), the
handbook's two folders and the sample documents — made under the data directory, never in the
repository: the documents' licences keep them out of it, and the bundle copies what git holds.

    python -m benchmarks.realdocs_pack SHARED OUT   # e.g. ../shared data/packs/realdocs
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from settings import REPO_ROOT

QUESTIONS = REPO_ROOT / "benchmarks" / "realdocs" / "questions.jsonl"


def build(shared: Path, out: Path) -> Path:
    """The pack at ``out`` (made anew), its links absolute; its folder's name names the eval's store."""
    realfiles, handbook = shared / "eval" / "realfiles", shared / "eval" / "handbook"
    if not realfiles.is_dir():
        raise SystemExit(f"{realfiles}: not found (the real documents come with ../shared)")
    if out.exists():
        shutil.rmtree(out)
    corpus = out / "corpus"
    (corpus / "realfiles").mkdir(parents=True)
    for path in sorted(realfiles.iterdir()):
        if path.name != "SOURCES.md":
            (corpus / "realfiles" / path.name).symlink_to(path.resolve())
    (corpus / "handbook").mkdir()
    for folder in sorted(p for p in handbook.iterdir() if p.is_dir()):
        (corpus / "handbook" / folder.name).symlink_to(folder.resolve())
    (corpus / "sample").symlink_to((REPO_ROOT / "documents").resolve())
    shutil.copyfile(QUESTIONS, out / "questions.jsonl")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shared", type=Path)
    parser.add_argument("out", type=Path)
    arguments = parser.parse_args()
    print(build(arguments.shared, arguments.out))


if __name__ == "__main__":
    main()
