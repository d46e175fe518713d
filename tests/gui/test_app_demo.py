"""Demo mode start-up: the sandbox runs in the background and the window opens ready to use."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from uploader_gui.gui.app import build_parts, build_window
from uploader_gui.gui.icons import PNG_SIZES, SVG, app_icon, png_path
from uploader_gui.transfer.model import UploadState

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_demo_window_uploads_a_file_into_its_temporary_folder(qtbot: QtBot,
                                                              tmp_path: Path) -> None:
    parts = build_parts(["procore-uploader"], demo=True)
    window = build_window(parts)
    try:
        window.show()
        assert window.windowTitle() == "Procore Uploader"
        assert parts.demo_folder is not None and parts.demo_folder.is_dir()
        assert window.demo_banner is not None
        assert str(parts.demo_folder) in window.demo_banner.text()
        qtbot.waitUntil(lambda: "Signed in as" in window.account_label.text(), timeout=10_000)
        # A first destination is chosen so a newcomer can drop at once.
        assert window.destination_bar.destination is not None
        assert window.drop_zone.add_files_button.isEnabled()
        f = tmp_path / "hello.txt"
        f.write_text("hello demo")
        window.add_paths([f])
        qtbot.waitUntil(lambda: any(it.state is UploadState.DONE
                                    for it in window.model.items()), timeout=20_000)
        stored = [p for p in parts.demo_folder.rglob("*") if p.is_file()
                  and p.read_bytes() == b"hello demo"]
        assert stored, "the uploaded bytes are in the demo's folder"
    finally:
        assert window.shutdown(10_000)
        window.close()
        window.deleteLater()
        parts.close()
    assert not parts.demo_folder.parent.exists() or not parts.demo_folder.exists()


def test_app_icon_has_every_size(qtbot: QtBot) -> None:
    assert SVG.exists()
    for size in PNG_SIZES:
        assert png_path(size).exists()
    icon = app_icon()
    assert icon.availableSizes()[0].width() == PNG_SIZES[0]
    assert icon.pixmap(256, 256).width() == 256
