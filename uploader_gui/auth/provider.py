"""``OAuthTokenProvider``: access tokens for every worker thread, renewed one at a time.

Refreshes ahead of expiry and when the API rejects a token. One lock makes the refresh
single-flight: threads that arrive while it runs wait, then use its result. The rotated refresh
token is stored before the new access token is handed out, and a refresh token is never sent
twice once Procore has seen it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

from uploader_gui.auth import saved
from uploader_gui.auth.keyring_store import KeyringStore
from uploader_gui.auth.oauth import OAuthClient, TokenSet
from uploader_gui.auth.saved import SignIn
from uploader_gui.procore.errors import AuthError, NetworkError, ProcoreError, SignInRequired

log = logging.getLogger(__name__)

#: Refresh this long before expiry at most (Procore's tokens live 5400 s)...
REFRESH_AHEAD = 300.0
#: ...and at most this share of a token's life (short-lived tokens in tests).
REFRESH_AHEAD_SHARE = 0.1

SIGN_IN_AGAIN = "Your Procore sign-in has ended. Please sign in again."


class OAuthTokenProvider:
    """A :class:`~uploader_gui.procore.tokens.TokenProvider` backed by OAuth tokens."""

    def __init__(self, oauth: OAuthClient, store: KeyringStore, sign_in: SignIn, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._oauth = oauth
        self._store = store
        self._sign_in = sign_in
        self._clock = clock
        self._lock = threading.Lock()
        self._ended: str | None = None
        #: Refresh calls this provider made (successful or not).
        self.refreshes = 0

    # -- TokenProvider ---------------------------------------------------------------------

    def home_company_id(self) -> int | None:
        """A service account's company (sent as Procore-Company-Id on /me and /companies)."""
        return self._sign_in.company_id if self._sign_in.is_service_account else None

    def access_token(self) -> str:
        with self._lock:
            self._check_signed_in()
            tokens = self._sign_in.tokens
            ahead = min(REFRESH_AHEAD, REFRESH_AHEAD_SHARE * tokens.lifetime)
            if tokens.expires_within(ahead, self._clock()):
                log.info("The access token expires soon; renewing it")
                self._renew()
            return self._sign_in.tokens.access_token

    def token_rejected(self, token: str) -> None:
        with self._lock:
            self._check_signed_in()
            if token != self._sign_in.tokens.access_token:
                return  # another thread renewed it already
            log.info("Procore rejected the access token; renewing it")
            self._renew()

    def identity(self) -> str | None:
        return self._sign_in.user_id

    # -- more for the window and the command line ------------------------------------------

    @property
    def sign_in(self) -> SignIn:
        with self._lock:
            return self._sign_in

    @property
    def user_name(self) -> str:
        return self._sign_in.user_name

    @property
    def signed_in(self) -> bool:
        with self._lock:
            return self._ended is None

    @property
    def storage_notice(self) -> str | None:
        """Set when the tokens live only in memory for this run (no password store)."""
        return self._store.notice

    def sign_out(self) -> None:
        """Revoke the tokens at Procore and forget them here (the keyring entry too)."""
        with self._lock:
            tokens = self._sign_in.tokens
            self._ended = "You signed out. Sign in to continue."
            saved.clear(self._store, self._sign_in.user_id)
        for token in (tokens.refresh_token, tokens.access_token):
            if not token:
                continue
            try:
                self._oauth.revoke(token)
            except ProcoreError as exc:
                # Signed out here anyway; the token dies on its own at expiry.
                log.warning("Could not revoke a token at sign-out: %s", exc.message)

    # -- details ---------------------------------------------------------------------------

    def _check_signed_in(self) -> None:
        if self._ended is not None:
            raise SignInRequired(self._ended, status=401)

    def _end(self, message: str) -> SignInRequired:
        self._ended = message
        saved.clear(self._store, self._sign_in.user_id)
        return SignInRequired(message, status=401)

    def _renew(self) -> None:
        """Get new tokens; called with the lock held, so only one runs at a time."""
        if self._adopt_newer_saved(self._sign_in.tokens):
            return
        current = self._sign_in.tokens
        if current.grant == "client_credentials":
            self._renew_service_account()
            return
        refresh_token = current.refresh_token
        if not refresh_token:
            raise self._end(SIGN_IN_AGAIN)
        self.refreshes += 1
        try:
            fresh = self._oauth.refresh(refresh_token, self._sign_in.redirect_uri)
        except NetworkError:
            # Only raised when the request surely never reached Procore: the token is unspent.
            raise
        except SignInRequired as exc:
            raise self._end(exc.message) from None
        except ProcoreError as exc:
            # Procore saw the token, so it is spent whatever went wrong.
            log.warning("Refreshing the sign-in failed: %s", exc.message)
            raise self._end(SIGN_IN_AGAIN) from None
        if fresh.refresh_token is None:
            log.warning("Procore renewed the sign-in without a new refresh token")
        self._commit(fresh)

    def _renew_service_account(self) -> None:
        try:
            fresh = self._oauth.client_credentials()
        except AuthError as exc:
            raise self._end(exc.message) from None
        self._commit(fresh)

    def _commit(self, fresh: TokenSet) -> None:
        updated = dataclasses.replace(self._sign_in, tokens=fresh)
        # Stored first: a crash after this point still leaves the live refresh token saved.
        saved.save(self._store, updated)
        self._sign_in = updated
        log.info("Sign-in renewed for user %s", updated.user_id)

    def _adopt_newer_saved(self, current: TokenSet) -> bool:
        """Use tokens another copy of the app saved after renewing them itself."""
        stored = saved.load(self._store)
        if stored is None or stored.user_id != self._sign_in.user_id:
            return False
        if stored.tokens.access_token == current.access_token:
            return False
        ahead = min(REFRESH_AHEAD, REFRESH_AHEAD_SHARE * stored.tokens.lifetime)
        if stored.tokens.expires_within(ahead, self._clock()):
            # Its access token is as stale as ours, but its refresh token is the live one.
            self._sign_in = stored
            return False
        self._sign_in = stored
        log.info("Using the sign-in another window of the app renewed")
        return True
