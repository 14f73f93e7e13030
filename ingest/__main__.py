"""``python -m ingest [PATH] [--json] [--rebuild] [--if-empty] [--progress-lines]``: make the store mirror a
documents folder.

Exit codes: 0 every readable file went in; 1 some files failed (listed);
2 the run could not start or go on (the store, the folder or the embedder; what was stored stays).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from settings import get_settings
from storage import EmbeddingBackendError, StoreError, lexical_index_outdated, stored_chunk_count

from . import IngestError, run
from .progress import Step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", type=Path, help="documents folder (default: RAG_DOCS_DIR)")
    parser.add_argument("--json", action="store_true", help="print only a JSON report on stdout")
    parser.add_argument("--rebuild", action="store_true", help="empty the store first and re-ingest everything")
    parser.add_argument("--if-empty", action="store_true",
                        help="do nothing when the store already holds chunks (unless its keyword index needs updating)")
    parser.add_argument("--progress-lines", action="store_true",
                        help='one JSON line per step on stderr: {"progress": {"done", "started", "total", "file"}}')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")

    settings = get_settings()
    if args.if_empty and (chunks := stored_chunk_count(settings)):
        if not lexical_index_outdated(settings):
            print(f"The store at {settings.store_path} already holds {chunks} chunks; not ingesting.", file=sys.stderr)
            return 0
        # A store from an older version: a normal run rebuilds its keyword index, or search would lack it.
        print(f"The store at {settings.store_path} has a keyword index from an older version; updating.",
              file=sys.stderr)

    # With --json, stdout carries the report alone: anything a library prints goes to stderr.
    stdout = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr if args.json else stdout):
            report = run(settings, args.path, rebuild=args.rebuild,
                         progress=sys.stderr.isatty() and not args.progress_lines,
                         on_progress=_progress_line if args.progress_lines else None)
    except (IngestError, StoreError, EmbeddingBackendError) as error:
        print(f"ingest: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False), file=stdout)
    else:
        print(report.summary(), file=stdout)
    return 0 if report.ok else 1


def _progress_line(step: Step) -> None:
    print(json.dumps({"progress": asdict(step)}, ensure_ascii=False), file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
