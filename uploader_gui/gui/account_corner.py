"""The menu bar's right corner: who is signed in (and to which Procore), Sign in / Sign out."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton

from uploader_gui.gui.menus import fit_corner, put_account_in_menu_bar


class AccountCorner:
    """The label and the button; the window decides what a click does."""

    def __init__(self, window: QMainWindow, environment: str) -> None:
        self._window = window
        self._env = f" · {environment}" if environment else ""
        self.label = QLabel(window)
        self.label.setAccessibleName("Signed-in user")
        self.button = QPushButton("Sign &in", window)
        self.button.setAccessibleName("Sign in to Procore")
        self.corner = put_account_in_menu_bar(window, self.label, self.button)

    def signed_out(self) -> None:
        self._text(f"Not signed in{self._env}")
        self.button.setText("Sign &in")
        self.button.setAccessibleName("Sign in to Procore")

    def signed_in(self) -> None:
        self.button.setText("Sign &out")
        self.button.setAccessibleName("Sign out of Procore")
        self._text(f"Signed in{self._env}")

    def show_user(self, info: dict[str, Any]) -> None:
        """The name from Procore's answer about the signed-in user."""
        name = info.get("name") or info.get("login") or "unknown user"
        self._text(f"Signed in as {name}{self._env}")

    def _text(self, text: str) -> None:
        self.label.setText(text)
        fit_corner(self._window)
