"""The journal: every upload's state in SQLite (WAL, synchronous=FULL), so work survives a kill.

Each step of an upload is written before and after it happens; a kill at any instant leaves a
state from which the engine continues. No token is ever written here.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

from uploader_gui.domain import ConflictPolicy, Destination, Phase, UploadItem, UploadState
from uploader_gui.journal import history, marker
from uploader_gui.journal.history import HistoryEntry

log = logging.getLogger(__name__)

#: 2: ``uploads.api_base``, the Procore each upload was queued for (version 1 journals are
#: migrated on opening; their uploads get "" and wait until someone says which Procore).
#: 3: ``uploads.file_url`` and the ``history`` table (history.py); finished uploads of an
#: older journal are copied into the history when it is opened.
#: 4: ``uploads.procore_name``, the name Procore gave a file it renamed (the history lists it).
SCHEMA_VERSION = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    destination TEXT NOT NULL,
    subfolders TEXT NOT NULL,
    conflict TEXT NOT NULL,
    state TEXT NOT NULL,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    procore_id INTEGER,
    web_url TEXT,
    created_at REAL NOT NULL,
    finished_at REAL,
    -- the transfer: what Procore and storage know of this file
    phase TEXT NOT NULL DEFAULT 'new',
    folder_id INTEGER,
    version_of INTEGER,
    segment_size INTEGER,
    upload_uuid TEXT,
    upload_owner TEXT,
    upload_created_at REAL,
    instructions TEXT,
    assoc_name TEXT,
    assoc_started_at REAL,
    api_base TEXT NOT NULL DEFAULT '',
    file_url TEXT,
    procore_name TEXT
);
CREATE INDEX IF NOT EXISTS uploads_state ON uploads(state);
CREATE TABLE IF NOT EXISTS segments (
    upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    md5 TEXT,
    url TEXT,
    headers TEXT,
    etag TEXT,
    PRIMARY KEY (upload_id, idx)
);
"""


class ItemChanges(TypedDict, total=False):
    """The columns of one upload that :meth:`Journal.update` may change, with their types."""

    state: UploadState
    bytes_done: int
    error: str | None
    procore_id: int | None
    web_url: str | None
    file_url: str | None
    procore_name: str | None
    size: int
    mtime_ns: int
    segment_size: int | None
    name: str
    phase: Phase
    folder_id: int | None
    version_of: int | None
    assoc_name: str | None
    assoc_started_at: float | None
    instructions: dict[str, Any] | None
    conflict: ConflictPolicy
    api_base: str


@dataclass
class SegmentRecord:
    """One segment: where it is in the file, its hashes, and what storage answered."""

    index: int
    offset: int
    size: int
    sha256: str
    md5: str | None = None
    url: str | None = None
    headers: dict[str, str] | None = None
    etag: str | None = None


@dataclass
class TransferRecord:
    """The Procore side of one upload, as the journal holds it."""

    phase: Phase = Phase.NEW
    folder_id: int | None = None
    version_of: int | None = None
    segment_size: int | None = None
    upload_uuid: str | None = None
    upload_owner: str | None = None
    upload_created_at: float | None = None
    #: Non-segmented: {"url": ..., "fields": [[name, value], ...]} (field order kept).
    instructions: dict[str, Any] | None = None
    assoc_name: str | None = None
    assoc_started_at: float | None = None
    segments: list[SegmentRecord] = field(default_factory=list)


class JournalCorrupt(Exception):
    """The journal file could not be read and could not be moved aside; the text says what to do."""


