"""Reading a source: a cited chunk among its neighbours, each shown once (the chunker's overlap cut), the
current version flagged when the answer cited an older one; the original file only for its readers, and
never a file outside the documents folder."""

from __future__ import annotations

import re
from pathlib import Path

import ingest
from chatbot import ChatEngine
from settings import Settings
from storage import UNRESTRICTED, Reader

HANA = Reader("hana", frozenset({"hr"}))
ETHAN = Reader("ethan", frozenset({"eng"}))


def rules_corpus(docs: Path) -> None:
    """An HR handbook long enough for many chunks (each rule a numbered sentence), and an engineering note."""
    (docs / "hr").mkdir()
    (docs / "hr" / ".access").write_text("hr\n")
    sections = [f"## Part {part}\n\n" + " ".join(
        f"Rule {part * 30 + n} says that request {part * 30 + n} is answered within {n % 10 + 2} working days."
        for n in range(30)) for part in range(3)]
    (docs / "hr" / "handbook.md").write_text("# Handbook\n\n" + "\n\n".join(sections) + "\n")
    (docs / "eng").mkdir()
    (docs / "eng" / ".access").write_text("eng\n")
    (docs / "eng" / "deploys.md").write_text("# Deploys\n\nDeploys stop on Fridays at 15:00.\n")


def test_a_cited_chunk_is_shown_among_its_neighbours_each_sentence_once(settings: Settings, docs: Path,
                                                                        embedder) -> None:
    rules_corpus(docs)
    ingest.run(settings, embedder=embedder)
    engine = ChatEngine(settings, embedder=embedder)
    hit = engine.search("How fast is request 33 answered?", 1, reader=HANA)[0]
    context = engine.context(hit.source, hit.chunk_index, hit.content_hash, HANA, radius=2)
    assert context is not None and context.current and context.focus == hit.chunk_index
    assert context.total >= 8  # the handbook spans many chunks
    indexes = [chunk.index for chunk in context.chunks]
    assert indexes == list(range(max(hit.chunk_index - 2, 0), min(hit.chunk_index + 3, context.total)))
    shown = "".join(chunk.text for chunk in context.chunks)
    assert "request 33 is answered within 5 working days" in shown
    assert context.chunks[indexes.index(hit.chunk_index)].text.count("Rule ") >= 3
    rules = re.findall(r"Rule (\d+) says", shown)
    assert len(rules) == len(set(rules)) >= 5  # the overlap the chunker repeats is shown once
    assert all(chunk.heading.startswith(("Handbook", "Part")) for chunk in context.chunks)

    # The window stops at the file's ends.
    first = engine.context(hit.source, 0, "", HANA, radius=2)
    assert [c.index for c in first.chunks] == [0, 1, 2]
    last = engine.context(hit.source, 10_000, "", HANA, radius=1)
    assert last.focus == context.total - 1 and [c.index for c in last.chunks] == [context.total - 2, context.total - 1]
    # An answer that cited an older version of the file is shown the current one, and told so.
    assert not engine.context(hit.source, hit.chunk_index, "an-older-version", HANA).current


def test_a_source_exists_only_for_those_who_may_read_it(settings: Settings, docs: Path, embedder,
                                                        tmp_path: Path) -> None:
    rules_corpus(docs)
    ingest.run(settings, embedder=embedder)
    engine = ChatEngine(settings, embedder=embedder)
    assert engine.context("hr/handbook.md", 0, "", ETHAN) is None
    assert engine.context("hr/handbook.md", 0, "", UNRESTRICTED) is not None
    assert engine.context("hr/missing.md", 0, "", UNRESTRICTED) is None
    assert engine.original("hr/handbook.md", HANA) == (docs / "hr" / "handbook.md").resolve()
    assert engine.original("hr/handbook.md", ETHAN) is None
    assert engine.original("eng/deploys.md", ETHAN) == (docs / "eng" / "deploys.md").resolve()
    for path in ("../settings.py", "/etc/passwd", "hr/../../settings.py", "hr"):
        assert engine.original(path, UNRESTRICTED) is None, path
    # An indexed file replaced on disk by a link out of the documents folder is not handed out.
    outside = tmp_path / "secret.txt"
    outside.write_text("not a document")
    (docs / "eng" / "deploys.md").unlink()
    (docs / "eng" / "deploys.md").symlink_to(outside)
    assert engine.original("eng/deploys.md", ETHAN) is None
    (docs / "eng" / "deploys.md").unlink()
    assert engine.original("eng/deploys.md", ETHAN) is None  # gone from disk
