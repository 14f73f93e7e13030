"""The result of an ingest run, as JSON for scripts and as a summary for people."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .scan import Failure


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    permissions_updated: int = 0  # unchanged files whose readers changed (.access)
    skipped: int = 0
    failed: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)  # .access files naming groups wrongly or no one's
    reread: list[Failure] = field(default_factory=list)  # unchanged files read again, and why (a newer reader)
    chunks_written: int = 0
    chunks_embedded: int = 0  # chunks_written minus those whose vectors were reused
    chunks_total: int = 0
    ocr_pages: int = 0  # pages read by OCR in this run (those already in the OCR cache are not counted)
    seconds: float = 0.0
    peak_memory_mb: float = 0.0  # the process's peak resident memory, the run included
    repaired: dict | None = None  # what reconciliation fixed after a cut-off run

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["peak_memory_mb"] = round(self.peak_memory_mb, 1)
        return data

    def summary(self) -> str:
        lines = [
            f"Ingested in {self.seconds:.1f} s: {self.added} added, {self.updated} updated, "
            f"{self.removed} removed, {self.unchanged} unchanged ({self.permissions_updated} with new readers), "
            f"{self.skipped} skipped (unsupported type), {len(self.failed)} failed.",
            f"Chunks: {self.chunks_written} written ({self.chunks_embedded} embedded), "
            f"{self.chunks_total} in the store. {self.ocr_pages} pages read by OCR. "
            f"Peak memory {self.peak_memory_mb:.0f} MB.",
        ]
        if self.repaired:
            lines.append(f"The previous run was cut off; repaired: {self.repaired}.")
        if self.reread:
            reasons = sorted({r.error for r in self.reread})
            lines.append(f"Read again though unchanged: {len(self.reread)} files, because "
                         + "; ".join(reasons) + ".")
        if self.failed:
            lines.append("Failed:")
            lines.extend(f"  {f.path}: {f.error}" for f in self.failed)
        if self.warnings:
            lines.append("Warnings:")
            lines.extend(f"  {w.path}: {w.error}" for w in self.warnings)
        return "\n".join(lines)
