"""Draws the queue's progress column as a native progress bar."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar,
                               QStyleOptionViewItem)

from uploader_gui.gui.queue_columns import Role
from uploader_gui.transfer.model import UploadState


class ProgressDelegate(QStyledItemDelegate):
    """Paints ``Role.PROGRESS`` (0.0–1.0) with the style's progress bar, text inside."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        fraction = index.data(Role.PROGRESS)
        if fraction is None:
            super().paint(painter, option, index)
            return
        # The selection background first, so a selected row still looks selected.
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter,
                            option.widget)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum = 0
        bar.maximum = 1000
        bar.progress = int(round(float(fraction) * 1000))
        bar.text = str(index.data())
        bar.textVisible = True
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        bar.palette = option.palette
        bar.fontMetrics = option.fontMetrics
        if index.data(Role.STATE) is UploadState.FAILED:
            bar.state &= ~QStyle.StateFlag.State_Enabled
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
