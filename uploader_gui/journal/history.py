"""The history of finished uploads: what went where, kept apart from the queue.

One row per upload that ended (done, skipped as already there, failed, cancelled), written in the
same transaction that records the end (:meth:`Journal.update`), so "Remove finished" in the queue
leaves it. Each row belongs to one Procore (its API address); rows older than the configured days
are pruned.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from uploader_gui.domain import Destination, DestinationKind, UploadState

SCHEMA = """
CREATE TABLE IF NOT EXISTS history (
    -- the queue item it records (ids are never reused): a retried upload keeps one row
    upload_id INTEGER PRIMARY KEY,
    api_base TEXT NOT NULL,
    company_id INTEGER NOT NULL,
    project_id INTEGER,
    project TEXT NOT NULL,
    destination TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    result TEXT NOT NULL,
    error TEXT,
    finished_at REAL NOT NULL,
    procore_id INTEGER,
    file_url TEXT,
    folder_url TEXT
);
CREATE INDEX IF NOT EXISTS history_by_procore ON history(api_base, finished_at);
"""

_COLUMNS = ("upload_id, api_base, company_id, project_id, project, destination, name, path,"
            " size, result, error, finished_at, procore_id, file_url, folder_url")


@dataclass(frozen=True)
class HistoryEntry:
    """One finished upload as the history keeps it."""

    upload_id: int
    #: The Procore API it went to (only the current Procore's history is shown).
    api_base: str
    company_id: int
    project_id: int | None
    #: The project's name ("Company Documents" for the company's own folders).
    project: str
    #: Where it went, for people: "Main Street Tower / Documents / Drawings / Level 2".
    destination: str
    #: The file's name in Procore.
    name: str
    #: The file on this computer.
    path: Path
    size: int
    result: UploadState
    error: str | None
    finished_at: float
    procore_id: int | None
    #: The file's own address in Procore (its latest version's ``url``), when Procore gave one.
    file_url: str | None
    #: The folder (or photos) page holding it.
    folder_url: str | None

    @property
    def link(self) -> str | None:
        """The best address to open or share: the file's, else its folder's."""
        return (self.file_url or self.folder_url) if self.result in _IN_PROCORE else None


_IN_PROCORE = frozenset({UploadState.DONE, UploadState.SKIPPED})


def record_end(db: sqlite3.Connection, upload_id: int) -> None:
    """Write (or rewrite) the history row of an upload that has just ended; inside the caller's
    write transaction."""
    row = db.execute("SELECT * FROM uploads WHERE id=?", (upload_id,)).fetchone()
    if row is None or not UploadState(row["state"]).finished or row["finished_at"] is None:
        return
    db.execute(f"INSERT OR REPLACE INTO history ({_COLUMNS}) VALUES"
               " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", _values(row))


def copy_finished(db: sqlite3.Connection) -> None:
    """Journals from before the history: their finished uploads become its first rows."""
    done = tuple(s.value for s in UploadState if s.finished)
    rows = db.execute(f"SELECT * FROM uploads WHERE state IN ({','.join('?' * len(done))})"
                      " AND finished_at IS NOT NULL", done).fetchall()
    db.executemany(f"INSERT OR IGNORE INTO history ({_COLUMNS}) VALUES"
                   " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [_values(r) for r in rows])


def entries(db: sqlite3.Connection, api_base: str) -> list[HistoryEntry]:
    """One Procore's history, newest first."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM history WHERE api_base=?"
                      " ORDER BY finished_at DESC, upload_id DESC", (api_base,)).fetchall()
    return [_entry(r) for r in rows]


def _values(row: sqlite3.Row) -> tuple[object, ...]:
    destination = Destination.from_json(json.loads(row["destination"]))
    where = " / ".join([str(destination), *json.loads(row["subfolders"])])
    # The name in Procore: the one it gave when it renamed the file, else the one asked for.
    # (An older journal gains both columns in _migrate before its rows are copied here.)
    name = row["procore_name"] or row["name"]
    return (row["id"], row["api_base"], destination.company_id, destination.project_id,
            project_name(destination), where, name, row["path"], row["size"],
            row["state"], row["error"], row["finished_at"], row["procore_id"],
            row["file_url"], row["web_url"])


def project_name(destination: Destination) -> str:
    """The project (or "Company Documents") the destination's label begins with."""
    first = destination.label.split(" / ", 1)[0].strip()
    if first:
        return first
    if destination.kind is DestinationKind.COMPANY_FOLDER:
        return "Company Documents"
    return f"Project {destination.project_id}"


def _entry(row: sqlite3.Row) -> HistoryEntry:
    return HistoryEntry(
        upload_id=row["upload_id"], api_base=row["api_base"], company_id=row["company_id"],
        project_id=row["project_id"], project=row["project"], destination=row["destination"],
        name=row["name"], path=Path(row["path"]), size=row["size"],
        result=UploadState(row["result"]), error=row["error"], finished_at=row["finished_at"],
        procore_id=row["procore_id"], file_url=row["file_url"], folder_url=row["folder_url"])
