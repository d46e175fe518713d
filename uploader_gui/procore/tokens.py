"""Where the client gets its bearer token from: a small interface, and the simplest provider."""

from __future__ import annotations

import os
from typing import Protocol

from uploader_gui.procore.errors import SignInRequired


class TokenProvider(Protocol):
    """Supplies access tokens to :class:`~uploader_gui.procore.client.ProcoreClient`.

    Implementations must be thread-safe: every worker thread calls them.
    """

    def access_token(self) -> str:
        """A currently valid access token; raises SignInRequired when there is none."""
        ...

    def token_rejected(self, token: str) -> None:
        """Called when the API answered 401 to ``token``.

        A refreshing provider refreshes (once, even when many threads report the same token)
        so that the next :meth:`access_token` returns a new one; a provider that cannot refresh
        raises SignInRequired.
        """
        ...

    def identity(self) -> str | None:
        """A stable id of the signed-in user (for example the Procore user id), if known."""
        ...


def home_company_id(tokens: object) -> int | None:
    """The company a service account belongs to, for the ``Procore-Company-Id`` header that
    Procore wants even on ``/me`` and ``/companies`` from such accounts (client-credentials
    guide); None for a person's sign-in. Providers may offer ``home_company_id()``."""
    method = getattr(tokens, "home_company_id", None)
    value = method() if callable(method) else None
    return int(value) if value is not None else None


class StaticTokenProvider:
    """A fixed access token (from ``PROCORE_ACCESS_TOKEN`` or a test); cannot refresh."""

    def __init__(self, token: str, identity: str | None = None,
                 company_id: int | None = None) -> None:
        self._token = token
        self._identity = identity
        self._company_id = company_id

    def home_company_id(self) -> int | None:
        return self._company_id

    @classmethod
    def from_environment(cls) -> StaticTokenProvider:
        token = os.environ.get("PROCORE_ACCESS_TOKEN", "").strip()
        if not token:
            raise SignInRequired(
                "You are not signed in. Sign in first, or set PROCORE_ACCESS_TOKEN.")
        return cls(token)

    def access_token(self) -> str:
        return self._token

    def token_rejected(self, token: str) -> None:
        raise SignInRequired("Procore did not accept the access token. Please sign in again.",
                             status=401)

    def identity(self) -> str | None:
        return self._identity