class Journal:
    """Thread-safe access to the journal database. One instance per process."""

    def __init__(self, connection: sqlite3.Connection, path: Path,
                 recovered_from: Path | None = None) -> None:
        self._db = connection
        self._lock = threading.RLock()
        # Reads go through a connection of their own: in WAL mode they see every committed
        # write and never wait while another thread's commit is being written to disk.
        self._reader = _connect_reader(path)
        self._read_lock = threading.Lock()
        self.path = path
        #: Where a corrupt journal was moved to when this one was opened, if that happened.
        self.recovered_from = recovered_from
        self.loss: marker.LostUploads | None = None

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: Path | None = None) -> Journal:
        """Open (or create) the journal; a corrupt one is moved aside and a new one started."""
        if path is None:
            from uploader_gui.config import data_dir

            path = data_dir() / "journal.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            journal = cls(_connect(path), path)
        except sqlite3.DatabaseError as exc:
            aside = _free_name(path.with_name(f"{path.name}.corrupt-"
                                              f"{time.strftime('%Y%m%d-%H%M%S')}"))
            log.error("journal %s is unreadable (%s); moving it to %s", path, exc, aside)
            try:
                for suffix in ("", "-wal", "-shm"):
                    src = Path(str(path) + suffix)
                    if os.path.lexists(src):
                        os.replace(src, Path(str(aside) + suffix))
                journal = cls(_connect(path), path, recovered_from=aside)
            except (OSError, sqlite3.DatabaseError) as again:
                raise JournalCorrupt(
                    f"The list of uploads at {path} cannot be read, and it could not be moved "
                    f"out of the way and replaced by a new one "
                    f"({getattr(again, 'strerror', None) or again}). Move or delete that file, "
                    "then start again.") from again
        journal._account_for_losses()
        return journal

    def _account_for_losses(self) -> None:
        """Compare what the journal holds with the count beside it (see marker.py)."""
        with self._read() as db:
            held = int(db.execute("SELECT COUNT(*) FROM uploads").fetchone()[0])
        counted = marker.read_count(self.path)
        if self.recovered_from is not None or (counted is not None and held < counted):
            missing = counted - held if counted is not None and counted > held else None
            aside = self.recovered_from
            marker.record_loss(self.path, marker.LostUploads(
                missing, str(aside) if aside else None,
                marker.salvage_unfinished(aside) if aside else []))
            log.error("the journal lost uploads (%s held, %s counted)", held, counted)
        if counted != held:
            marker.write_count(self.path, held)
        #: Uploads the journal lost, reported until :meth:`acknowledge_loss`.
        self.loss = marker.load_loss(self.path)

    def recovery_notice(self) -> str | None:
        """What to tell the person while a loss of uploads is not acknowledged."""
        if self.loss is None:
            return None
        return f"{self.loss} (To confirm: procore-uploader status --acknowledge-lost.)"

    def acknowledge_loss(self) -> None:
        """The person has seen the report of lost uploads: stop repeating it."""
        marker.clear_loss(self.path)
        self.loss = None

    def _count_changed(self, db: sqlite3.Connection) -> None:
        marker.write_count(self.path, int(db.execute("SELECT COUNT(*) FROM uploads")
                                          .fetchone()[0]))

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._reader.close()
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            with self._db:  # commits, or rolls back on an exception
                yield self._db

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every SELECT inside sees the same committed state."""
        with self._read_lock:
            self._reader.execute("BEGIN")
            try:
                yield self._reader
            finally:
                self._reader.execute("COMMIT")

    # ------------------------------------------------------------------- items
    def add_items(self, items: Iterable[UploadItem]) -> list[UploadItem]:
        """Store new items (ids are assigned) in one transaction."""
        now = time.time()
        with self._tx() as db:
            stored = [self._insert(db, item, now) for item in items]
        with self._read() as db:  # after the commit: the count never says more than it holds
            self._count_changed(db)
        return stored

    def add_new_items(self, items: Iterable[UploadItem],
                      same: Callable[[UploadItem, UploadItem], bool]
                      ) -> tuple[list[UploadItem], list[UploadItem]]:
        """Store the items that are not queued yet; returns (stored, twins already there).

        An item whose (path, destination, subfolders, api_base) is already in the journal is left
        out when ``same(twin, item)`` says so. The look and the insert are one write transaction
        (BEGIN IMMEDIATE), so two processes adding the same file at the same moment queue it
        once.
        """
        stored: list[UploadItem] = []
        twins: list[UploadItem] = []
        now = time.time()
        with self._tx() as db:
            db.execute("BEGIN IMMEDIATE")
            known = self._known(db)
            for item in items:
                key = (str(item.path), destination_key(item.destination),
                       json.dumps(list(item.subfolders)), item.api_base)
                twin = known.get(key)
                if twin is not None and same(twin, item):
                    twins.append(twin)
                    continue
                known[key] = self._insert(db, item, now)
                stored.append(item)
        if stored:
            with self._read() as db:  # after the commit: the count never says more than it holds
                self._count_changed(db)
        return stored, twins

    @staticmethod
    def _insert(db: sqlite3.Connection, item: UploadItem, now: float) -> UploadItem:
        cur = db.execute(
            "INSERT INTO uploads (path, name, size, mtime_ns, destination, subfolders,"
            " conflict, state, created_at, api_base) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (str(item.path), item.name, item.size, item.mtime_ns,
             json.dumps(item.destination.to_json()), json.dumps(list(item.subfolders)),
             item.conflict.value, UploadState.QUEUED.value, now, item.api_base))
        item.id = int(cur.lastrowid or 0)
        item.created_at = now
        item.state = UploadState.QUEUED
        return item

    def get(self, upload_id: int) -> UploadItem:
        with self._read() as db:
            row = db.execute("SELECT * FROM uploads WHERE id=?", (upload_id,)).fetchone()
        if row is None:
            raise KeyError(upload_id)
        return _item(row)

    def items(self) -> list[UploadItem]:
        with self._read() as db:
            rows = db.execute("SELECT * FROM uploads ORDER BY id").fetchall()
        return [_item(r) for r in rows]

    def unfinished(self) -> list[UploadItem]:
        done = tuple(s.value for s in UploadState if s.finished)
        with self._read() as db:
            rows = db.execute(
                f"SELECT * FROM uploads WHERE state NOT IN ({','.join('?' * len(done))})"
                " ORDER BY id", done).fetchall()
        return [_item(r) for r in rows]

    def failed_with_bytes_stored(self) -> list[UploadItem]:
        """Failed items whose bytes are all in storage (only attaching them is left)."""
        with self._read() as db:
            rows = db.execute("SELECT * FROM uploads WHERE state=? AND phase IN (?, ?)"
                              " ORDER BY id", (UploadState.FAILED.value, Phase.STORED.value,
                                               Phase.ASSOCIATING.value)).fetchall()
        return [_item(r) for r in rows]

    def known_files(self) -> dict[tuple[str, str, str, str], UploadItem]:
        """Items by (path, destination, subfolders, api_base), leaving out failed and cancelled."""
        with self._read() as db:
            return self._known(db)

    @staticmethod
    def _known(db: sqlite3.Connection) -> dict[tuple[str, str, str, str], UploadItem]:
        skip = (UploadState.FAILED.value, UploadState.CANCELLED.value)
        rows = db.execute(
            "SELECT * FROM uploads WHERE state NOT IN (?,?) ORDER BY id", skip).fetchall()
        # The same file for the same place of *another* Procore is not a twin.
        return {(r["path"], _dest_key(r["destination"]), r["subfolders"], r["api_base"]):
                _item(r) for r in rows}

    def update(self, upload_id: int, **values: Unpack[ItemChanges]) -> None:
        """Change item columns (see :class:`ItemChanges`); a new state sets ``finished_at``."""
        if not values:
            return
        cols = []
        args: list[Any] = []
        for key, value in values.items():
            if isinstance(value, UploadState | ConflictPolicy | Phase):
                value = value.value
            elif key == "instructions" and value is not None:
                value = json.dumps(value)
            cols.append(f"{key}=?")
            args.append(value)
        state = values.get("state")
        if state is not None:
            cols.append("finished_at=?")
            args.append(time.time() if state.finished else None)
        with self._tx() as db:
            db.execute(f"UPDATE uploads SET {', '.join(cols)} WHERE id=?", (*args, upload_id))
            if state is not None and state.finished:
                history.record_end(db, upload_id)  # the end and its history: one commit

    def remove(self, upload_ids: Iterable[int]) -> int:
        ids = list(upload_ids)
        if not ids:
            return 0
        with self._tx() as db:
            db.execute("BEGIN IMMEDIATE")
            marks = ",".join("?" * len(ids))
            gone = int(db.execute(f"SELECT COUNT(*) FROM uploads WHERE id IN ({marks})",
                                  ids).fetchone()[0])
            total = int(db.execute("SELECT COUNT(*) FROM uploads").fetchone()[0])
            # Before the commit: the count never says more than the journal holds.
            marker.write_count(self.path, total - gone)
            for upload_id in ids:
                db.execute("DELETE FROM segments WHERE upload_id=?", (upload_id,))
                db.execute("DELETE FROM uploads WHERE id=?", (upload_id,))
        return len(ids)

    def prune(self, older_than_days: float) -> int:
        """Forget finished uploads older than the given age (history is kept until then)."""
        cutoff = time.time() - older_than_days * 86400
        done = tuple(s.value for s in UploadState if s.finished)
        with self._read() as db:
            rows = db.execute(
                f"SELECT id FROM uploads WHERE state IN ({','.join('?' * len(done))})"
                " AND finished_at IS NOT NULL AND finished_at < ?", (*done, cutoff)).fetchall()
        return self.remove(r["id"] for r in rows)

    # ----------------------------------------------------------------- history
    def history(self, api_base: str) -> list[HistoryEntry]:
        """The finished uploads sent to one Procore, newest first (not touched by
        :meth:`remove`)."""
        with self._read() as db:
            return history.entries(db, api_base)

    def clear_history(self, api_base: str) -> int:
        """Forget one Procore's history (the queue is left as it is)."""
        with self._tx() as db:
            return db.execute("DELETE FROM history WHERE api_base=?", (api_base,)).rowcount

    def prune_history(self, older_than_days: float) -> int:
        """Forget history older than the given age."""
        cutoff = time.time() - older_than_days * 86400
        with self._tx() as db:
            return db.execute("DELETE FROM history WHERE finished_at < ?", (cutoff,)).rowcount

    # ---------------------------------------------------------------- transfer
    def transfer(self, upload_id: int) -> TransferRecord:
        with self._read() as db:
            row = db.execute("SELECT * FROM uploads WHERE id=?", (upload_id,)).fetchone()
            if row is None:
                raise KeyError(upload_id)
            segs = db.execute(
                "SELECT * FROM segments WHERE upload_id=? ORDER BY idx", (upload_id,)).fetchall()
        return TransferRecord(
            phase=Phase(row["phase"]), folder_id=row["folder_id"], version_of=row["version_of"],
            segment_size=row["segment_size"], upload_uuid=row["upload_uuid"],
            upload_owner=row["upload_owner"], upload_created_at=row["upload_created_at"],
            instructions=json.loads(row["instructions"]) if row["instructions"] else None,
            assoc_name=row["assoc_name"], assoc_started_at=row["assoc_started_at"],
            segments=[SegmentRecord(index=s["idx"], offset=s["offset"], size=s["size"],
                                    sha256=s["sha256"], md5=s["md5"], url=s["url"],
                                    headers=json.loads(s["headers"]) if s["headers"] else None,
                                    etag=s["etag"]) for s in segs])

    def save_hashes(self, upload_id: int, segment_size: int,
                    segments: list[SegmentRecord]) -> None:
        """Store freshly computed segment hashes; forgets any earlier Procore upload."""
        with self._tx() as db:
            db.execute("DELETE FROM segments WHERE upload_id=?", (upload_id,))
            db.executemany(
                "INSERT INTO segments (upload_id, idx, offset, size, sha256, md5)"
                " VALUES (?,?,?,?,?,?)",
                [(upload_id, s.index, s.offset, s.size, s.sha256, s.md5) for s in segments])
            db.execute(
                "UPDATE uploads SET phase=?, segment_size=?, upload_uuid=NULL, upload_owner=NULL,"
                " upload_created_at=NULL, instructions=NULL WHERE id=?",
                (Phase.NEW.value, segment_size, upload_id))

    def save_created(self, upload_id: int, uuid: str, owner: str | None, created_at: float,
                     instructions: dict[str, Any] | None,
                     segment_links: list[tuple[str, dict[str, str]]] | None,
                     folder_id: int | None = None) -> None:
        """Record Procore's new upload and its storage instructions (segment links in order),
        and the Procore folder it goes to when given."""
        with self._tx() as db:
            db.execute(
                "UPDATE uploads SET phase=?, upload_uuid=?, upload_owner=?, upload_created_at=?,"
                " instructions=?, folder_id=COALESCE(?, folder_id) WHERE id=?",
                (Phase.CREATED.value, uuid, owner, created_at,
                 json.dumps(instructions) if instructions is not None else None, folder_id,
                 upload_id))
            if segment_links is not None:
                db.executemany(
                    "UPDATE segments SET url=?, headers=?, etag=NULL WHERE upload_id=? AND idx=?",
                    [(url, json.dumps(headers), upload_id, i)
                     for i, (url, headers) in enumerate(segment_links)])

    def save_links(self, upload_id: int, created_at: float,
                   instructions: dict[str, Any] | None,
                   segment_links: list[tuple[str, dict[str, str]]] | None) -> None:
        """Replace the storage links of the same Procore upload (re-signed); ETags are kept."""
        with self._tx() as db:
            db.execute("UPDATE uploads SET upload_created_at=?, instructions=? WHERE id=?",
                       (created_at, json.dumps(instructions) if instructions else None,
                        upload_id))
            if segment_links is not None:
                db.executemany(
                    "UPDATE segments SET url=?, headers=? WHERE upload_id=? AND idx=?",
                    [(url, json.dumps(headers), upload_id, i)
                     for i, (url, headers) in enumerate(segment_links)])

    def save_etag(self, upload_id: int, index: int, etag: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE segments SET etag=? WHERE upload_id=? AND idx=?",
                       (etag, upload_id, index))

    def restart_transfer(self, upload_id: int, keep_hashes: bool) -> None:
        """Forget the Procore upload (and, unless ``keep_hashes``, the segment hashes)."""
        with self._tx() as db:
            if keep_hashes:
                db.execute("UPDATE segments SET url=NULL, headers=NULL, etag=NULL"
                           " WHERE upload_id=?", (upload_id,))
            else:
                db.execute("DELETE FROM segments WHERE upload_id=?", (upload_id,))
            db.execute(
                "UPDATE uploads SET phase=?, upload_uuid=NULL, upload_owner=NULL,"
                " upload_created_at=NULL, instructions=NULL, assoc_name=NULL,"
                " assoc_started_at=NULL, bytes_done=0"
                + ("" if keep_hashes else ", segment_size=NULL") + " WHERE id=?",
                (Phase.NEW.value, upload_id))


