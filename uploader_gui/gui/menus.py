"""The window's menu bar: File, Edit and View (Help is added by the app), and the account at
its right, so every action stays reachable whatever the window's size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QMenu, QStyle, QToolBar, QWidget


def make_action(window: QMainWindow, text: str, icon: QStyle.StandardPixmap | None,
                slot: Callable[[], Any],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                tip: str = "") -> QAction:
    """An action whose tooltip names its shortcut, and whose shortcut works wherever the
    focus is in the window."""
    action = QAction(text, window)
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    native = QKeySequence.SequenceFormat.NativeText
    action.setToolTip(f"{tip or text.replace('&', '').rstrip('…')}"
                      + (f" ({action.shortcut().toString(native)})"
                         if shortcut is not None else ""))
    action.triggered.connect(slot)
    window.addAction(action)
    return action


def add_toolbar(window: QMainWindow, actions: Sequence[QAction | None]) -> QToolBar:
    """The toolbar (None: a separator), its buttons reachable with Tab, not only the mouse."""
    toolbar = QToolBar("Actions", window)
    toolbar.setObjectName("actions")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for action in actions:
        if action is None:
            toolbar.addSeparator()
        else:
            toolbar.addAction(action)
    window.addToolBar(toolbar)
    for action in toolbar.actions():
        button = toolbar.widgetForAction(action)
        if button is not None and not action.isSeparator():
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return toolbar


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
