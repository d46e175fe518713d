"""Screenshots of the window for the docs: the sign-in screen, empty, a folder dropped,
uploading, finished with a failure and its summary line, the same-name question, a small window,
files held over a folder of the tree (highlighted) with the chosen folder's files listed, two
dropped folders as one row each while they upload, and the History window after "Remove
finished".

    python benchmarks/screenshots.py [OUT_DIR]      # default docs/screenshots

Runs the real window against the sandbox (offscreen unless QT_QPA_PLATFORM says otherwise;
with QT_QPA_PLATFORM=xcb under Xvfb the window is a real X11 window).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QMenu  # noqa: E402

from uploader_gui.auth.credentials import ClientCredentials  # noqa: E402
from window_harness import application, close_window  # noqa: E402
from uploader_gui.config import Settings  # noqa: E402
from uploader_gui.gui.same_name import SameNameDialog  # noqa: E402
from uploader_gui.gui.about_dialog import add_help_menu  # noqa: E402
from uploader_gui.gui.help_menu import add_guides  # noqa: E402
from uploader_gui.gui.icons import app_icon  # noqa: E402
from uploader_gui.gui.main_window import MainWindow  # noqa: E402
from uploader_gui.journal.store import Journal  # noqa: E402
from uploader_gui.procore.client import ProcoreClient  # noqa: E402
from uploader_gui.procore.tokens import StaticTokenProvider  # noqa: E402
from uploader_gui.sandbox import Fault, Sandbox  # noqa: E402
from uploader_gui.transfer.engine import UploadEngine  # noqa: E402
from uploader_gui.transfer.model import Destination, DestinationKind, UploadState  # noqa: E402

MiB = 1024 * 1024


def pump(app: QApplication, predicate, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def settle(app: QApplication, seconds: float = 0.3) -> None:
    """A few redraw ticks, so the status bar has caught up with the rows."""
    end = time.monotonic() + seconds
    pump(app, lambda: time.monotonic() > end)


def hold_over_folder(app: QApplication, window: MainWindow, chosen: str, target: str,
                     files: list[Path]) -> QMimeData:
    """Choose ``chosen`` (its files listed below the tree), then hold ``files`` over
    ``target``, as a drag from a file manager does; both are folders under Documents."""
    bar = window.destination_bar
    documents = bar.tree_model.item(0)
    bar.tree.expand(documents.index())
    base = f"{bar.project_combo.currentText()} / Documents"
    pump(app, lambda: bar.node_for_label(f"{base} / {target}") is not None)
    chosen_node = bar.node_for_label(f"{base} / {chosen}")
    target_node = bar.node_for_label(f"{base} / {target}")
    assert chosen_node is not None and target_node is not None
    loaded: list[str] = []
    bar.contents_loaded.connect(loaded.append)
    bar.select_node(chosen_node)
    pump(app, lambda: bool(loaded))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    viewport = bar.tree.viewport()
    where = bar.tree.visualRect(target_node.index()).center()
    QApplication.sendEvent(viewport, QDragEnterEvent(
        QPoint(2, 2), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(viewport, QDragMoveEvent(
        where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier))
    return mime


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = application()
    app.setWindowIcon(app_icon())
    with tempfile.TemporaryDirectory() as tmp_name, \
            Sandbox(data_dir=Path(tmp_name) / "sandbox") as sandbox:
        tmp = Path(tmp_name)
        demo = sandbox.seed_demo()
        projects = ProcoreClient(sandbox.api_url, StaticTokenProvider(
            sandbox.issue_token(demo.user_id)))
        name = {p["id"]: p["name"] for p in projects.projects(demo.company_id)}[
            demo.project_ids[0]]
        projects.close()
        dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                           folder_id=demo.folder_ids["Drawings"],
                           label=f"{name} / Documents / Drawings")
        settings = Settings(segment_threshold_mib=5, segment_size_mib=5, parallel_files=3,
                            last_destination=dest.to_json(),
                            last_destination_api_base=sandbox.api_url)
        tokens = StaticTokenProvider(sandbox.issue_token(demo.user_id),
                                     identity=str(demo.user_id))
        client = ProcoreClient(sandbox.api_url, tokens)
        journal = Journal.open(tmp / "journal.sqlite3")
        engine = UploadEngine(client, journal, settings, identity=str(demo.user_id))
        signed_out = MainWindow(engine, None, settings, environment="Sandbox", icon=app_icon())
        signed_out.credentials_in_use = lambda: ClientCredentials(
            "client-id", "secret", "http://localhost:8765/callback")
        signed_out.set_client(None)
        add_guides(signed_out, cast(QMenu, signed_out.menuBar().actions()[-1].menu()),
                   add_help_menu(signed_out))
        signed_out.resize(1280, 720)
        signed_out.show()
        pump(app, lambda: signed_out.sign_in_screen.hint.isVisible())
        signed_out.grab().save(str(out / "sign-in.png"))
        signed_out.shutdown(10_000)
        signed_out.close()
        signed_out.deleteLater()
        app.processEvents()

        window = MainWindow(engine, client, settings, environment="Sandbox", icon=app_icon())
        about = add_help_menu(window)  # as the app builds it
        add_guides(window, cast(QMenu, window.menuBar().actions()[-1].menu()), about)
        window.resize(1280, 720)
        window.show()
        try:
            pump(app, lambda: "Signed in as" in window.account_label.text()
                 and window.destination_bar.destination is not None)
            window.grab().save(str(out / "empty.png"))

            folder = tmp / "Bid package"
            (folder / "Specifications").mkdir(parents=True)
            for system in ("Thumbs.db", "desktop.ini", "~$Bid form.docx"):
                (folder / system).write_bytes(b"made by the system")
            for doc in ("Bid form.docx", "Drawing list.xlsx", "Specifications/03 30 00 "
                        "Cast-in-place concrete Rev C.pdf", "Specifications/05 12 00 "
                        "Structural steel framing Rev B.pdf"):
                (folder / doc).write_bytes(os.urandom(200_000))
            window.add_paths([folder])
            pump(app, lambda: len(window.model.items()) == 4 and all(
                it.state.finished for it in window.model.items()), 60)
            pump(app, lambda: "left out" in window.notice_label.text())
            window.table.expandAll()
            settle(app)
            window.grab().save(str(out / "folder-drop.png"))
            window.queue.remove_finished()
            pump(app, lambda: window.model.rowCount() == 0)
            window.statusBar().clearMessage()
            window.show_notice("")

            # Two job folders and a file on its own: one row each, the second opened.
            jobs = tmp / "jobs"
            for job, files in (("Job 4411 Drawings", [f"Arch/A-{n}01 Plan level {n}.pdf"
                                                      for n in range(1, 7)]
                                + ["S-001 Foundations.pdf", "S-002 Framing.pdf"]),
                               ("Site photos 2024-05", [f"IMG_20{n:02d}.jpg"
                                                        for n in range(10, 16)])):
                for file_name in files:
                    path = jobs / job / file_name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(os.urandom(6 * MiB))
            (jobs / "RFI 0042 Beam clash.pdf").write_bytes(os.urandom(6 * MiB))
            sandbox.faults.add(Fault("stall", "storage_put", times=None, seconds=1.0))
            window.add_paths(sorted(jobs.iterdir()))
            pump(app, lambda: len(window.model.items()) == 15 and sum(
                1 for it in window.model.items() if it.state is UploadState.DONE) >= 2, 120)
            photos_row = next(window.proxy.index(r, 0) for r in range(window.proxy.rowCount())
                              if window.proxy.index(r, 0).data() == "Site photos 2024-05")
            window.table.expand(photos_row)
            tick = time.monotonic() + 0.15
            pump(app, lambda: time.monotonic() > tick)
            window.grab().save(str(out / "grouped-queue.png"))
            sandbox.faults.clear()
            pump(app, lambda: all(it.state.finished for it in window.model.items()), 120)
            window.queue.remove_finished()
            pump(app, lambda: window.model.rowCount() == 0)
            window.statusBar().clearMessage()
            window.show_notice("")

            loose = tmp / "files"
            loose.mkdir()
            names = ["A-101 Site plan.pdf", "A-201 Elevations.pdf", "S-001 Foundations.dwg",
                     "Site photo 2024-05-02.jpg", "Specifications.docx", "Schedule.xlsx"]
            for i, file_name in enumerate(names):
                (loose / file_name).write_bytes(os.urandom((12 if i < 3 else 6) * MiB))
            # Slow storage so the screenshot catches files part-way; one file is refused.
            sandbox.faults.add(Fault("stall", "storage_put", times=None, seconds=1.0))
            sandbox.faults.add(Fault("status", "associate", after=3, status=422))
            window.add_paths(sorted(loose.iterdir()))
            pump(app, lambda: sum(1 for it in window.model.items()
                                  if it.state is UploadState.UPLOADING and it.bytes_done) >= 1)
            tick = time.monotonic() + 0.15  # one redraw tick, so the status bar has caught up
            pump(app, lambda: time.monotonic() > tick)
            window.grab().save(str(out / "uploading.png"))

            pump(app, lambda: window.model.rowCount() == len(names) and all(
                it.state.finished for it in window.model.items()), 120)
            failed = [it.id for it in window.model.items() if it.state is UploadState.FAILED]
            if failed:
                window.table.selectRow(window.proxy.mapFromSource(
                    window.model.index_of(failed[0])).row())
            end = time.monotonic() + 0.3
            pump(app, lambda: time.monotonic() > end)
            pump(app, lambda: window.attention_bar.isVisible())
            window.grab().save(str(out / "finished-with-failure.png"))
            window.resize(1024, 600)
            end = time.monotonic() + 0.3
            pump(app, lambda: time.monotonic() > end)
            window.grab().save(str(out / "small-window.png"))

            window.resize(1280, 720)
            window.queue.remove([it.id for it in window.model.items()])
            pump(app, lambda: window.model.rowCount() == 0)
            window.statusBar().clearMessage()
            window.show_notice("")
            window.uploads_page.setSizes([470, 810])  # wide enough for who and when
            held = [loose / "A-101 Site plan.pdf", loose / "A-201 Elevations.pdf"]
            hold_over_folder(app, window, "Drawings", "Specifications", held)
            settle(app)
            window.grab().save(str(out / "drop-onto-folder.png"))
            QApplication.sendEvent(window.destination_bar.tree.viewport(), QDragLeaveEvent())

            question = SameNameDialog("A-101 Site plan.pdf", "Drawings", 2, window)
            question.show()
            app.processEvents()
            question.grab().save(str(out / "same-name.png"))
            question.close()
            question.deleteLater()

            # History: the folder drop's files (removed from the queue above) are still there.
            history = window.history_window
            read: list[int] = []
            history.loaded.connect(read.append)
            history.open_and_load()
            pump(app, lambda: bool(read))
            history.resize(1180, 480)
            history.table.selectRow(0)
            history.copy_link()
            settle(app)
            history.grab().save(str(out / "history.png"))
            history.close()
        finally:
            close_window(app, window, engine, journal, client)
    for shot in ("sign-in", "empty", "folder-drop", "grouped-queue", "uploading",
                 "finished-with-failure", "small-window", "drop-onto-folder", "same-name",
                 "history"):
        print(out / f"{shot}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
