"""What the window shows while nobody is signed in: what the app does and one big Sign in button.

When this copy of the app has no Client ID yet (nothing to sign in with), it says so and offers
the sign-in settings instead of a button that can only fail.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from uploader_gui import APP_NAME
from uploader_gui.gui.signals import emit

WHAT_IT_DOES = ("Puts files and folders from this computer into your Procore projects: drop "
                "them on the window, choose the project and folder, and they upload, even "
                "large ones, continuing where they stopped if the connection drops.")
NO_CLIENT_ID = ("Before the first sign-in, this copy of the app needs your company's Procore "
                "sign-in settings (a Client ID and Client Secret from your Procore "
                "administrator).")


class SignInScreen(QWidget):
    """The window's content while signed out."""

    #: The person chose "Sign in to Procore".
    sign_in_clicked = Signal()
    #: The person chose "Enter sign-in settings…".
    settings_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInScreen")
        title = QLabel(f"Welcome to {APP_NAME}", self)
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setAccessibleName("Welcome")
        self.title = title
        self.about = QLabel(WHAT_IT_DOES, self)
        self.about.setWordWrap(True)
        self.about.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sign_in_button = QPushButton("Sign in to Procore", self)
        self.sign_in_button.setObjectName("bigSignIn")
        self.sign_in_button.setAccessibleName("Sign in to Procore")
        self.sign_in_button.setDefault(True)
        big = QFont(self.sign_in_button.font())
        big.setPointSizeF(big.pointSizeF() * 1.4)
        big.setBold(True)
        self.sign_in_button.setFont(big)
        self.sign_in_button.setMinimumHeight(self.sign_in_button.fontMetrics().height() * 2 + 8)
        self.sign_in_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.sign_in_button.setMinimumWidth(self.sign_in_button.fontMetrics()
                                            .horizontalAdvance("Sign in to Procore") + 80)
        self.sign_in_button.clicked.connect(lambda: emit(self.sign_in_clicked))
        self.hint = QLabel("Your browser opens at Procore's sign-in page; come back here "
                           "once you have signed in.", self)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_client = QLabel(NO_CLIENT_ID, self)
        self.no_client.setWordWrap(True)
        self.no_client.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.settings_button = QPushButton("Enter sign-in settings…", self)
        self.settings_button.setAccessibleName("Enter the sign-in settings")
        self.settings_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.settings_button.clicked.connect(lambda: emit(self.settings_clicked))
        self.waiting = QLabel(self)
        self.waiting.setWordWrap(True)
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.waiting.setAccessibleName("Uploads waiting for sign-in")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 24, 48, 24)
        layout.addStretch(2)
        layout.addWidget(title)
        layout.addSpacing(12)
        layout.addWidget(self.about)
        layout.addSpacing(24)
        layout.addWidget(self.sign_in_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.hint)
        layout.addSpacing(12)
        layout.addWidget(self.no_client)
        layout.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(12)
        layout.addWidget(self.waiting)
        layout.addStretch(3)
        self.set_has_client_id(True)
        self.set_waiting(0)

    def set_has_client_id(self, has: bool) -> None:
        """Without a Client ID the settings come first; the sign-in button waits for them."""
        self.no_client.setVisible(not has)
        self.settings_button.setVisible(not has)
        self.sign_in_button.setEnabled(has)
        self.hint.setVisible(has)

    def set_waiting(self, count: int) -> None:
        """How many uploads wait for the sign-in (0: say nothing)."""
        self.waiting.setText(
            f"{count} upload{'s wait' if count != 1 else ' waits'} for you to sign in; "
            f"{'they continue' if count != 1 else 'it continues'} where "
            f"{'they' if count != 1 else 'it'} stopped." if count else "")
        self.waiting.setVisible(bool(count))
