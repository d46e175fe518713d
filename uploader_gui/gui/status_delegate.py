"""Draws the queue's Status column with its end cut off rather than its middle: "Failed — You
don't have permission to…" keeps what happened; the whole sentence is in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem


class StatusDelegate(QStyledItemDelegate):
    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight
