"""Parsed documents -> chunks (llama-index TextNodes) with their metadata.

Markdown headings split a section first (MarkdownNodeParser), then each
heading's body is cut at sentence boundaries (SentenceSplitter) to a size
counted in the embedder's own word pieces, so no chunk is silently truncated
by the embedder — except Hangul, which is counted in morphemes (see
``content_length``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from storage import HANGUL_RUN, Analyzer, as_metadata, indexed_text

from .readers import ParsedDocument, Section

# llama-index (about 2 s to import) is imported where chunks are made: a run
# with nothing to chunk never loads it.
if TYPE_CHECKING:
    from llama_index.core.schema import TextNode

# Bump when how a file becomes chunks changes (readers included), so stores re-chunk their files.
# 3: Hangul counted in morphemes; 4: a sub-section's first chunk carries its parents' headings,
# and a part with nothing but its heading line is no chunk of its own; 5: Markdown link targets dropped;
# 6: pipe tables (HWP/HWPX, HTML, Markdown) as rows with their headers and caption, forms as fields, PDF
# lines the page wrapped joined and running headers and footers left out.
CHUNKER_VERSION = 6

# Kiwi finds about 0.6 morphemes per Hangul syllable: 0.60 in the KISA ISMS-P
# guide, 0.65 in the dev pack's KorQuAD articles (particles and endings included).
MORPHEMES_PER_SYLLABLE = 0.6


@dataclass(frozen=True)
class FileInfo:
    """What the chunker records about the file every chunk came from."""

    rel_path: str
    content_hash: str
    mtime: float
    ingested_at: str


def chunker_signature(chunk_size: int, chunk_overlap: int) -> str:
    """Identifies the chunking settings and the chunks' index terms: files chunked otherwise are re-chunked."""
    return f"v{CHUNKER_VERSION}-a{Analyzer.VERSION}-{chunk_size}-{chunk_overlap}"


def reread_reason(old: str, new: str) -> str:
    """Why a file whose bytes did not change is read and chunked again, from its two signatures."""
    old_parts, new_parts = old.split("-"), new.split("-")
    if len(old_parts) != 4 or len(new_parts) != 4:
        return f"how files become chunks changed ({old} -> {new})"
    (v0, a0, size0, overlap0), (v1, a1, size1, overlap1) = old_parts, new_parts
    if v0 != v1:
        return f"the readers and chunker changed (version {v0[1:]} -> {v1[1:]})"
    if a0 != a1:
        return f"the index terms changed (analyzer {a0[1:]} -> {a1[1:]})"
    return f"the chunk settings changed (size {size0} -> {size1}, overlap {overlap0} -> {overlap1})"


class Chunker:
    def __init__(
        self, chunk_size: int, chunk_overlap: int, tokenizer: Callable[[str], list], analyzer: Analyzer
    ) -> None:
        from llama_index.core.node_parser import MarkdownNodeParser, SentenceSplitter

        self.signature = chunker_signature(chunk_size, chunk_overlap)
        self._analyzer = analyzer
        self._markdown = MarkdownNodeParser()
        self._splitter = SentenceSplitter(
            chunk_size=chunk_size, chunk_overlap=chunk_overlap, tokenizer=content_length(tokenizer)
        )

    def chunk(self, parsed: ParsedDocument, file: FileInfo) -> list[TextNode]:
        title = parsed.title or file.rel_path.rsplit("/", 1)[-1]
        pieces = [
            (section, heading, text)
            for section in parsed.sections
            for heading, body in self._headed_bodies(section)
            for text in self._splitter.split_text(body)
            if text.strip()
        ]
        nodes = [
            _node(file, f"{file.content_hash}/{self.signature}", index, title, section, heading, text)
            for index, (section, heading, text) in enumerate(pieces)
        ]
        for node in nodes:
            # Index terms travel with the chunk: the BM25 index is rebuilt from them.
            terms = self._analyzer.terms(indexed_text(str(node.metadata["heading"]), node.text))
            node.metadata["lexical"] = as_metadata(terms)
        return nodes

    def _headed_bodies(self, section: Section) -> list[tuple[str, str]]:
        """(heading path, text) for each heading's part of the section.

        A part that holds nothing but its heading line ("# 2.5.3 사용자 인증"
        straight above "## 인증 기준") is left out: as a passage it would match
        the title words and say nothing, and its words reach the parts below it
        through their heading paths. A section of headings only keeps them all.
        """
        from llama_index.core import Document

        parts = [
            (_heading(part.metadata.get("header_path", "/"), part.text), part.text)
            for part in self._markdown.get_nodes_from_documents([Document(text=section.text)])
        ]
        with_content = [(heading, text) for heading, text in parts if not _is_heading_line(text)]
        return with_content or parts


