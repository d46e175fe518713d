"""A token source whose sign-in can change while the app runs (sign out, sign in again).

The window builds its client and engine once around a :class:`SwitchableTokens`; signing in
hands it the new provider, signing out empties it, and uploads waiting for a sign-in continue
with the new tokens.
"""

from __future__ import annotations

import logging
import threading

from uploader_gui.auth.session import NOT_SIGNED_IN
from uploader_gui.procore.errors import SignInRequired
from uploader_gui.procore.tokens import TokenProvider, home_company_id

log = logging.getLogger(__name__)


class SwitchableTokens:
    """A :class:`~uploader_gui.procore.tokens.TokenProvider` that delegates to the current one."""

    def __init__(self, current: TokenProvider | None = None,
                 signed_out_message: str = NOT_SIGNED_IN) -> None:
        self._current = current
        self._message = signed_out_message
        self._lock = threading.Lock()

    @property
    def current(self) -> TokenProvider | None:
        with self._lock:
            return self._current

    def replace(self, provider: TokenProvider | None) -> None:
        """Use ``provider`` from now on (None: signed out)."""
        with self._lock:
            self._current = provider
        log.info("Token source %s", "replaced" if provider is not None else "cleared")

    def _provider(self) -> TokenProvider:
        current = self.current
        if current is None:
            raise SignInRequired(self._message)
        return current

    def access_token(self) -> str:
        return self._provider().access_token()

    def token_rejected(self, token: str) -> None:
        self._provider().token_rejected(token)

    def identity(self) -> str | None:
        current = self.current
        return current.identity() if current is not None else None

    def home_company_id(self) -> int | None:
        return home_company_id(self.current)
