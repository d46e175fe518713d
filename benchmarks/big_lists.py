"""Big lists in the window: View → History… over 10,000 finished uploads, and a Procore folder
holding 3,000 files chosen in the folder tree.

    python benchmarks/big_lists.py [--history 10000] [--folder 3000] [--in-process-sandbox]

The real ``MainWindow`` (offscreen platform) over the real engine and a real journal file, signed
in to the sandbox. The History's rows are written into the journal as the app writes them when
uploads end (``history.record_end``), then "Remove finished" takes them out of the queue. The
folder's files are put straight into the sandbox's records (uploading 3,000 files first would
measure the uploads, not the list); the window reads them over HTTP as it reads Procore's.

A 5 ms timer measures the longest time the event loop was busy (as in gui_responsiveness.py);
a keystroke and a sort run on the GUI thread from start to end, so their own time is the stall
they cause. Targets: every row shown within 1 s; no event-loop stall over 100 ms (so a
keystroke, a sort, and the wait for a list each stay under 100 ms of the GUI thread's time).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from window_harness import application, DemoServer, StallMeter, close_window, wait_until  # noqa: E402
from machine import describe, load  # noqa: E402
from PySide6 import __version__ as pyside_version  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from uploader_gui.config import Settings  # noqa: E402
from uploader_gui.gui.history_model import COL_NAME  # noqa: E402
from uploader_gui.gui.main_window import MainWindow  # noqa: E402
from uploader_gui.journal import history  # noqa: E402
from uploader_gui.journal.store import Journal  # noqa: E402
from uploader_gui.procore.client import ProcoreClient  # noqa: E402
from uploader_gui.procore.tokens import StaticTokenProvider  # noqa: E402
from uploader_gui.sandbox import DemoInfo, Sandbox, documents  # noqa: E402
from uploader_gui.transfer.engine import UploadEngine  # noqa: E402
from uploader_gui.transfer.environments import api_key  # noqa: E402
from uploader_gui.transfer.model import (ConflictPolicy, Destination,  # noqa: E402
                                         DestinationKind, UploadItem, UploadState)

#: Targets, from docs/performance.md ("The window").
ROWS_SHOWN_S = 1.0
STALL_MS = 100.0
#: The folder that gets the many files (one of the demo project's).
BIG_FOLDER = "Submittals"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


# -- the sandbox ------------------------------------------------------------------------------

def fill_folder(sandbox: Sandbox, demo: DemoInfo, count: int, blob: Path) -> None:
    """``count`` small PDFs in the demo project's Submittals folder, as if uploaded by the
    demo user (each with one version)."""
    blob.write_bytes(b"%PDF-1.7 submittal")
    state = sandbox.state
    with state.lock:
        folder = state.folders[demo.folder_ids[BIG_FOLDER]]
        for i in range(count):
            documents.add_file(state, folder, f"Submittal {i:05d}.pdf", f"bench-{i}",
                               blob.stat().st_size, blob, created_by=demo.user_id)


def _big_folder(count: int, sandbox: Sandbox, demo: DemoInfo, data_dir: Path) -> None:
    fill_folder(sandbox, demo, count, data_dir / "blob.pdf")


# -- the history ------------------------------------------------------------------------------

def write_history(path: Path, count: int, api_url: str, demo: DemoInfo, where: Path) -> None:
    """``count`` uploads ended over the last 25 days (one in 20 failed), each recorded in the
    history as the journal records an end, then taken out of the queue ("Remove finished")."""
    journal = Journal.open(path)
    dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       folder_id=demo.folder_ids["Drawings"],
                       label="Main Street Tower / Documents / Drawings")
    items = journal.add_items(
        UploadItem(id=0, path=where / f"sheet-{n:05d}.pdf", size=1000 + n, mtime_ns=0,
                   destination=dest, subfolders=(), name=f"sheet-{n:05d}.pdf",
                   conflict=ConflictPolicy.KEEP_BOTH, api_base=api_key(api_url))
        for n in range(count))
    now = time.time()
    # One transaction for all the ends (10,000 commits would only measure the disk).
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        for n, item in enumerate(items):
            failed = n % 20 == 19
            db.execute("UPDATE uploads SET state=?, finished_at=?, procore_id=?, file_url=?,"
                       " error=? WHERE id=?",
                       (UploadState.FAILED.value if failed else UploadState.DONE.value,
                        now - (count - n) * 25 * 86400 / max(count, 1),
                        None if failed else 100_000 + n,
                        None if failed else f"{api_url}/api/v5/files/{100_000 + n}",
                        "403 Forbidden" if failed else None, item.id))
            history.record_end(db, item.id)
    db.close()
    journal.remove(item.id for item in items)
    journal.close()


def measure_history(app: QApplication, window: MainWindow, count: int) -> int:
    """Open View → History…, type a search, clear it, sort by name; returns targets missed."""
    missed = 0
    shown = window.history_window
    loaded: list[int] = []
    shown.loaded.connect(loaded.append)
    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    window.history_action.trigger()
    wait_until(app, lambda: bool(loaded), 120)
    app.processEvents()  # the table's first paint
    took = time.perf_counter() - started
    meter.stop()
    rows = shown.proxy.rowCount()
    ok = took < ROWS_SHOWN_S and rows == count
    missed += not ok
    print(f"History with {count} finished uploads: View → History… to {rows} rows shown in "
          f"{took:.3f} s (target {ROWS_SHOWN_S:.0f} s: {verdict(ok)})")
    ok = meter.longest_ms < STALL_MS
    missed += not ok
    print(f"  longest event-loop stall meanwhile {meter.longest_ms:.0f} ms "
          f"(target {STALL_MS:.0f} ms: {verdict(ok)})")

    def gui_time(action: Callable[[], None]) -> float:
        begun = time.perf_counter()
        action()
        app.processEvents()  # and the repaint it asked for
        return (time.perf_counter() - begun) * 1000

    shown.search.setFocus()
    wanted = f"{count - 1:05d}"
    keys = [gui_time(partial(QTest.keyClick, shown.search, key)) for key in wanted]
    found = [shown.proxy.index(r, COL_NAME).data() for r in range(shown.proxy.rowCount())]
    worst = max(keys)
    ok = worst < STALL_MS and found == [f"sheet-{count - 1:05d}.pdf"]
    missed += not ok
    print(f"  one search keystroke over {count} rows: slowest {worst:.0f} ms, median "
          f"{statistics.median(keys):.0f} ms of {len(keys)} (typing \"{wanted}\" leaves "
          f"{len(found)} row) (target {STALL_MS:.0f} ms: {verdict(ok)})")
    cleared = gui_time(shown.search.clear)
    ok = cleared < STALL_MS and shown.proxy.rowCount() == count
    missed += not ok
    print(f"  search cleared, all {shown.proxy.rowCount()} rows back: {cleared:.0f} ms "
          f"(target {STALL_MS:.0f} ms: {verdict(ok)})")

    header = shown.table.horizontalHeader()
    at = QPoint(header.sectionViewportPosition(COL_NAME) + 20, header.height() // 2)
    took_ms = gui_time(lambda: QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                                                Qt.KeyboardModifier.NoModifier, at))
    names = [shown.proxy.index(r, COL_NAME).data() for r in range(shown.proxy.rowCount())]
    in_order = names in (sorted(names), sorted(names, reverse=True)) and \
        header.sortIndicatorSection() == COL_NAME
    ok = took_ms < STALL_MS and in_order
    missed += not ok
    print(f"  sort by name (a click on its column header): {took_ms:.0f} ms "
          f"({'in order' if in_order else 'NOT in order'}) (target {STALL_MS:.0f} ms: "
          f"{verdict(ok)})")
    shown.close()
    return missed


# -- the folder -------------------------------------------------------------------------------

def measure_folder(app: QApplication, window: MainWindow, demo: DemoInfo, count: int) -> int:
    """Open the first project's Documents, then choose the big folder; returns targets
    missed."""
    bar = window.destination_bar
    loaded: list[str] = []
    bar.loaded.connect(loaded.append)
    wait_until(app, lambda: bar.tree_model.rowCount() == 2, 30)
    bar.project_combo.setCurrentIndex(bar.project_combo.findData(demo.project_ids[0]))
    wait_until(app, lambda: bar.tree_model.rowCount() == 2, 30)
    bar.tree.expand(bar.tree_model.item(0).index())
    wait_until(app, lambda: any(label.endswith(" / Documents") for label in loaded), 30)
    project = bar.project_combo.currentText()
    folder = bar.node_for_label(f"{project} / Documents / {BIG_FOLDER}")
    if folder is None:
        raise SystemExit(f"the tree has no {BIG_FOLDER} folder")
    listed: list[str] = []
    bar.contents_loaded.connect(listed.append)
    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    bar.select_node(folder)
    wait_until(app, lambda: bool(listed), 120)
    app.processEvents()  # the list's first paint
    took = time.perf_counter() - started
    meter.stop()
    rows = bar.contents.proxy.rowCount()
    ok = took < ROWS_SHOWN_S and rows == count
    print(f"a folder of {count} files chosen in the tree: its list filled ({rows} rows) in "
          f"{took:.3f} s, one request to the sandbox included (target {ROWS_SHOWN_S:.0f} s: "
          f"{verdict(ok)})")
    stall_ok = meter.longest_ms < STALL_MS
    print(f"  longest event-loop stall meanwhile {meter.longest_ms:.0f} ms "
          f"(target {STALL_MS:.0f} ms: {verdict(stall_ok)})")
    return (not ok) + (not stall_ok)


# -- the run ----------------------------------------------------------------------------------

def run(history_count: int, folder_count: int, in_process: bool = False) -> int:
    app = application()
    assert isinstance(app, QApplication)
    print(f"machine: {describe()}, PySide6 {pyside_version}, "
          f"{os.environ['QT_QPA_PLATFORM']} platform, sandbox "
          f"{'in this process' if in_process else 'in its own process'}", flush=True)
    missed = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = DemoServer(tmp / "sandbox", in_process, partial(_big_folder, folder_count))
        api_url, token, demo = server.info
        try:
            journal_path = tmp / "journal.sqlite3"
            if history_count > 0:
                write_history(journal_path, history_count, api_url, demo, tmp / "drawings")
            settings = Settings()
            tokens = StaticTokenProvider(token, identity=str(demo.user_id))
            client = ProcoreClient(api_url, tokens)
            journal = Journal.open(journal_path)
            engine = UploadEngine(client, journal, settings, identity=str(demo.user_id))
            window = MainWindow(engine, client, settings)
            try:
                window.show()
                # The window's own start (companies, projects, the tree) is not measured.
                wait_until(app, lambda: window.destination_bar.tree_model.rowCount() > 0, 30)
                if folder_count > 0:
                    missed += measure_folder(app, window, demo, folder_count)
                if history_count > 0:
                    missed += measure_history(app, window, history_count)
            finally:  # a timeout too: stop the window's threads before leaving
                close_window(app, window, engine, journal, client)
        finally:
            server.close()
    print(f"done, {load()}")
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--history", type=int, default=10_000,
                        help="finished uploads in the History (0: skip)")
    parser.add_argument("--folder", type=int, default=3_000,
                        help="files in the chosen Procore folder (0: skip)")
    parser.add_argument("--in-process-sandbox", action="store_true",
                        help="run the sandbox in this process (its threads share the GIL)")
    args = parser.parse_args()
    return run(args.history, args.folder, args.in_process_sandbox)


if __name__ == "__main__":
    raise SystemExit(main())
