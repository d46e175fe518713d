"""The history of finished uploads: written with the end, kept when the queue forgets, one
Procore at a time, pruned by age, and older journals bring their finished uploads into it."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from uploader_gui.domain import (ConflictPolicy, Destination, DestinationKind, UploadItem,
                                 UploadState)
from uploader_gui.journal.store import Journal

PROD = "https://api.procore.com"
SANDBOX = "https://sandbox.procore.com"
DEST = Destination(DestinationKind.PROJECT_FOLDER, company_id=1, project_id=2, folder_id=3,
                   label="Main Street Tower / Documents / Drawings")


def _item(path: Path, api_base: str = PROD, dest: Destination = DEST) -> UploadItem:
    return UploadItem(id=0, path=path, size=10, mtime_ns=5, destination=dest,
                      subfolders=("Level 2",), name=path.name,
                      conflict=ConflictPolicy.KEEP_BOTH, api_base=api_base)


def test_an_upload_that_ends_is_written_to_the_history(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite3")
    done, failed, running = journal.add_items(
        [_item(tmp_path / n) for n in ("A-101.pdf", "A-102.pdf", "A-103.pdf")])
    journal.update(done.id, state=UploadState.DONE, procore_id=77,
                   file_url="https://storage.example/files/77",
                   web_url="https://app.example/2/project/documents?folder_id=3")
    journal.update(failed.id, state=UploadState.FAILED, error="The folder is read-only.")
    journal.update(running.id, state=UploadState.UPLOADING)

    entries = journal.history(PROD)
    assert [e.name for e in entries] == ["A-102.pdf", "A-101.pdf"]  # newest first
    failed_entry, done_entry = entries
    assert done_entry.result is UploadState.DONE
    assert done_entry.project == "Main Street Tower"
    assert done_entry.destination == "Main Street Tower / Documents / Drawings / Level 2"
    assert done_entry.path == tmp_path / "A-101.pdf" and done_entry.size == 10
    assert done_entry.procore_id == 77 and done_entry.project_id == 2
    assert done_entry.link == "https://storage.example/files/77"
    assert failed_entry.result is UploadState.FAILED
    assert failed_entry.error == "The folder is read-only."
    assert failed_entry.link is None  # not in Procore: nothing to open


def test_a_retried_upload_keeps_one_row_with_its_last_result(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite3")
    [item] = journal.add_items([_item(tmp_path / "plan.pdf")])
    journal.update(item.id, state=UploadState.FAILED, error="No connection.")
    journal.update(item.id, state=UploadState.QUEUED, error=None)
    journal.update(item.id, state=UploadState.DONE, error=None, procore_id=5)
    [entry] = journal.history(PROD)
    assert entry.result is UploadState.DONE and entry.error is None and entry.procore_id == 5


def test_removing_finished_uploads_from_the_queue_keeps_the_history(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite3")
    [item] = journal.add_items([_item(tmp_path / "plan.pdf")])
    journal.update(item.id, state=UploadState.DONE)
    assert journal.remove([item.id]) == 1
    assert journal.items() == []
    journal.close()
    again = Journal.open(tmp_path / "j.sqlite3")  # and it is on disk
    assert [e.name for e in again.history(PROD)] == ["plan.pdf"]


def test_history_is_per_procore_and_clearing_it_leaves_the_others(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite3")
    prod, practice = journal.add_items([_item(tmp_path / "prod.pdf"),
                                        _item(tmp_path / "practice.pdf", SANDBOX)])
    for item in (prod, practice):
        journal.update(item.id, state=UploadState.DONE)
    assert [e.name for e in journal.history(PROD)] == ["prod.pdf"]
    assert journal.clear_history(SANDBOX) == 1
    assert journal.history(SANDBOX) == []
    assert [e.name for e in journal.history(PROD)] == ["prod.pdf"]
    assert len(journal.items()) == 2  # the queue is another thing


def test_prune_forgets_history_older_than_the_days_kept(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite3")
    old, new = journal.add_items([_item(tmp_path / "old.pdf"), _item(tmp_path / "new.pdf")])
    for item in (old, new):
        journal.update(item.id, state=UploadState.DONE)
    forty_days_ago = time.time() - 40 * 86400
    with sqlite3.connect(journal.path) as db:
        db.execute("UPDATE history SET finished_at=? WHERE upload_id=?",
                   (forty_days_ago, old.id))
    assert journal.prune_history(30) == 1
    assert [e.name for e in journal.history(PROD)] == ["new.pdf"]


def test_company_documents_name_their_place(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite3")
    company = Destination(DestinationKind.COMPANY_FOLDER, company_id=1)
    [item] = journal.add_items([_item(tmp_path / "rules.pdf", dest=company)])
    journal.update(item.id, state=UploadState.CANCELLED)
    [entry] = journal.history(PROD)
    assert entry.project == "Company Documents" and entry.project_id is None
    assert entry.result is UploadState.CANCELLED


def test_a_version_2_journal_brings_its_finished_uploads_into_the_history(
        tmp_path: Path) -> None:
    """A journal written before the history (schema 2, no file_url, no history table)."""
    path = tmp_path / "old.sqlite3"
    journal = Journal.open(path)
    done, queued = journal.add_items([_item(tmp_path / "done.pdf"),
                                      _item(tmp_path / "queued.pdf")])
    journal.close()
    with sqlite3.connect(path) as db:  # as version 2 left it
        db.execute("DROP TABLE history")
        db.execute("ALTER TABLE uploads DROP COLUMN file_url")
        db.execute("ALTER TABLE uploads DROP COLUMN procore_name")
        db.execute("UPDATE uploads SET state='done', finished_at=?, procore_id=9, web_url=?"
                   " WHERE id=?", (time.time(), "https://app.example/folder", done.id))
        db.execute("PRAGMA user_version=2")

    again = Journal.open(path)
    [entry] = again.history(PROD)
    assert entry.name == "done.pdf" and entry.procore_id == 9
    assert entry.link == "https://app.example/folder"  # no file address was kept then
    assert again.get(queued.id).state is UploadState.QUEUED
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4
        assert json.loads(db.execute("SELECT destination FROM uploads WHERE id=?",
                                     (done.id,)).fetchone()[0])["project_id"] == 2


def test_a_version_3_journal_gains_the_procore_name_and_keeps_its_history(
        tmp_path: Path) -> None:
    """Schema 3 had no procore_name: opening adds it; the history stays as it was, and a file
    Procore renamed afterwards is listed under the name Procore gave it."""
    path = tmp_path / "v3.sqlite3"
    journal = Journal.open(path)
    done, renamed = journal.add_items([_item(tmp_path / "done.pdf"),
                                       _item(tmp_path / "plan.pdf")])
    journal.update(done.id, state=UploadState.DONE, procore_id=5)
    journal.close()
    with sqlite3.connect(path) as db:  # as version 3 left it
        db.execute("ALTER TABLE uploads DROP COLUMN procore_name")
        db.execute("PRAGMA user_version=3")

    again = Journal.open(path)
    assert [e.name for e in again.history(PROD)] == ["done.pdf"]
    again.update(renamed.id, state=UploadState.DONE, procore_id=6, procore_name="plan (1).pdf")
    assert again.get(renamed.id).procore_name == "plan (1).pdf"
    assert again.get(renamed.id).name == "plan.pdf", "the queue keeps the name asked for"
    assert {e.name for e in again.history(PROD)} == {"done.pdf", "plan (1).pdf"}
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4


def test_the_csv_for_a_transmittal_log(tmp_path: Path) -> None:
    import csv

    from uploader_gui.journal import history_csv

    journal = Journal.open(tmp_path / "j.sqlite3")
    plan, formula = journal.add_items([_item(tmp_path / "A-101 Plan, Rev C.pdf"),
                                       _item(tmp_path / "=SUM(A1).pdf")])
    journal.update(plan.id, state=UploadState.DONE, file_url="https://storage.example/f/1")
    journal.update(formula.id, state=UploadState.FAILED, error="Forbidden")
    out = tmp_path / "out" / "transmittal.csv"
    count = history_csv.write(out, journal.history(PROD),
                              problem=lambda e: "No permission." if e.error else "")
    assert count == 2
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())  # Excel reads the names as UTF-8
    with out.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == list(history_csv.COLUMNS)
    by_name = {row[1]: dict(zip(table[0], row, strict=True)) for row in table[1:]}
    assert by_name["A-101 Plan, Rev C.pdf"]["Link in Procore"] == "https://storage.example/f/1"
    assert by_name["A-101 Plan, Rev C.pdf"]["Result"] == "Done"
    failed = by_name["'=SUM(A1).pdf"]  # stays a name in a spreadsheet
    assert failed["Problem"] == "No permission." and failed["Link in Procore"] == ""
    assert [p.name for p in out.parent.iterdir()] == ["transmittal.csv"]
