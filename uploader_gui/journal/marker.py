"""What the journal held, kept beside it, so a journal that lost its uploads is noticed.

An emptied journal (truncated to 0 bytes, replaced by a blank one) opens as a valid, empty
database: on its own, nothing would tell that uploads were lost. So the number of uploads it
holds is written beside it (``journal.sqlite3.count``) after each add and before each removal,
which keeps the count at or below the truth. A journal that opens with fewer uploads than the
count, or that was damaged and moved aside, is a loss: it is written down
(``journal.sqlite3.lost``) and reported at every start until the person acknowledges it, with
the unfinished uploads the moved-aside copy still shows.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from uploader_gui.fileutil import atomic_write_text

log = logging.getLogger(__name__)

#: Names of unfinished uploads shown in the report; the rest are counted.
SHOWN = 5


@dataclass
class LostUploads:
    """A loss of uploads from the journal, remembered until the person acknowledges it."""

    #: How many uploads the count said the journal held beyond what it holds (None: unknown).
    missing: int | None = None
    #: Where the damaged journal was moved, when it was.
    moved_to: str | None = None
    #: Unfinished uploads (their paths) the moved-aside copy still shows.
    unfinished: list[str] = field(default_factory=list)
    noticed_at: float = 0.0

    def __str__(self) -> str:
        if self.moved_to:
            text = (f"The list of uploads could not be read (the file was damaged), so it was "
                    f"moved to {self.moved_to} and a new list was started.")
        else:
            n = self.missing or 0
            text = (f"The list of uploads was emptied or replaced: {n} upload"
                    f"{'s' if n != 1 else ''} it held {'are' if n != 1 else 'is'} no longer in "
                    "it.")
        text += " Files already in Procore are not affected."
        if self.unfinished:
            shown = ", ".join(Path(p).name for p in self.unfinished[:SHOWN])
            more = len(self.unfinished) - SHOWN
            text += (f" Not finished when it was lost: {shown}"
                     f"{f' and {more} more' if more > 0 else ''}"
                     f" (the full list is in {self.moved_to}).")
        text += (" Add again any files that had not finished uploading. This is repeated "
                 "until you confirm you have seen it.")
        return text


def count_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".count")


def lost_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".lost")


def read_count(journal: Path) -> int | None:
    try:
        return int(json.loads(count_path(journal).read_text(encoding="utf-8"))["uploads"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("the journal's count beside it is unreadable; it is written again")
        return None


def write_count(journal: Path, uploads: int) -> None:
    try:
        atomic_write_text(count_path(journal), json.dumps({"uploads": uploads}) + "\n")
    except OSError as exc:  # the journal itself is what matters; the count is a safeguard
        log.warning("could not write the journal's count: %s", exc)


def load_loss(journal: Path) -> LostUploads | None:
    try:
        raw = json.loads(lost_path(journal).read_text(encoding="utf-8"))
        return LostUploads(raw.get("missing"), raw.get("moved_to"),
                           [str(p) for p in raw.get("unfinished") or []],
                           float(raw.get("noticed_at") or 0.0))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, AttributeError):
        return LostUploads()  # a record of a loss, unreadable: still a loss to report


def record_loss(journal: Path, loss: LostUploads) -> None:
    earlier = load_loss(journal)
    if earlier is not None:  # not acknowledged yet: keep what it said too
        loss.missing = (loss.missing or 0) + (earlier.missing or 0) or None
        loss.moved_to = loss.moved_to or earlier.moved_to
        loss.unfinished = earlier.unfinished + loss.unfinished
    loss.noticed_at = loss.noticed_at or time.time()
    atomic_write_text(lost_path(journal), json.dumps(asdict(loss)) + "\n")


def clear_loss(journal: Path) -> None:
    lost_path(journal).unlink(missing_ok=True)


def salvage_unfinished(aside: Path) -> list[str]:
    """Paths of unfinished uploads still readable in a damaged journal (best effort)."""
    try:
        db = sqlite3.connect(f"file:{aside}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        rows = db.execute("SELECT path FROM uploads WHERE state NOT IN "
                          "('done', 'skipped', 'failed', 'cancelled') ORDER BY id").fetchall()
    except sqlite3.Error:
        return []
    finally:
        db.close()
    return [str(r[0]) for r in rows]
