"""The drop zone's title in a dark palette: drawn in the palette's own text colour (never the
disabled one) on its own background, readable, and following a theme switched while the app
runs. Checked on the rendered pixels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from uploader_gui.gui.drop_zone import DropZone

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

R, G = QPalette.ColorRole, QPalette.ColorGroup
TEXT, DISABLED_TEXT, BASE = QColor("#e8eaed"), QColor("#6f7378"), QColor("#121212")


def _dark() -> QPalette:
    palette = QPalette()
    for group in (G.Active, G.Inactive):
        for role, colour in ((R.Window, "#202124"), (R.WindowText, "#e8eaed"),
                             (R.Base, "#121212"), (R.Text, "#e8eaed"), (R.Button, "#303134"),
                             (R.ButtonText, "#e8eaed"), (R.Highlight, "#8ab4f8"),
                             (R.HighlightedText, "#202124")):
            palette.setColor(group, role, QColor(colour))
    for role in (R.WindowText, R.Text, R.ButtonText):
        palette.setColor(G.Disabled, role, DISABLED_TEXT)
    for role in (R.Window, R.Base):
        palette.setColor(G.Disabled, role, QColor("#202124"))
    return palette


@pytest.fixture
def app_palette(qapp: QApplication) -> Iterator[QApplication]:
    saved = QPalette(qapp.palette())
    yield qapp
    qapp.setPalette(saved)


def _luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return (0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF()))


def _contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _title_colours(zone: DropZone) -> tuple[QColor, QColor]:
    """(background, text) as drawn: the commonest pixel of the title, and the one that stands
    out most from it."""
    QApplication.processEvents()
    image = zone.grab().toImage()
    area = zone.findChild(QWidget, "dropZoneTitle").geometry()
    pixels = Counter(image.pixel(x, y) for x in range(area.left(), area.right())
                     for y in range(area.top(), area.bottom()))
    background = QColor.fromRgb(pixels.most_common(1)[0][0])
    text = max((QColor.fromRgb(p) for p in pixels), key=lambda c: _contrast(c, background))
    return background, text


def _zone_in_window(qtbot: QtBot) -> tuple[QWidget, DropZone]:
    """A zone inside a shown window (returned too: the zone lives as long as it)."""
    window = QWidget()
    qtbot.addWidget(window)
    zone = DropZone(window)
    QVBoxLayout(window).addWidget(zone)
    window.resize(640, 300)
    window.show()
    qtbot.waitExposed(window)
    return window, zone


def _assert_readable_dark(zone: DropZone) -> None:
    background, text = _title_colours(zone)
    assert _luminance(background) < 0.05, background.name()  # the zone is dark too
    assert text.name() == TEXT.name(), text.name()  # the palette's text, not the disabled one
    assert text.name() != DISABLED_TEXT.name()
    assert _contrast(text, background) >= 7.0


def test_title_in_a_dark_palette_uses_its_text_colour(qtbot: QtBot,
                                                      app_palette: QApplication) -> None:
    app_palette.setPalette(_dark())
    _window, zone = _zone_in_window(qtbot)
    _assert_readable_dark(zone)
    zone.set_ready(True, "Tower / Drawings")
    _assert_readable_dark(zone)


def test_title_follows_a_dark_theme_switched_while_running(qtbot: QtBot,
                                                           app_palette: QApplication) -> None:
    _window, zone = _zone_in_window(qtbot)
    app_palette.setPalette(_dark())
    _assert_readable_dark(zone)
    zone.set_highlight(True)  # a drag over the zone: the palette's highlight colours
    background, text = _title_colours(zone)
    assert background.name() == "#8ab4f8" and text.name() == "#202124"
    zone.set_highlight(False)
    _assert_readable_dark(zone)