def content_length(tokenize: Callable[[str], list]) -> Callable[[str], list]:
    """The length the splitter measures: the embedder's word pieces, Hangul in morphemes.

    The packaged MiniLM lower-cases with accent stripping, which decomposes each
    Hangul syllable into its jamo: Korean costs ~1.7 of its pieces per syllable,
    so a 200-piece chunk held one Korean sentence (median, dev pack) where it
    holds six English ones, and Korean answers fell between chunks
    (docs/BENCHMARKS.md). A morpheme carries about what an English word piece
    does, so Hangul is counted in morphemes whatever the embedder. A Korean
    chunk can then outrun an English-only embedder's window; the dense side
    has little say in Korean then anyway (``chatbot.search.fusion``).
    """

    def length(text: str) -> list:
        syllables = sum(len(run) for run in HANGUL_RUN.findall(text))
        if not syllables:
            return tokenize(text)
        # Only the length counts: the splitter never reads the pieces back.
        return tokenize(HANGUL_RUN.sub(" ", text)) + [0] * round(MORPHEMES_PER_SYLLABLE * syllables)

    return length


def _heading(header_path: str, text: str) -> str:
    """'Leave > Annual leave': the parents' headings plus the part's own, if it opens with one."""
    names = [name for name in header_path.strip("/").split("/") if name]
    first_line = text.lstrip().split("\n", 1)[0]
    if first_line.startswith("#"):
        names.append(first_line.lstrip("#").strip())
    return " > ".join(names)


def _is_heading_line(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith("#") and "\n" not in stripped


def chunk_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def chunk_id(rel_path: str, version: str, index: int) -> str:
    """Unique per file path and version (content and chunking): a new version's
    chunks never collide with the old one's."""
    path_key = hashlib.sha256(rel_path.encode("utf-8")).hexdigest()[:12]
    version_key = hashlib.sha256(version.encode("utf-8")).hexdigest()[:12]
    return f"{path_key}-{version_key}-{index:05d}"


def _node(
    file: FileInfo, version: str, index: int, title: str, section: Section, heading: str, text: str
) -> TextNode:
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    folder, _, name = file.rel_path.rpartition("/")
    metadata: dict[str, str | int | float] = {
        "source": file.rel_path,
        "folder": folder,
        "file_type": name.rsplit(".", 1)[-1].lower() if "." in name else "",
        "title": title,
        "heading": heading,
        "chunk_index": index,
        "content_hash": file.content_hash,
        "chunk_hash": chunk_hash(indexed_text(heading, text)),
        "mtime": int(file.mtime),
        "ingested_at": file.ingested_at,
    }
    # Chroma metadata cannot hold None: absent locations are left out.
    for key in ("page", "slide", "sheet"):
        value = getattr(section, key)
        if value is not None:
            metadata[key] = value
    if section.ocr_confidence is not None:
        metadata.update(ocr=True, ocr_confidence=section.ocr_confidence)
    node = TextNode(id_=chunk_id(file.rel_path, version, index), text=text, metadata=metadata)
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=file.rel_path)
    return node
