"""The sign-in code cannot be caught on its way back: both loopback addresses, and PKCE."""

from __future__ import annotations

import errno
import socket
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from keyrings.alt.file import PlaintextKeyring

from uploader_gui.auth import pkce, session
from uploader_gui.auth.credentials import ClientCredentials
from uploader_gui.auth.errors import LoginFailed
from uploader_gui.auth.loopback import LoopbackListener, Redirect
from uploader_gui.config import Environment
from uploader_gui.sandbox import DemoInfo, Sandbox
from uploader_gui.sandbox import oauth as sandbox_oauth

from .conftest import FakeUser

STATE = "expected-state-value"
REDIRECT = "http://localhost:8765/callback"


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")


@needs_ipv6
def test_the_listener_also_holds_the_ipv6_loopback_port() -> None:
    listener = LoopbackListener(STATE, port=0).start()
    try:
        port = listener.port
        # Nobody else can take [::1]:PORT while the sign-in waits ...
        with socket.socket(socket.AF_INET6) as squatter, pytest.raises(OSError) as taken:
            squatter.bind(("::1", port))
        assert taken.value.errno == errno.EADDRINUSE
        # ... and a browser that looks "localhost" up as ::1 reaches the app itself.
        answer = requests.get(f"http://[::1]:{port}/callback", timeout=10,
                              params={"code": "c6", "state": STATE})
        assert answer.status_code == 200
        assert listener.wait(10) == Redirect(code="c6")
    finally:
        listener.stop()


@needs_ipv6
def test_a_port_already_held_on_ipv6_stops_the_sign_in() -> None:
    with socket.socket(socket.AF_INET6) as squatter:
        squatter.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        squatter.bind(("::1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(LoginFailed, match=f"using port {port}"):
            LoopbackListener(STATE, port=port).start()
    with socket.socket() as probe:  # nothing was left listening on 127.0.0.1 either
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_sign_in_sends_an_s256_challenge_and_the_verifier(
        env: Environment, credentials: ClientCredentials, fake_user: FakeUser,
        file_keyring: PlaintextKeyring, demo: DemoInfo, sandbox: Sandbox) -> None:
    attempt = session.begin_login(env, fake_user, port=0, credentials=credentials)
    query = parse_qs(urlsplit(attempt.authorize_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [pkce.challenge(attempt._verifier)]
    assert attempt._verifier not in attempt.authorize_url
    attempt.wait(10)  # the sandbox checks the verifier against the challenge
    assert sandbox_oauth.counters(sandbox.state)["authorization_code"] == 1


def _code(sandbox: Sandbox, **extra: str) -> str:
    answer = requests.post(f"{sandbox.login_url}/oauth/authorize", allow_redirects=False,
                           timeout=10, data={"response_type": "code",
                                             "client_id": sandbox_oauth.DEMO_CLIENT_ID,
                                             "redirect_uri": REDIRECT, "state": "s",
                                             "decision": "allow", **extra})
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def _exchange(sandbox: Sandbox, code: str, **extra: str) -> requests.Response:
    return requests.post(f"{sandbox.login_url}/oauth/token", timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": sandbox_oauth.DEMO_CLIENT_ID,
        "client_secret": sandbox_oauth.DEMO_CLIENT_SECRET, **extra})


def test_sandbox_exchanges_a_challenged_code_only_with_its_verifier(
        sandbox: Sandbox, demo: DemoInfo) -> None:
    verifier = pkce.new_verifier()
    challenged = {"code_challenge": pkce.challenge(verifier), "code_challenge_method": "S256"}
    # A code caught on its way back, without the verifier, is worth nothing ...
    assert _exchange(sandbox, _code(sandbox, **challenged)).json()["error"] == "invalid_grant"
    stolen = _exchange(sandbox, _code(sandbox, **challenged), code_verifier=pkce.new_verifier())
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    # ... the app, which holds it, gets its tokens.
    good = _exchange(sandbox, _code(sandbox, **challenged), code_verifier=verifier)
    assert good.status_code == 200 and good.json()["access_token"]
    # Without a challenge the verifier is ignored (a server without PKCE ignores both).
    plain = _exchange(sandbox, _code(sandbox), code_verifier="anything-at-all")
    assert plain.status_code == 200


def test_sandbox_refuses_a_plain_or_malformed_challenge(sandbox: Sandbox,
                                                        demo: DemoInfo) -> None:
    for extra in ({"code_challenge": "x" * 43, "code_challenge_method": "plain"},
                  {"code_challenge": "short", "code_challenge_method": "S256"}):
        answer = requests.get(f"{sandbox.login_url}/oauth/authorize", allow_redirects=False,
                              timeout=10, params={"response_type": "code", "state": "s",
                                                  "client_id": sandbox_oauth.DEMO_CLIENT_ID,
                                                  "redirect_uri": REDIRECT, **extra})
        assert answer.status_code == 302
        assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == \
            ["invalid_request"]


def test_challenge_is_rfc7636_appendix_b() -> None:
    assert pkce.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    verifier = pkce.new_verifier()
    assert 43 <= len(verifier) <= 128
