"""A tiny window in its own process that starts a real drag of the given files when pressed.

Run by the Xvfb test: ``python xdnd_source.py X Y FILE...``; xdotool presses the mouse on it and
moves to the app's window, so the files travel by XDND between two processes.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QMimeData, Qt, QTimer, QUrl
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel


class DragSource(QLabel):
    def __init__(self, paths: list[str]) -> None:
        super().__init__("drag me")
        self._paths = paths
        self.setWindowTitle("xdnd-source")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(p) for p in self._paths])
        drag = QDrag(self)
        drag.setMimeData(mime)
        result = drag.exec(Qt.DropAction.CopyAction)
        print(f"drag finished: {result}", flush=True)
        QTimer.singleShot(200, QApplication.quit)


def main() -> int:
    x, y, *paths = sys.argv[1:]
    app = QApplication(sys.argv[:1])
    source = DragSource(paths)
    source.setGeometry(int(x), int(y), 200, 200)
    source.show()
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
