"""The one-shot loopback listener: right state only, keeps waiting after refusals, then stops."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from uploader_gui.auth.errors import LoginFailed
from uploader_gui.auth.loopback import LoopbackListener, Redirect

STATE = "expected-state-value"


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sign-in-listener"]


def test_wrong_or_missing_state_is_refused_and_the_listener_keeps_waiting() -> None:
    listener = LoopbackListener(STATE, port=0).start()
    try:
        base = f"http://127.0.0.1:{listener.port}/callback"
        missing = requests.get(base, params={"code": "c1"}, timeout=10)
        wrong = requests.get(base, params={"code": "c2", "state": "forged"}, timeout=10)
        other_path = requests.get(f"http://127.0.0.1:{listener.port}/favicon.ico", timeout=10)
        assert (missing.status_code, wrong.status_code, other_path.status_code) == \
            (400, 400, 404)
        assert "start signing in again" in wrong.text
        assert listener.wait(0.2) is None  # still waiting
        assert listener.refused == 2

        right = requests.get(base, params={"code": "the-code", "state": STATE}, timeout=10)

        assert right.status_code == 200 and "You can close this tab" in right.text
        assert listener.wait(10) == Redirect(code="the-code")
    finally:
        listener.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", listener.port)) != 0
    assert _threads() == []


def test_redirect_uri_names_localhost_and_binds_loopback_only() -> None:
    listener = LoopbackListener(STATE, port=0, path="/cb").start()
    try:
        assert listener.redirect_uri == f"http://localhost:{listener.port}/cb"
        assert listener._server is not None
        assert listener._server.server_address[0] == "127.0.0.1"
    finally:
        listener.stop()


def test_procore_error_with_the_right_state_ends_the_wait() -> None:
    listener = LoopbackListener(STATE, port=0).start()
    try:
        page = requests.get(f"http://127.0.0.1:{listener.port}/callback", timeout=10,
                            params={"error": "access_denied", "state": STATE})
        assert page.status_code == 200 and "did not sign you in" in page.text
        assert listener.wait(10) == Redirect(error="access_denied")
    finally:
        listener.stop()


def test_a_busy_port_gives_a_plain_message() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(LoginFailed) as failure:
            LoopbackListener(STATE, port=port).start()
    assert f"using port {port}" in failure.value.message
    assert _threads() == []


def test_stop_without_a_redirect_ends_the_thread() -> None:
    done = threading.Event()
    listener = LoopbackListener(STATE, port=0, on_done=done.set).start()
    listener.stop()
    assert done.is_set()
    assert listener.wait(0) is None
    assert _threads() == []


def test_an_idle_connection_does_not_block_the_redirect() -> None:
    listener = LoopbackListener(STATE, port=0).start()
    try:
        with socket.create_connection(("127.0.0.1", listener.port)):
            # A browser's speculative connection that never sends a request.
            answer = requests.get(f"http://127.0.0.1:{listener.port}/callback", timeout=3,
                                  params={"code": "x", "state": STATE})
            assert answer.status_code == 200
    finally:
        listener.stop()
    assert _threads() == []
