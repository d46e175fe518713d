"""The real window, in its own process under Xvfb, with one folder of the tree selected; it says
on stdout where another folder of the tree is on the screen, and what its tree says while files
hover over it, so the Xvfb test can drag files onto that folder by XDND.

Run by the test: ``python xdnd_tree_window.py API_URL TOKEN USER_ID HOME SELECT TARGET``, where
SELECT and TARGET are folder names under the first project's Documents. The window closes
cleanly when stdin is closed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

from uploader_gui.config import Settings
from uploader_gui.gui.destination_bar import DestinationBar
from uploader_gui.gui.main_window import MainWindow
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.transfer.engine import UploadEngine


def say(**what: object) -> None:
    print(json.dumps(what), flush=True)


def main() -> int:
    api_url, token, user_id, home, select, target = sys.argv[1:7]
    app = QApplication(sys.argv[:1])
    client = ProcoreClient(api_url, StaticTokenProvider(token, identity=user_id))
    journal = Journal.open(Path(home) / "journal.sqlite3")
    settings = Settings(parallel_files=2)
    engine = UploadEngine(client, journal, settings, identity=user_id)
    window = MainWindow(engine, client, settings, environment="Sandbox")
    window.same_names.asking = False  # nothing of that name is there; no question to answer
    window.resize(1280, 720)
    window.move(0, 0)
    window.show()
    bar: DestinationBar = window.destination_bar
    bar.tree.hint.connect(lambda text: say(hint=text))
    bar.dropped.connect(lambda paths, dest: say(dropped=[str(p) for p in paths],
                                                to=str(dest)))

    def step() -> None:
        """Choose the first project, open its Documents, select one folder, show another."""
        if bar.project_combo.count() < 2 or bar.tree_model.rowCount() < 1:
            return
        if bar.project_combo.currentIndex() != 1:
            bar.project_combo.setCurrentIndex(1)
            return
        documents = bar.tree_model.item(0)
        if not bar.tree.isExpanded(documents.index()):
            bar.tree.expand(documents.index())
            return
        base = f"{bar.project_combo.currentText()} / Documents"
        chosen, other = bar.node_for_label(f"{base} / {select}"), \
            bar.node_for_label(f"{base} / {target}")
        if chosen is None or other is None:
            return
        if bar.tree.currentIndex() != chosen.index():
            bar.select_node(chosen)
            return
        poll.stop()
        centre = bar.tree.viewport().mapToGlobal(bar.tree.visualRect(other.index()).center())
        say(selected=str(bar.destination), target_x=centre.x(), target_y=centre.y())

    poll = QTimer()
    poll.setInterval(100)
    poll.timeout.connect(step)
    poll.start()

    def stop() -> None:
        notifier.setEnabled(False)
        window.shutdown(10_000)
        window.close()
        app.quit()

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(lambda *_: stop() if not sys.stdin.readline() else None)
    code = app.exec()
    poll.stop()
    engine.close()
    journal.close()
    client.close()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
