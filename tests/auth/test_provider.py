"""Token renewal: single-flight across threads, rotated token saved before use, a rejected or
failed refresh never retried, and tokens another copy of the app renewed taken over."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

import pytest
import requests
from keyrings.alt.file import PlaintextKeyring

from uploader_gui.auth import saved, session
from uploader_gui.auth.credentials import ClientCredentials
from uploader_gui.auth.keyring_store import KeyringStore, service_name
from uploader_gui.auth.oauth import OAuthClient
from uploader_gui.auth.provider import OAuthTokenProvider
from uploader_gui.config import Environment
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.errors import ProcoreError, SignInRequired
from uploader_gui.sandbox import DemoInfo, Sandbox
from uploader_gui.sandbox import oauth as sandbox_oauth

from .conftest import FakeUser

WORKERS = 8


@pytest.fixture
def provider(env: Environment, credentials: ClientCredentials, fake_user: FakeUser,
             file_keyring: PlaintextKeyring) -> OAuthTokenProvider:
    return session.begin_login(env, fake_user, port=0, credentials=credentials).wait(10)


def _all_at_once(work: Callable[[], object]) -> list[object]:
    """Run ``work`` in WORKERS threads released together; results or exceptions, in order."""
    barrier = threading.Barrier(WORKERS)
    results: list[object] = [None] * WORKERS

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads)
    return results


def _refresh_calls(sandbox: Sandbox) -> tuple[int, int]:
    counts = sandbox_oauth.counters(sandbox.state)
    return counts.get("refresh_token", 0), counts.get("refresh_token:failed", 0)


def test_storm_of_401s_on_an_expired_token_refreshes_once(
        provider: OAuthTokenProvider, sandbox: Sandbox, env: Environment,
        demo: DemoInfo) -> None:
    old = provider.sign_in.tokens
    # Procore's clock passes the token's expiry while ours does not know: every thread gets 401.
    sandbox.advance_clock(5401)

    with ProcoreClient(env.api_base, provider) as client:
        results = _all_at_once(client.me)

    assert all(isinstance(r, dict) and r["id"] == demo.user_id for r in results), results
    assert _refresh_calls(sandbox) == (1, 0)
    assert provider.refreshes == 1
    assert provider.sign_in.tokens.access_token != old.access_token
    assert provider.sign_in.tokens.refresh_token != old.refresh_token


def test_refresh_ahead_of_expiry_happens_once_for_all_threads(
        env: Environment, credentials: ClientCredentials, provider: OAuthTokenProvider,
        sandbox: Sandbox) -> None:
    store = KeyringStore(service_name(env.api_base))
    # A token with under five minutes left.
    now = time.time()
    nearly_expired = dataclasses.replace(provider.sign_in.tokens, obtained_at=now - 5300,
                                         expires_at=now + 100)
    late = OAuthTokenProvider(OAuthClient(env.login_base, credentials), store,
                              dataclasses.replace(provider.sign_in, tokens=nearly_expired))
    first = late.sign_in.tokens.access_token

    results = _all_at_once(late.access_token)

    assert len(set(results)) == 1 and results[0] != first
    assert _refresh_calls(sandbox) == (1, 0)


def test_rotated_refresh_token_is_stored_before_the_new_access_token_is_used(
        env: Environment, credentials: ClientCredentials, provider: OAuthTokenProvider,
        sandbox: Sandbox) -> None:
    seen_at_store: list[int] = []

    class WatchingStore(KeyringStore):
        def set(self, key: str, value: str) -> None:
            if key != saved.CURRENT_KEY:
                access = saved.SignIn.from_json(value).tokens.access_token
                with sandbox.state.lock:
                    seen_at_store.append(sandbox.state.tokens[access].calls)
            super().set(key, value)

    store = WatchingStore(service_name(env.api_base))
    watched = OAuthTokenProvider(OAuthClient(env.login_base, credentials), store,
                                 provider.sign_in)
    sandbox.advance_clock(5401)
    with ProcoreClient(env.api_base, watched) as client:
        client.me()

    assert seen_at_store == [0]  # saved while the new token had made no call yet
    stored = saved.load(store)
    assert stored is not None
    assert stored.tokens.refresh_token == watched.sign_in.tokens.refresh_token
    with sandbox.state.lock:
        assert sandbox.state.tokens[stored.tokens.access_token].calls == 1
        live = sandbox.state.extensions["oauth"].refresh_tokens
        assert stored.tokens.refresh_token in live
        assert provider.sign_in.tokens.refresh_token not in live


def test_rejected_refresh_needs_sign_in_and_is_never_retried(
        provider: OAuthTokenProvider, sandbox: Sandbox, env: Environment) -> None:
    # Signed out elsewhere: both tokens revoked at Procore.
    refresh_token = provider.sign_in.tokens.refresh_token
    assert refresh_token is not None
    requests.post(f"{env.login_base}/oauth/revoke", timeout=10,
                  data={"token": refresh_token, "client_id": "x", "client_secret": "y"})

    with ProcoreClient(env.api_base, provider) as client:
        results = _all_at_once(client.me)

    assert all(isinstance(r, SignInRequired) for r in results), results
    assert "sign in again" in str(results[0])
    assert _refresh_calls(sandbox) == (0, 1)  # one refresh call, refused, none after it
    with pytest.raises(SignInRequired):
        provider.access_token()
    assert _refresh_calls(sandbox) == (0, 1)
    assert session.current_sign_in(env) is None  # the dead sign-in is forgotten


def test_a_failed_refresh_spends_the_token_even_on_a_server_error(
        provider: OAuthTokenProvider, sandbox: Sandbox, env: Environment,
        credentials: ClientCredentials) -> None:
    # A wrong client secret: the sandbox, like Procore, spends the refresh token anyway.
    wrong = ClientCredentials(credentials.client_id, "wrong-secret", credentials.redirect_uri)
    broken = OAuthTokenProvider(OAuthClient(env.login_base, wrong),
                                KeyringStore(service_name(env.api_base)), provider.sign_in)
    with pytest.raises(SignInRequired):
        broken.token_rejected(provider.sign_in.tokens.access_token)
    with pytest.raises(SignInRequired):
        broken.token_rejected(provider.sign_in.tokens.access_token)
    assert sandbox_oauth.counters(sandbox.state)["refresh_token:failed"] == 1


def test_unreachable_sign_in_server_keeps_the_unspent_refresh_token(
        provider: OAuthTokenProvider, env: Environment, credentials: ClientCredentials,
        sandbox: Sandbox) -> None:
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead_port = unused.getsockname()[1]
    store = KeyringStore(service_name(env.api_base))
    offline = OAuthTokenProvider(OAuthClient(f"http://127.0.0.1:{dead_port}", credentials),
                                 store, provider.sign_in)
    with pytest.raises(ProcoreError) as failure:
        offline.token_rejected(provider.sign_in.tokens.access_token)
    assert not isinstance(failure.value, SignInRequired)
    assert "Could not connect" in failure.value.message
    # The refresh never reached Procore, so the same token still works once it is reachable.
    online = OAuthTokenProvider(OAuthClient(env.login_base, credentials), store,
                                offline.sign_in)
    online.token_rejected(provider.sign_in.tokens.access_token)
    assert _refresh_calls(sandbox) == (1, 0)


def test_tokens_renewed_by_another_copy_of_the_app_are_taken_over(
        provider: OAuthTokenProvider, env: Environment, credentials: ClientCredentials,
        sandbox: Sandbox) -> None:
    store = KeyringStore(service_name(env.api_base))
    other = OAuthTokenProvider(OAuthClient(env.login_base, credentials), store,
                               provider.sign_in)
    stale = provider.sign_in.tokens.access_token
    other.token_rejected(stale)  # the other window renews and saves
    assert _refresh_calls(sandbox) == (1, 0)

    provider.token_rejected(stale)  # ours learns its token is dead

    assert _refresh_calls(sandbox) == (1, 0)  # no second refresh with a spent token
    assert provider.access_token() == other.access_token()
    with ProcoreClient(env.api_base, provider) as client:
        assert client.me()["name"] == "Dana Rivera"
