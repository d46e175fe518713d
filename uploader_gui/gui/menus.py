"""The window's menu bar: File, Edit and View (Help is added by the app), and the account at
its right, so every action stays reachable whatever the window's size."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QMenu, QWidget


def add_menu(window: QMainWindow, title: str, actions: Sequence[QAction | None]) -> QMenu:
    """A menu of ``actions`` (None: a separator) on the window's menu bar."""
    menu = window.menuBar().addMenu(title)
    for action in actions:
        if action is None:
            menu.addSeparator()
        else:
            menu.addAction(action)
    return menu


def put_account_in_menu_bar(window: QMainWindow, *widgets: QWidget) -> QWidget:
    """The signed-in user and the Sign in / Sign out button, at the menu bar's right."""
    corner = QWidget(window)
    corner.setObjectName("account")
    layout = QHBoxLayout(corner)
    layout.setContentsMargins(6, 0, 6, 0)
    layout.setSpacing(8)
    for widget in widgets:
        layout.addWidget(widget)
    window.menuBar().setCornerWidget(corner, Qt.Corner.TopRightCorner)
    return corner


def fit_corner(window: QMainWindow) -> None:
    """Give the menu bar's corner widget room for its new text (the menu bar only lays it out
    when the bar itself is resized)."""
    bar = window.menuBar()
    corner = bar.cornerWidget(Qt.Corner.TopRightCorner)
    if corner is None:
        return
    corner.adjustSize()
    bar.resize(bar.width() - 1, bar.height())  # a resize makes the bar place the corner again
    bar.resize(window.width(), bar.height())
