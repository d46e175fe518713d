"""Signing in and out of one Procore environment; the entry points the window and CLI use.

- :func:`token_provider_for` gives the token source for API calls.
- :func:`begin_login` starts a browser sign-in and returns a :class:`LoginAttempt`
  (``wait``, ``cancel``, ``complete_with_code`` for the out-of-band code).
- :func:`login_service_account`, :func:`sign_out`, :func:`current_sign_in`.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from uploader_gui.auth import pkce, saved
from uploader_gui.auth.credentials import (
    OOB_REDIRECT,
    ClientCredentials,
    CredentialsMissing,
    load_credentials,
)
from uploader_gui.auth.errors import LoginCancelled, LoginFailed
from uploader_gui.auth.keyring_store import KeyringStore, service_name
from uploader_gui.auth.loopback import LoopbackListener, Redirect
from uploader_gui.auth.oauth import OAuthClient, TokenSet
from uploader_gui.auth.provider import OAuthTokenProvider
from uploader_gui.auth.saved import SignIn
from uploader_gui.config import Environment
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.errors import SignInRequired
from uploader_gui.procore.tokens import StaticTokenProvider, TokenProvider

log = logging.getLogger(__name__)

NOT_SIGNED_IN = "You are not signed in. Run 'procore-uploader login'."
#: How long a sign-in started with ``interactive=True`` waits for the browser.
INTERACTIVE_WAIT = 300.0
#: Set to 1 to use the service account (client credentials) when nobody is signed in.
SERVICE_ACCOUNT_ENV = "PROCORE_SERVICE_ACCOUNT"
#: The service account's company id (Procore wants it on every call of such an account).
COMPANY_ID_ENV = "PROCORE_COMPANY_ID"
SERVICE_ACCOUNT_NEEDS_COMPANY = (
    "A service account works inside one company, and Procore needs to know which one on every "
    "request. Give its company id with --company-id N (or PROCORE_COMPANY_ID): it is the "
    "number after /companies/ in your company's Procore web address, or ask your Procore "
    "administrator.")
#: Set to a file path to keep tokens there in plain text when no password store works.
PLAINTEXT_ENV = "PROCORE_UPLOADER_TOKEN_FILE"

OpenBrowser = Callable[[str], object]


def store_for(environment: Environment) -> KeyringStore:
    """The password-store entries of ``environment``."""
    plain = os.environ.get(PLAINTEXT_ENV, "").strip()
    return KeyringStore(service_name(environment.api_base),
                        plaintext_file=Path(plain) if plain else None)


def current_sign_in(environment: Environment, *,
                    store: KeyringStore | None = None) -> SignIn | None:
    """Who is signed in to ``environment`` according to the password store."""
    return saved.load(store or store_for(environment))


def token_provider_for(environment: Environment, *, interactive: bool,
                       service_account: bool | None = None,
                       store: KeyringStore | None = None,
                       credentials: ClientCredentials | None = None) -> TokenProvider:
    """The token source for API calls to ``environment``.

    ``PROCORE_ACCESS_TOKEN`` first, then the saved sign-in, then the service account when asked
    for (``service_account`` or ``PROCORE_SERVICE_ACCOUNT=1``), then with ``interactive`` a
    browser sign-in; otherwise SignInRequired.
    """
    if os.environ.get("PROCORE_ACCESS_TOKEN", "").strip():
        return StaticTokenProvider.from_environment()
    store = store or store_for(environment)
    found = saved.load(store)
    if found is not None:
        creds = credentials or load_credentials()
        return OAuthTokenProvider(OAuthClient(environment.login_base, creds), store, found)
    if service_account is None:
        service_account = os.environ.get(SERVICE_ACCOUNT_ENV, "").strip().lower() in {
            "1", "true", "yes"}
    if service_account:
        return login_service_account(environment, store=store, credentials=credentials,
                                     company_id=_company_from_environment())
    if interactive:
        attempt = begin_login(environment, webbrowser.open, store=store,
                              credentials=credentials)
        print(f"Sign in to Procore in your browser. If it did not open, go to:\n"
              f"{attempt.authorize_url}")
        return attempt.wait(INTERACTIVE_WAIT)
    raise SignInRequired(NOT_SIGNED_IN)


def _company_from_environment() -> int | None:
    raw = os.environ.get(COMPANY_ID_ENV, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise SignInRequired(f"{COMPANY_ID_ENV} must be a number; it is {raw!r}.") from None


def login_service_account(environment: Environment, *, store: KeyringStore | None = None,
                          credentials: ClientCredentials | None = None,
                          company_id: int | None = None) -> OAuthTokenProvider:
    """Sign in as the app's service account (client credentials) and save the sign-in.

    Procore's client-credentials guide: such accounts "must include the Procore-Company-Id
    request header when making calls to /rest/v1.0/me or /rest/v1.0/companies", so the
    company is needed before the first call (``company_id``, else ``PROCORE_COMPANY_ID``).
    """
    if company_id is None:
        company_id = _company_from_environment()
    if company_id is None:
        raise SignInRequired(SERVICE_ACCOUNT_NEEDS_COMPANY)
    store = store or store_for(environment)
    oauth = OAuthClient(environment.login_base, credentials or load_credentials())
    tokens = oauth.client_credentials()
    return _finish_sign_in(environment, oauth, store, tokens, company_id=company_id)


def sign_out(environment: Environment, *, store: KeyringStore | None = None,
             credentials: ClientCredentials | None = None) -> SignIn | None:
    """Revoke the saved tokens and clear the entry; returns who was signed out (or None)."""
    store = store or store_for(environment)
    found = saved.load(store)
    if found is None:
        return None
    try:
        creds = credentials or load_credentials()
    except CredentialsMissing:
        # Revoking needs the client secret; forgetting the tokens here does not.
        log.warning("Signing out without revoking: the sign-in settings are missing")
        saved.clear(store, found.user_id)
        return found
    provider = OAuthTokenProvider(OAuthClient(environment.login_base, creds), store, found)
    provider.sign_out()
    return found


def begin_login(environment: Environment, open_browser: OpenBrowser, *, oob: bool = False,
                port: int | None = None, store: KeyringStore | None = None,
                credentials: ClientCredentials | None = None) -> LoginAttempt:
    """Start signing in: listen for the redirect (unless out-of-band) and open the browser."""
    attempt = LoginAttempt(environment, credentials or load_credentials(),
                           store or store_for(environment), oob=oob, port=port)
    attempt.open(open_browser)
    return attempt


class LoginAttempt:
    """One browser sign-in. ``wait`` in a worker thread; ``cancel`` from anywhere.

    The code arrives on the loopback listener, or by :meth:`complete_with_code` when the person
    pastes what Procore showed (out-of-band).
    """

    def __init__(self, environment: Environment, credentials: ClientCredentials,
                 store: KeyringStore, *, oob: bool = False, port: int | None = None) -> None:
        self.environment = environment
        self._oauth = OAuthClient(environment.login_base, credentials)
        self._store = store
        self._state = secrets.token_urlsafe(24)
        self._pasted: str | None = None
        self._cancelled = False
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.oob = oob or credentials.is_oob
        self._listener: LoopbackListener | None = None
        if self.oob:
            self.redirect_uri = OOB_REDIRECT
        else:
            registered = urlsplit(credentials.redirect_uri)
            listen_port = (registered.port or 80) if port is None else port
            self._listener = LoopbackListener(self._state, port=listen_port,
                                              path=registered.path or "/",
                                              on_done=self._event.set).start()
            self.redirect_uri = self._listener.redirect_uri
        self._verifier = pkce.new_verifier()
        self.authorize_url = self._oauth.authorize_url(self._state, self.redirect_uri,
                                                       self._verifier)

    def open(self, open_browser: OpenBrowser) -> None:
        """Show the sign-in page; a browser that fails to open leaves the URL to show."""
        try:
            open_browser(self.authorize_url)
        except Exception as exc:  # noqa: BLE001 - the person can still open the URL themselves
            log.warning("Could not open the browser for sign-in: %s", type(exc).__name__)

    def complete_with_code(self, code: str) -> None:
        """Hand over the code the person pasted (out-of-band sign-in)."""
        code = code.strip()
        if not code:
            raise ValueError("Paste the code Procore showed after you allowed access.")
        with self._lock:
            self._pasted = code
        self._event.set()
        if self._listener is not None:
            self._listener.stop()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
        self._event.set()
        if self._listener is not None:
            self._listener.stop()

    def wait(self, timeout: float | None = None) -> OAuthTokenProvider:
        """Block until the code arrives, then exchange it and save the sign-in."""
        arrived = self._event.wait(timeout)
        try:
            with self._lock:
                cancelled, pasted = self._cancelled, self._pasted
            if cancelled:
                raise LoginCancelled("Signing in was cancelled.")
            if not arrived:
                raise LoginFailed("Signing in took too long. Please try again.")
            code = pasted or self._redirected_code()
            tokens = self._oauth.exchange_code(code, self.redirect_uri, self._verifier)
            return _finish_sign_in(self.environment, self._oauth, self._store, tokens,
                                   redirect_uri=self.redirect_uri)
        finally:
            if self._listener is not None:
                self._listener.stop()

    def _redirected_code(self) -> str:
        redirect = self._listener.wait(0) if self._listener is not None else None
        if redirect is None:
            raise LoginCancelled("Signing in was stopped.")
        if redirect.code:
            return redirect.code
        raise LoginFailed(_refusal(redirect))


def _refusal(redirect: Redirect) -> str:
    if redirect.error == "access_denied":
        return "You chose not to allow Procore Uploader access, so you are not signed in."
    return ("Procore did not sign you in"
            + (f": {redirect.error_description or redirect.error}." if redirect.error else ".")
            + " Please try again.")


def _finish_sign_in(environment: Environment, oauth: OAuthClient, store: KeyringStore,
                    tokens: TokenSet, *, company_id: int | None = None,
                    redirect_uri: str | None = None) -> OAuthTokenProvider:
    """Find out who signed in, save the sign-in under that user, and return its provider."""
    with ProcoreClient(environment.api_base,
                       StaticTokenProvider(tokens.access_token, company_id=company_id)) as client:
        me = client.me()
    sign_in = SignIn(str(me.get("id")), str(me.get("name") or ""), str(me.get("login") or ""),
                     tokens, company_id, redirect_uri)
    saved.save(store, sign_in)
    log.info("Signed in as user %s on %s", sign_in.user_id, urlsplit(environment.api_base).netloc)
    if store.notice:
        log.warning("Sign-in kept for this run only: no usable password store")
    return OAuthTokenProvider(oauth, store, sign_in)
