"""Ingestion: documents folder -> chunks -> store.

    from ingest import run
    report = run(get_settings())
"""

import settings as _settings  # noqa: F401  (offline mode before any model library loads)

from .chunking import chunker_signature, reread_reason
from .ocr import ocr_problem
from .pipeline import IngestError, run
from .report import IngestReport
from .scan import Failure

__all__ = ["Failure", "IngestError", "IngestReport", "chunker_signature", "ocr_problem", "reread_reason", "run"]
