"""The sandbox's OAuth routes over real sockets: registered redirects only, single-use codes
that live ten minutes, single-use rotating refresh tokens, client credentials, revoke."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from uploader_gui.sandbox import DemoInfo, Sandbox
from uploader_gui.sandbox import oauth as sandbox_oauth

DEMO = sandbox_oauth.DEMO_CLIENT_ID
SECRET = sandbox_oauth.DEMO_CLIENT_SECRET
REDIRECT = "http://localhost:8765/callback"


def _code(sandbox: Sandbox, redirect: str = REDIRECT, state: str = "s1") -> str:
    answer = requests.post(f"{sandbox.login_url}/oauth/authorize", allow_redirects=False,
                           timeout=10, data={"response_type": "code", "client_id": DEMO,
                                             "redirect_uri": redirect, "state": state,
                                             "decision": "allow"})
    if redirect == sandbox_oauth.OOB:
        found = re.search(r'id="code">([^<]+)<', answer.text)
        assert found, answer.text
        return found.group(1)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == [state]
    return query["code"][0]


def _token(sandbox: Sandbox, **form: str) -> requests.Response:
    form.setdefault("client_id", DEMO)
    form.setdefault("client_secret", SECRET)
    if form.get("grant_type") == "refresh_token":
        form.setdefault("redirect_uri", REDIRECT)
    return requests.post(f"{sandbox.login_url}/oauth/token", data=form, timeout=10)


def _me(sandbox: Sandbox, token: str) -> int:
    return requests.get(f"{sandbox.api_url}/rest/v1.0/me", timeout=10,
                        headers={"Authorization": f"Bearer {token}"}).status_code


def test_authorize_page_asks_and_rejects_unregistered_redirects(sandbox: Sandbox,
                                                                 demo: DemoInfo) -> None:
    params = {"response_type": "code", "client_id": DEMO, "redirect_uri": REDIRECT,
              "state": "abc"}
    page = requests.get(f"{sandbox.login_url}/oauth/authorize", params=params, timeout=10)
    assert page.status_code == 200
    assert "Allow Procore Uploader to access your Procore account?" in page.text
    assert 'id="allow"' in page.text and 'value="abc"' in page.text

    dynamic = dict(params, redirect_uri="http://127.0.0.1:50123/callback")
    refused = requests.get(f"{sandbox.login_url}/oauth/authorize", params=dynamic, timeout=10)
    assert refused.status_code == 400 and "not registered" in refused.text
    unknown = requests.get(f"{sandbox.login_url}/oauth/authorize", timeout=10,
                           params=dict(params, client_id="nobody"))
    assert unknown.status_code == 400


def test_code_is_single_use_and_bound_to_its_redirect(sandbox: Sandbox, demo: DemoInfo) -> None:
    code = _code(sandbox)
    wrong_redirect = _token(sandbox, grant_type="authorization_code", code=code,
                            redirect_uri=sandbox_oauth.OOB)
    assert wrong_redirect.status_code == 400
    assert wrong_redirect.json()["error"] == "invalid_grant"

    code = _code(sandbox)
    good = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert good.status_code == 200
    body = good.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 5400
    assert body["refresh_token"] and isinstance(body["created_at"], int)
    assert _me(sandbox, body["access_token"]) == 200
    again = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400


def test_code_lives_ten_minutes(sandbox: Sandbox, demo: DemoInfo) -> None:
    code = _code(sandbox)
    sandbox.advance_clock(601)
    late = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_oob_shows_the_code_on_the_page(sandbox: Sandbox, demo: DemoInfo) -> None:
    code = _code(sandbox, sandbox_oauth.OOB)
    good = _token(sandbox, grant_type="authorization_code", code=code,
                  redirect_uri=sandbox_oauth.OOB)
    assert good.status_code == 200


def test_refresh_tokens_rotate_and_any_use_spends_them(sandbox: Sandbox, demo: DemoInfo) -> None:
    sandbox.token_lifetime = 120
    first = _token(sandbox, grant_type="authorization_code", code=_code(sandbox),
                   redirect_uri=REDIRECT).json()
    assert first["expires_in"] == 120

    second = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert _me(sandbox, first["access_token"]) == 401  # the old pair is gone
    assert _me(sandbox, rotated["access_token"]) == 200

    reused = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 401
    assert reused.json() == {"error": "invalid_grant",
                             "error_description": "The refresh token is invalid"}

    # A failed call (wrong secret) spends the token too.
    failed = _token(sandbox, grant_type="refresh_token", client_secret="wrong",
                    refresh_token=rotated["refresh_token"])
    assert failed.status_code == 401 and failed.json()["error"] == "invalid_client"
    after = _token(sandbox, grant_type="refresh_token", refresh_token=rotated["refresh_token"])
    assert after.status_code == 401
    counts = sandbox_oauth.counters(sandbox.state)
    assert counts["refresh_token"] == 1 and counts["refresh_token:failed"] == 3


def test_refresh_needs_a_registered_redirect_uri(sandbox: Sandbox, demo: DemoInfo) -> None:
    """Procore's refresh example sends redirect_uri with the grant: without it (or with one
    not registered for the app) the refresh is refused, and the refresh token is spent."""
    first = _token(sandbox, grant_type="authorization_code", code=_code(sandbox),
                   redirect_uri=REDIRECT).json()
    for redirect in ("", "http://localhost:9/elsewhere"):
        again = _token(sandbox, grant_type="authorization_code", code=_code(sandbox),
                       redirect_uri=REDIRECT).json()
        refused = _token(sandbox, grant_type="refresh_token", redirect_uri=redirect,
                         refresh_token=again["refresh_token"])
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
        spent = _token(sandbox, grant_type="refresh_token", refresh_token=again["refresh_token"])
        assert spent.status_code == 401
    ok = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert ok.status_code == 200


def test_client_credentials_and_basic_auth(sandbox: Sandbox, demo: DemoInfo) -> None:
    answer = requests.post(f"{sandbox.login_url}/oauth/token", auth=(DEMO, SECRET), timeout=10,
                           data={"grant_type": "client_credentials"})
    assert answer.status_code == 200
    body = answer.json()
    assert "refresh_token" not in body
    me = requests.get(f"{sandbox.api_url}/rest/v1.0/me", timeout=10,
                      headers={"Authorization": f"Bearer {body['access_token']}",
                               "Procore-Company-Id": str(demo.company_id)}).json()
    assert me["id"] != demo.user_id and "Service Account" in me["name"]
    bad = requests.post(f"{sandbox.login_url}/oauth/token", auth=(DEMO, "nope"), timeout=10,
                        data={"grant_type": "client_credentials"})
    assert bad.status_code == 401


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoking_either_token_ends_both(sandbox: Sandbox, demo: DemoInfo, which: str) -> None:
    tokens = _token(sandbox, grant_type="authorization_code", code=_code(sandbox),
                    redirect_uri=REDIRECT).json()
    revoked = requests.post(f"{sandbox.login_url}/oauth/revoke", timeout=10,
                            data={"token": tokens[which], "client_id": DEMO,
                                  "client_secret": SECRET})
    assert revoked.status_code == 200
    assert _me(sandbox, tokens["access_token"]) == 401
    refresh = _token(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refresh.status_code == 401


def test_deny_redirects_with_access_denied(sandbox: Sandbox, demo: DemoInfo) -> None:
    answer = requests.post(f"{sandbox.login_url}/oauth/authorize", allow_redirects=False,
                           timeout=10, data={"response_type": "code", "client_id": DEMO,
                                             "redirect_uri": REDIRECT, "state": "z",
                                             "decision": "deny"})
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["z"]}


def test_unknown_oauth_route_is_404(sandbox: Sandbox) -> None:
    assert requests.get(f"{sandbox.login_url}/oauth/nothing", timeout=10).status_code == 404
