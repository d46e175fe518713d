"""The history as CSV, for a transmittal log: what went where, when, and its link."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from uploader_gui.fileutil import atomic_write_text
from uploader_gui.journal.history import HistoryEntry

COLUMNS = ("Date", "File name", "Project", "Folder in Procore", "Result", "Size (bytes)",
           "Link in Procore", "File on this computer", "Problem")


def rows(entries: Iterable[HistoryEntry],
         problem: Callable[[HistoryEntry], str] | None = None) -> list[list[str]]:
    """The CSV's rows, heading first; dates in this computer's time. ``problem`` words what
    went wrong (the recorded error text when not given)."""
    problem = problem or (lambda e: e.error or "")
    out = [list(COLUMNS)]
    for e in entries:
        out.append([time.strftime("%Y-%m-%d %H:%M", time.localtime(e.finished_at)), e.name,
                    e.project, e.destination, str(e.result), str(e.size), e.link or "",
                    str(e.path), problem(e)])
    return [[_cell(c) for c in row] for row in out]


def write(path: Path, entries: Iterable[HistoryEntry],
          problem: Callable[[HistoryEntry], str] | None = None) -> int:
    """Write the CSV at ``path`` (whole or not at all); returns the number of uploads."""
    buffer = io.StringIO()
    table = rows(entries, problem)
    # "\n" here becomes the system's line end when written; the BOM tells Excel it is UTF-8.
    csv.writer(buffer, lineterminator="\n").writerows(table)
    atomic_write_text(path, "\ufeff" + buffer.getvalue())
    return len(table) - 1


def _cell(text: str) -> str:
    # A name such as "=1+2.pdf" must stay a name in a spreadsheet, not become a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
