"""The app icon (SVG plus PNGs for each size, so it stays sharp on high-DPI screens)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from uploader_gui.resource_files import resource_dir

log = logging.getLogger(__name__)

RESOURCES = resource_dir()
SVG = RESOURCES / "procore-uploader.svg"
#: PNG sizes shipped next to the SVG (desktop environments and Windows pick from these).
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def png_path(size: int) -> Path:
    return RESOURCES / f"procore-uploader-{size}.png"


def app_icon() -> QIcon:
    """Every PNG size plus the SVG, so Qt picks a crisp one for any scale factor."""
    icon = QIcon()
    for size in PNG_SIZES:
        path = png_path(size)
        if path.exists():
            icon.addFile(str(path), QSize(size, size))
    if SVG.exists():
        icon.addFile(str(SVG))
    if icon.isNull():
        log.warning("app icon files are missing from %s", RESOURCES)
    return icon


def render_pngs() -> list[Path]:
    """Draw the SVG at each size (run when the SVG changes; the PNGs are committed)."""
    renderer = QSvgRenderer(str(SVG))
    written = []
    for size in PNG_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = png_path(size)
        if not image.save(str(path)):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


#: The Windows installer and .exe take an .ico, the macOS bundle an .icns (made from the PNGs).
PLATFORM_ICONS = {"ico": 256, "icns": 512}


def write_platform_icons() -> list[Path]:
    """Write procore-uploader.ico and .icns from the PNGs (with Qt's ico and icns plugins)."""
    written = []
    for fmt, size in PLATFORM_ICONS.items():
        path = RESOURCES / f"procore-uploader.{fmt}"
        if not QImage(str(png_path(size))).save(str(path), fmt.upper().encode()):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


if __name__ == "__main__":  # python -m uploader_gui.gui.icons
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication([])
    for p in [*render_pngs(), *write_platform_icons()]:
        print(p)
