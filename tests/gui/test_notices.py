"""What the window tells the person about its journal and its files: a damaged journal moved
aside, a name changed for Procore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_damaged_journal_is_moved_aside_and_the_window_says_so(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    journal = tmp_path / "damaged.sqlite3"
    journal.write_bytes(b"\x00garbage, not SQLite\xff" * 1000)
    parts: WindowParts = make_window(journal_path=journal,
                                     destination=documents_destination(demo))
    notice = parts.window.notice_label.text()
    assert "could not be read" in notice and ".corrupt-" in notice
    assert parts.engine.journal.recovered_from is not None
    f = tmp_path / "after.txt"
    f.write_text("the next upload works")
    parts.window.add_paths([f])
    qtbot.waitUntil(lambda: parts.window.model.totals().done == 1, timeout=20_000)
    assert "after.txt" in {d["name"] for d in sandbox.documents(project_id=demo.project_ids[0])}


def test_a_name_changed_for_procore_is_told_when_added(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    qtbot.waitUntil(lambda: parts.window.destination_bar.destination is not None,
                    timeout=10_000)
    f = tmp_path / "Level 2: plan?.pdf"
    f.write_bytes(b"%PDF plan")
    parts.window.add_paths([f])
    qtbot.waitUntil(lambda: "goes into Procore" in parts.window.notice_label.text(),
                    timeout=10_000)
    assert ('Level 2: plan?.pdf goes into Procore as "Level 2- plan-.pdf" (names in Procore '
            "cannot contain : ?).") in parts.window.notice_label.text()
    qtbot.waitUntil(lambda: parts.window.model.totals().done == 1, timeout=20_000)
    assert "Level 2- plan-.pdf" in {d["name"] for d in sandbox.documents(
        project_id=demo.project_ids[0])}


def test_a_drop_at_start_up_is_not_told_as_left_from_last_time(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The window reads the journal at start-up off its thread; a file dropped meanwhile may be
    in the journal by then. It is the drop's to queue, not an upload "from last time"."""
    import threading

    from uploader_gui.sandbox.faults import Fault
    from uploader_gui.transfer.engine import UploadEngine

    dropped = threading.Event()
    original = UploadEngine.unfinished

    def read_after_the_drop(self: UploadEngine) -> list[Any]:
        dropped.wait(10)
        return original(self)

    monkeypatch.setattr(UploadEngine, "unfinished", read_after_the_drop)
    sandbox.faults.add(Fault("stall", "storage_post", seconds=2))  # still unfinished when read
    parts: WindowParts = make_window(destination=documents_destination(demo))
    f = tmp_path / "drawing.pdf"
    f.write_bytes(b"%PDF drawing")
    parts.window.add_paths([f])
    qtbot.waitUntil(lambda: parts.window.model.rowCount() == 1, timeout=10_000)
    with qtbot.waitSignal(parts.window.queue.loaded, timeout=10_000):
        dropped.set()
    assert "from last time" not in parts.window.notice_label.text()
    assert "1 file added to the queue." in parts.window.notice_label.text()
    qtbot.waitUntil(lambda: parts.window.model.totals().done == 1, timeout=20_000)


def test_the_add_notice_counts_empty_folders_created() -> None:
    from types import SimpleNamespace

    from uploader_gui.gui.queue_words import describe_add

    added = SimpleNamespace(items=[], rejected=[], duplicates=[],
                            folders=[("Handover", "Empty"), ("Blank",)])
    assert describe_add(added) == "2 empty folders created in Procore."


def test_lost_uploads_are_told_at_every_start_until_acknowledged(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    from uploader_gui.journal.store import Journal
    from uploader_gui.transfer.model import (ConflictPolicy, Destination, DestinationKind,
                                             UploadItem)

    path = tmp_path / "journal.sqlite3"
    journal = Journal.open(path)
    dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0])
    journal.add_items([UploadItem(0, tmp_path / f"{n}.pdf", 1, 1, dest, (), f"{n}.pdf",
                                  ConflictPolicy.KEEP_BOTH) for n in ("a", "b")])
    journal.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"")  # emptied

    first: WindowParts = make_window(journal_path=path)
    assert "2 uploads it held are no longer in it" in first.window.notice_label.text()
    assert first.window.acknowledge_loss_button.isVisibleTo(first.window)

    second: WindowParts = make_window(journal_path=path)  # the next start says it again
    assert "no longer in it" in second.window.notice_label.text()
    second.window.acknowledge_loss_button.click()
    qtbot.waitUntil(lambda: second.engine.journal.loss is None, timeout=5000)
    assert not second.window.acknowledge_loss_button.isVisibleTo(second.window)
    qtbot.waitUntil(lambda: not Path(f"{path}.lost").exists(), timeout=5000)

    third: WindowParts = make_window(journal_path=path)
    assert "no longer in it" not in third.window.notice_label.text()
