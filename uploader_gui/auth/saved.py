"""The sign-in kept in the password store: one entry per environment and user.

The keyring service is ``procore-uploader:<api host>`` (one per environment); each signed-in
user has an entry named by their Procore user id holding their tokens, and the entry
``signed-in-user`` names the user the app currently uses.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from uploader_gui.auth.keyring_store import KeyringStore
from uploader_gui.auth.oauth import TokenSet

log = logging.getLogger(__name__)

CURRENT_KEY = "signed-in-user"


@dataclass(frozen=True)
class SignIn:
    """Who is signed in, and their tokens."""

    user_id: str
    user_name: str
    user_login: str
    tokens: TokenSet
    #: A service account's company (Procore wants it on every call, /me included).
    company_id: int | None = None
    #: The redirect URI the sign-in used; sent again with each refresh, as Procore's
    #: example does (None: the sign-in settings' one).
    redirect_uri: str | None = None

    @property
    def is_service_account(self) -> bool:
        return self.tokens.grant == "client_credentials"

    def to_json(self) -> str:
        return json.dumps({"user_id": self.user_id, "user_name": self.user_name,
                           "user_login": self.user_login, "tokens": self.tokens.to_dict(),
                           "company_id": self.company_id, "redirect_uri": self.redirect_uri})

    @classmethod
    def from_json(cls, text: str) -> SignIn:
        raw = json.loads(text)
        company = raw.get("company_id")
        return cls(str(raw["user_id"]), str(raw.get("user_name") or ""),
                   str(raw.get("user_login") or ""), TokenSet.from_dict(raw["tokens"]),
                   int(company) if company is not None else None,
                   str(raw["redirect_uri"]) if raw.get("redirect_uri") else None)


def load(store: KeyringStore) -> SignIn | None:
    """The current sign-in, or None when nobody is signed in (or the entry is unreadable)."""
    user_id = store.get(CURRENT_KEY)
    if not user_id:
        return None
    text = store.get(user_id)
    if not text:
        return None
    try:
        return SignIn.from_json(text)
    except (ValueError, KeyError, TypeError):
        log.warning("The saved sign-in for user %s is unreadable; signing in is needed", user_id)
        return None


def save(store: KeyringStore, sign_in: SignIn) -> None:
    """Store the user's tokens, then mark them as the current user."""
    store.set(sign_in.user_id, sign_in.to_json())
    store.set(CURRENT_KEY, sign_in.user_id)


def clear(store: KeyringStore, user_id: str) -> None:
    """Forget the user's tokens (and the current-user mark when it names them)."""
    store.delete(user_id)
    if store.get(CURRENT_KEY) == user_id:
        store.delete(CURRENT_KEY)
