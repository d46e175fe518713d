"""Procore's OAuth 2.0 endpoints: the authorize URL, code exchange, refresh, revoke, and
client credentials. One POST each and never an automatic retry: a refresh token is spent by
any call that reaches the server, so only the caller may decide what happens next.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from uploader_gui.auth import pkce
from uploader_gui.auth.credentials import ClientCredentials
from uploader_gui.auth.errors import LoginFailed
from uploader_gui.procore.errors import AuthError, BadResponse, ServerError, SignInRequired
from uploader_gui.procore.http import build_session, network_error, surely_not_sent
from uploader_gui.procore.responses import read_limited

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint answered. ``expires_at`` is Unix seconds on our clock."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float
    #: "authorization_code" (a person) or "client_credentials" (a service account).
    grant: str = "authorization_code"
    #: When we received it (Unix seconds), to refresh a fixed share of its life ahead.
    obtained_at: float = 0.0

    @property
    def lifetime(self) -> float:
        return max(0.0, self.expires_at - self.obtained_at) if self.obtained_at else 5400.0

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        return self.expires_at - (time.time() if now is None else now) <= seconds

    def to_dict(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "expires_at": self.expires_at, "grant": self.grant,
                "obtained_at": self.obtained_at}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TokenSet:
        return cls(str(raw["access_token"]), raw.get("refresh_token") or None,
                   float(raw["expires_at"]), str(raw.get("grant") or "authorization_code"),
                   float(raw.get("obtained_at") or 0.0))


class OAuthClient:
    """Talks to ``{login_base}/oauth/...`` with the app's client id and secret."""

    def __init__(self, login_base: str, credentials: ClientCredentials, *,
                 session: requests.Session | None = None,
                 timeout: tuple[float, float] = (10, 30)) -> None:
        self.login_base = login_base.rstrip("/")
        self.credentials = credentials
        self._host = urlsplit(self.login_base).netloc
        self._own_session = session is None
        self._session = session or build_session()
        self._timeout = timeout

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    def authorize_url(self, state: str, redirect_uri: str | None = None,
                      code_verifier: str | None = None) -> str:
        params = {"response_type": "code", "client_id": self.credentials.client_id,
                  "redirect_uri": redirect_uri or self.credentials.redirect_uri, "state": state}
        if code_verifier is not None:  # PKCE: only the challenge goes to the browser
            params.update(code_challenge=pkce.challenge(code_verifier),
                          code_challenge_method=pkce.METHOD)
        return f"{self.login_base}/oauth/authorize?{urlencode(params)}"

    def exchange_code(self, code: str, redirect_uri: str | None = None,
                      code_verifier: str | None = None) -> TokenSet:
        """Trade the code from the sign-in page for tokens."""
        form = {"grant_type": "authorization_code", "code": code.strip(),
                "redirect_uri": redirect_uri or self.credentials.redirect_uri}
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        answer = self._post("/oauth/token", {**form, **self._client_fields()}, what="sign-in")
        return self._token_set(answer, "authorization_code")

    def refresh(self, refresh_token: str, redirect_uri: str | None = None) -> TokenSet:
        """New tokens for a refresh token; the old one is spent whatever happens here.

        Raises SignInRequired when Procore refuses (the person must sign in again).
        """
        # redirect_uri as in Procore's refresh example (the one registered for the app).
        answer = self._post("/oauth/token", {
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "redirect_uri": redirect_uri or self.credentials.redirect_uri,
            **self._client_fields()},
            what="refresh")
        return self._token_set(answer, "authorization_code")

    def client_credentials(self) -> TokenSet:
        """Tokens for the app's own service account (unattended use)."""
        answer = self._post("/oauth/token", {"grant_type": "client_credentials",
                                             **self._client_fields()}, what="service")
        return self._token_set(answer, "client_credentials")

    def revoke(self, token: str) -> None:
        self._post("/oauth/revoke", {"token": token, **self._client_fields()}, what="revoke")

    # -- details ---------------------------------------------------------------------------

    def _client_fields(self) -> dict[str, str]:
        return {"client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret}

    def _post(self, path: str, form: dict[str, str], *, what: str) -> dict[str, Any]:
        url = self.login_base + path
        try:
            response = self._session.post(url, data=form, timeout=self._timeout,
                                          allow_redirects=False,
                                          headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            if what == "refresh" and not surely_not_sent(exc):
                # The server may have spent the refresh token; it is never sent again.
                raise SignInRequired(
                    "The connection broke off while your Procore sign-in was being renewed. "
                    "Please sign in again.") from None
            raise network_error(exc, self._host) from None
        with response:
            body = read_limited(response)
            status = response.status_code
        data: Any = None
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError, RecursionError):  # nested too deep: unreadable
            data = None
        if 200 <= status < 300:
            if not isinstance(data, dict):
                raise BadResponse(f"Procore's sign-in server at {self._host} gave an answer "
                                  "the app cannot read.", status=status)
            return data
        raise _oauth_error(status, data, what, self._host)

    def _token_set(self, data: dict[str, Any], grant: str) -> TokenSet:
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise BadResponse("Procore's sign-in server answered without an access token.")
        refresh = data.get("refresh_token")
        try:
            lifetime = float(data.get("expires_in") or 5400)
        except (TypeError, ValueError):
            lifetime = 5400.0
        # Our own clock, not created_at: the two machines' clocks may disagree.
        now = time.time()
        return TokenSet(access, refresh if isinstance(refresh, str) and refresh else None,
                        now + lifetime, grant, now)


def _oauth_error(status: int, data: Any, what: str, host: str) -> Exception:
    """The error for a refused OAuth call, in words a person understands."""
    code = data.get("error") if isinstance(data, dict) else None
    detail = data.get("error_description") if isinstance(data, dict) else None
    code = code if isinstance(code, str) else None
    log.warning("Sign-in server answered HTTP %d (%s) to a %s call", status, code or "no code",
                what)
    if code == "invalid_client":
        return AuthError("Procore did not accept this app's client ID or secret. Ask your "
                         "administrator to check the sign-in settings.", status=status, code=code)
    if status >= 500:
        failure = ServerError(f"Procore's sign-in server at {host} had a problem "
                              f"(HTTP {status}). Try again in a few minutes.", status=status)
        if what == "refresh":
            # The refresh token may be spent already; it is never sent again.
            return SignInRequired("Procore could not renew your sign-in. Please sign in again.",
                                  status=status, code=code)
        return failure
    if what == "refresh":
        return SignInRequired("Your Procore sign-in has expired or was ended. Please sign in "
                              "again.", status=status, code=code)
    if what == "sign-in" and code == "invalid_grant":
        return LoginFailed("Procore did not accept the sign-in code: it may have been used "
                         "already or be more than ten minutes old. Please sign in again.",
                         status=status, code=code)
    message = detail if isinstance(detail, str) and detail else f"HTTP {status}"
    return AuthError(f"Procore refused the sign-in request: {message}", status=status,
                     code=code)
