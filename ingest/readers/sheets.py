"""Spreadsheets: XLSX (one section per sheet, sheet names kept) and CSV/TSV."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from .base import ParsedDocument, ReadError, Section, register
from .tables import render_rows
from .text import read_text_file


@register(".xlsx", ".xlsm")
def read_xlsx(path: Path) -> ParsedDocument:
    try:
        # data_only: the values Excel last computed, not the formulas.
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ReadError(f"not a readable XLSX file: {error}") from error
    try:
        sections = [
            Section(text=f"# {sheet.title}\n\n{body}", sheet=sheet.title)
            for sheet in workbook.worksheets
            if (body := render_rows(list(sheet.iter_rows(values_only=True))))
        ]
        title = workbook.properties.title
    finally:
        workbook.close()
    return ParsedDocument(sections=sections, title=title or None)


@register(".csv", ".tsv")
def read_csv(path: Path) -> ParsedDocument:
    text = read_text_file(path)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    return ParsedDocument(sections=[Section(text=render_rows(rows))])
