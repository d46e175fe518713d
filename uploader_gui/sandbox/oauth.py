"""The sandbox's OAuth 2.0 routes (/oauth/authorize, /oauth/token, /oauth/revoke).

They behave as Procore's sign-in server does for installed apps: registered redirect URIs only
(no dynamic loopback ports), single-use codes that live ten minutes, single-use refresh tokens
that rotate (any refresh call, even a failed one, spends the old token), client credentials.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import logging
import re
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

logger = logging.getLogger(__name__)

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = 600
DEMO_CLIENT_ID = "demo-client-id"
# Not a secret: the sandbox is a local practice server and this app exists only there.
DEMO_CLIENT_SECRET = "demo-client-secret"
DEMO_REDIRECT_URIS = ("http://localhost:8765/callback", OOB)

INVALID_GRANT = ("The provided authorization grant is invalid, expired, revoked, does not match "
                 "the redirection URI used in the authorization request, or was issued to "
                 "another client.")
INVALID_REFRESH = "The refresh token is invalid"
PKCE_ONLY_S256 = "code_challenge must be a base64url SHA-256 digest, code_challenge_method S256"
INVALID_CLIENT = ("Client authentication failed due to unknown client, no client authentication "
                  "included, or unsupported authentication method.")

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class ClientApp:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    #: The user client-credentials tokens act as; made on first use.
    service_user_id: int | None = None


@dataclass
class AuthorizationCode:
    client_id: str
    user_id: int
    redirect_uri: str
    expires_at: float
    #: The PKCE S256 challenge the sign-in page was given ("" when none was sent).
    code_challenge: str = ""


@dataclass
class Grant:
    """One issued token pair: revoking either token revokes both, as Doorkeeper does."""

    client_id: str
    user_id: int
    access_token: str
    refresh_token: str | None


@dataclass
class OAuthData:
    """Kept in ``state.extensions["oauth"]``; guarded by ``state.lock``."""

    apps: dict[str, ClientApp] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    #: Live refresh tokens only: using one removes it.
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    #: Calls per kind ("authorize", "authorization_code", "refresh_token",
    #: "client_credentials", "revoke", and "<grant>:failed" for refused ones), for tests.
    calls: Counter[str] = field(default_factory=Counter)


def register_app(state: Any, client_id: str, client_secret: str,
                 redirect_uris: list[str] | tuple[str, ...]) -> ClientApp:
    """Add (or replace) a client app the sandbox accepts."""
    with state.lock:
        app = ClientApp(client_id, client_secret, tuple(redirect_uris))
        _data(state).apps[client_id] = app
        return app


def counters(state: Any) -> dict[str, int]:
    """How many OAuth calls of each kind the sandbox has answered."""
    with state.lock:
        return dict(_data(state).calls)


def _data(state: Any) -> OAuthData:
    with state.lock:
        data = state.extensions.get("oauth")
        if data is None:
            data = OAuthData()
            data.apps[DEMO_CLIENT_ID] = ClientApp(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                                                  DEMO_REDIRECT_URIS)
            state.extensions["oauth"] = data
        return data  # type: ignore[no-any-return]


def handle(state: Any, method: str, path: str, query: Mapping[str, list[str]],
           form: Mapping[str, list[str]], headers: Mapping[str, str]) -> Answer:
    """Answer one request under /oauth/. Returns (status, headers, body)."""
    with state.lock:
        data = _data(state)
        if path == "/oauth/authorize" and method in ("GET", "POST"):
            return _authorize(state, data, method, query, form)
        if path == "/oauth/token" and method == "POST":
            return _token(state, data, form, headers)
        if path == "/oauth/revoke" and method == "POST":
            return _revoke(state, data, form)
    return _json(404, {"error": "not_found", "error_description": f"No route {method} {path}"})


# -- /oauth/authorize ---------------------------------------------------------------------


def _authorize(state: Any, data: OAuthData, method: str, query: Mapping[str, list[str]],
               form: Mapping[str, list[str]]) -> Answer:
    params = form if method == "POST" else query
    client_id = _one(params, "client_id")
    redirect_uri = _one(params, "redirect_uri")
    app = data.apps.get(client_id)
    # Problems with the client or redirect are shown, never redirected (RFC 6749 4.1.2.1).
    if app is None:
        return _page(400, "Sign-in problem", "<p>This app is not registered with Procore "
                     "(unknown client_id).</p>")
    if redirect_uri not in app.redirect_uris:
        return _page(400, "Sign-in problem", "<p>The redirect URI "
                     f"<code>{html.escape(redirect_uri)}</code> is not registered for this "
                     "app.</p>")
    state_param = _one(params, "state")
    if _one(params, "response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type",
                                        "state": state_param})
    challenge = _one(params, "code_challenge")
    if (challenge or "code_challenge_method" in params) and not _valid_challenge(params):
        return _redirect(redirect_uri, {"error": "invalid_request", "state": state_param,
                                        "error_description": PKCE_ONLY_S256})
    if method == "GET":
        return _consent_page(params)
    data.calls["authorize"] += 1
    if _one(form, "decision") != "allow":
        return _redirect(redirect_uri, {"error": "access_denied", "state": state_param})
    user_id = _signing_in_user(state, _one(form, "login_as"))
    if user_id is None:
        return _page(400, "Sign-in problem", "<p>There is no user to sign in as.</p>")
    code = secrets.token_urlsafe(24)
    data.codes[code] = AuthorizationCode(client_id, user_id, redirect_uri,
                                         state.now() + CODE_LIFETIME, challenge)
    if redirect_uri == OOB:
        return _page(200, "Authorization code",
                     "<p>Copy this code, switch to Procore Uploader and paste it there:</p>"
                     f'<p><code id="code">{html.escape(code)}</code></p>')
    return _redirect(redirect_uri, {"code": code, "state": state_param})


def _signing_in_user(state: Any, login_as: str) -> int | None:
    if login_as.isdigit() and int(login_as) in state.users:
        return int(login_as)
    if state.demo_user_id is not None:
        return int(state.demo_user_id)
    return min(state.users) if state.users else None


def _consent_page(params: Mapping[str, list[str]]) -> Answer:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(_one(params, name))}">'
        for name in ("response_type", "client_id", "redirect_uri", "state", "login_as",
                     "code_challenge", "code_challenge_method")
        if name in params)
    body = ("<p>Allow Procore Uploader to access your Procore account?</p>"
            '<form method="post" action="/oauth/authorize">' + hidden +
            '<button type="submit" id="allow" name="decision" value="allow">Allow</button> '
            '<button type="submit" id="deny" name="decision" value="deny">Deny</button>'
            "</form>")
    return _page(200, "Authorize Procore Uploader", body)


def _redirect(redirect_uri: str, params: dict[str, str]) -> Answer:
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v]
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return 302, {"Location": location, "Content-Type": "text/plain; charset=utf-8",
                 "Cache-Control": "no-store"}, b"Redirecting"


# -- /oauth/token --------------------------------------------------------------------------


def _token(state: Any, data: OAuthData, form: Mapping[str, list[str]],
           headers: Mapping[str, str]) -> Answer:
    grant_type = _one(form, "grant_type")
    client_id, client_secret = _client_auth(form, headers)
    app = data.apps.get(client_id)
    if grant_type == "refresh_token":
        # Spent before anything else is checked: even a failed call invalidates it.
        grant = data.refresh_tokens.pop(_one(form, "refresh_token"), None)
        if grant is not None:
            state.revoke_access_token(grant.access_token)
    if app is None or not secrets.compare_digest(app.client_secret, client_secret):
        data.calls[f"{grant_type}:failed"] += 1
        return _json(401, {"error": "invalid_client", "error_description": INVALID_CLIENT})
    if grant_type == "authorization_code":
        record = data.codes.pop(_one(form, "code"), None)
        if (record is None or record.client_id != client_id or record.expires_at <= state.now()
                or record.redirect_uri != _one(form, "redirect_uri")
                or not _verifier_matches(record, _one(form, "code_verifier"))):
            data.calls["authorization_code:failed"] += 1
            return _json(400, {"error": "invalid_grant", "error_description": INVALID_GRANT})
        data.calls["authorization_code"] += 1
        return _issue(state, data, client_id, record.user_id, with_refresh=True)
    if grant_type == "refresh_token":
        # Procore's refresh example sends redirect_uri with the grant: required here, and it
        # must be one registered for the app (the refresh token is spent either way).
        if _one(form, "redirect_uri") not in app.redirect_uris:
            data.calls["refresh_token:failed"] += 1
            return _json(400, {"error": "invalid_grant", "error_description": INVALID_GRANT})
        if grant is None or grant.client_id != client_id or grant.user_id not in state.users:
            data.calls["refresh_token:failed"] += 1
            # Procore answers 401 with this message when the person must sign in again.
            return _json(401, {"error": "invalid_grant", "error_description": INVALID_REFRESH})
        data.calls["refresh_token"] += 1
        return _issue(state, data, client_id, grant.user_id, with_refresh=True)
    if grant_type == "client_credentials":
        data.calls["client_credentials"] += 1
        return _issue(state, data, client_id, _service_user(state, app), with_refresh=False)
    data.calls[f"{grant_type or 'none'}:failed"] += 1
    return _json(400, {"error": "unsupported_grant_type",
                       "error_description": "The authorization grant type is not supported by "
                                            "the authorization server."})


def _valid_challenge(params: Mapping[str, list[str]]) -> bool:
    """Only S256 is taken (as a strict server does): ``plain`` would defeat the point."""
    return (_one(params, "code_challenge_method") == "S256"
            and re.fullmatch(r"[A-Za-z0-9_-]{43}", _one(params, "code_challenge")) is not None)


def _verifier_matches(record: AuthorizationCode, verifier: str) -> bool:
    """A code issued for a PKCE challenge is exchanged only with the verifier behind it."""
    if not record.code_challenge:
        return True  # no challenge was sent: the verifier is ignored, as RFC 7636 says
    if not re.fullmatch(r"[A-Za-z0-9._~-]{43,128}", verifier):
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return secrets.compare_digest(expected, record.code_challenge)


def _client_auth(form: Mapping[str, list[str]], headers: Mapping[str, str]) -> tuple[str, str]:
    value = headers.get("authorization", "")
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return _one(form, "client_id"), _one(form, "client_secret")


def _service_user(state: Any, app: ClientApp) -> int:
    if app.service_user_id is None or app.service_user_id not in state.users:
        companies = sorted(state.companies)
        app.service_user_id = state.add_user(f"Service Account ({app.client_id})",
                                             f"{app.client_id}@service.example.com", companies)
        state.users[app.service_user_id].service_account = True
    return app.service_user_id


def _issue(state: Any, data: OAuthData, client_id: str, user_id: int, *,
           with_refresh: bool) -> Answer:
    lifetime = int(state.token_lifetime)
    access = state.issue_access_token(user_id, lifetime)
    body: dict[str, Any] = {"access_token": access, "token_type": "bearer",
                            "expires_in": lifetime, "created_at": int(state.now())}
    if with_refresh:
        refresh = secrets.token_urlsafe(32)
        data.refresh_tokens[refresh] = Grant(client_id, user_id, access, refresh)
        body["refresh_token"] = refresh
    return _json(200, body)


# -- /oauth/revoke -------------------------------------------------------------------------


def _revoke(state: Any, data: OAuthData, form: Mapping[str, list[str]]) -> Answer:
    token = _one(form, "token")
    data.calls["revoke"] += 1
    grant = data.refresh_tokens.pop(token, None)
    if grant is not None:
        state.revoke_access_token(grant.access_token)
    else:
        for refresh, other in list(data.refresh_tokens.items()):
            if other.access_token == token:
                del data.refresh_tokens[refresh]
        state.revoke_access_token(token)
    # RFC 7009: the answer is 200 whether or not the token was known.
    return _json(200, {})


# -- small helpers -------------------------------------------------------------------------


def _one(params: Mapping[str, list[str]], name: str) -> str:
    values = params.get(name) or [""]
    return values[0]


def _json(status: int, body: dict[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8",
                    "Cache-Control": "no-store", "Pragma": "no-cache"}, json.dumps(body).encode()


def _page(status: int, title: str, body: str) -> Answer:
    page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1>{body}</body></html>")
    return status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}, \
        page.encode()