def _free_name(wanted: Path) -> Path:
    """``wanted``, else ``wanted-2``, ``-3``...: never replaces a journal moved aside earlier."""
    candidate, n = wanted, 1
    while os.path.lexists(candidate):
        n += 1
        candidate = wanted.with_name(f"{wanted.name}-{n}")
    return candidate


def _connect(path: Path) -> sqlite3.Connection:
    if not path.exists():
        # Created readable by the user only, before SQLite opens it.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    db = _open(path)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        result = db.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {result}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, 1, 2, 3, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"journal schema {version} is newer than this app")
        db.executescript(_SCHEMA + history.SCHEMA)
        _migrate(db, version)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        # isolation_level=None is autocommit; "with db" still needs explicit transactions.
        db.isolation_level = "DEFERRED"
    except BaseException:
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring an older journal to this version; one process at a time (another may be at it)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(uploads)")}
        if "api_base" not in columns:
            db.execute("ALTER TABLE uploads ADD COLUMN api_base TEXT NOT NULL DEFAULT ''")
        if "file_url" not in columns:
            db.execute("ALTER TABLE uploads ADD COLUMN file_url TEXT")
        if "procore_name" not in columns:
            db.execute("ALTER TABLE uploads ADD COLUMN procore_name TEXT")
        if version < 3:
            history.copy_finished(db)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection to the journal ``_connect`` has opened (and set up)."""
    db = _open(path)
    db.execute("PRAGMA query_only=ON")
    return db


def _open(path: Path) -> sqlite3.Connection:
    """A connection any thread may use (under the journal's locks), rows by column name."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    db.row_factory = sqlite3.Row
    return db


def _dest_key(destination_json: str) -> str:
    data = json.loads(destination_json)
    data.pop("label", None)
    return json.dumps(data, sort_keys=True)


def destination_key(destination: Destination) -> str:
    """The form of a destination used to spot the same file queued twice for one place."""
    data = destination.to_json()
    data.pop("label", None)
    return json.dumps(data, sort_keys=True)


def _item(row: sqlite3.Row) -> UploadItem:
    return UploadItem(
        id=row["id"], path=Path(row["path"]), size=row["size"], mtime_ns=row["mtime_ns"],
        destination=Destination.from_json(json.loads(row["destination"])),
        subfolders=tuple(json.loads(row["subfolders"])), name=row["name"],
        conflict=ConflictPolicy(row["conflict"]), state=UploadState(row["state"]),
        bytes_done=row["bytes_done"], error=row["error"], procore_id=row["procore_id"],
        web_url=row["web_url"], file_url=row["file_url"], created_at=row["created_at"],
        finished_at=row["finished_at"], api_base=row["api_base"],
        procore_name=row["procore_name"])
