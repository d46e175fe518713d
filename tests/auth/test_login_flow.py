"""The sign-in flows end to end against the sandbox over real sockets: loopback, out-of-band,
refusal, cancel, service account, sign-out, and no password store."""

from __future__ import annotations

import socket
import threading

import keyring
import keyring.backends.fail
import pytest
import requests
from keyrings.alt.file import PlaintextKeyring

from uploader_gui.auth import saved, session
from uploader_gui.auth.credentials import ClientCredentials
from uploader_gui.auth.errors import LoginCancelled, LoginFailed
from uploader_gui.auth.keyring_store import KeyringStore, service_name
from uploader_gui.auth.provider import OAuthTokenProvider
from uploader_gui.config import Environment
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.errors import SignInRequired
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import DemoInfo, Sandbox
from uploader_gui.sandbox import oauth as sandbox_oauth

from .conftest import CLIENT_ID, CLIENT_SECRET, FakeUser


def _port_closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _listener_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sign-in-listener"]


def test_loopback_login_stores_tokens_in_keyring_and_calls_work(
        env: Environment, credentials: ClientCredentials, fake_user: FakeUser,
        file_keyring: PlaintextKeyring, demo: DemoInfo) -> None:
    attempt = session.begin_login(env, fake_user, port=0, credentials=credentials)
    provider = attempt.wait(10)

    assert fake_user.landing is not None and fake_user.landing.status_code == 200
    assert "You can close this tab" in fake_user.landing.text
    assert provider.identity() == str(demo.user_id)
    stored = file_keyring.get_password(service_name(env.api_base), str(demo.user_id))
    assert stored is not None and provider.sign_in.tokens.access_token in stored
    assert file_keyring.get_password(service_name(env.api_base), "signed-in-user") == \
        str(demo.user_id)
    with ProcoreClient(env.api_base, provider) as client:
        assert client.me()["name"] == "Dana Rivera"
    # The listener is gone once the code arrived.
    port = int(attempt.redirect_uri.split(":")[2].split("/")[0])
    assert _port_closed(port)
    assert _listener_threads() == []


def test_saved_sign_in_is_found_by_token_provider_for(
        env: Environment, credentials: ClientCredentials, fake_user: FakeUser,
        file_keyring: PlaintextKeyring, demo: DemoInfo) -> None:
    session.begin_login(env, fake_user, port=0, credentials=credentials).wait(10)

    tokens = session.token_provider_for(env, interactive=False, credentials=credentials)

    assert isinstance(tokens, OAuthTokenProvider)
    assert tokens.identity() == str(demo.user_id)
    with ProcoreClient(env.api_base, tokens) as client:
        assert client.me()["id"] == demo.user_id


def test_oob_paste_flow(env: Environment, credentials: ClientCredentials, fake_user: FakeUser,
                        file_keyring: PlaintextKeyring, demo: DemoInfo) -> None:
    attempt = session.begin_login(env, fake_user, oob=True, credentials=credentials)
    assert attempt.redirect_uri == "urn:ietf:wg:oauth:2.0:oob"
    assert fake_user.code_shown

    attempt.complete_with_code(f"  {fake_user.code_shown}\n")
    provider = attempt.wait(10)

    with ProcoreClient(env.api_base, provider) as client:
        assert client.me()["login"] == "dana.rivera@example.com"
    # The code is single-use: pasting it into a second attempt fails with a plain message.
    again = session.begin_login(env, lambda url: True, oob=True, credentials=credentials)
    again.complete_with_code(fake_user.code_shown)
    with pytest.raises(LoginFailed) as failure:
        again.wait(10)
    assert "used already" in failure.value.message


def test_refusing_access_is_a_plain_failure(env: Environment, credentials: ClientCredentials,
                                            sandbox: Sandbox, demo: DemoInfo,
                                            file_keyring: PlaintextKeyring) -> None:
    user = FakeUser(sandbox, decision="deny")
    attempt = session.begin_login(env, user, port=0, credentials=credentials)
    with pytest.raises(LoginFailed) as failure:
        attempt.wait(10)
    assert "chose not to allow" in failure.value.message
    assert saved.load(KeyringStore(service_name(env.api_base))) is None


def test_cancel_stops_the_listener(env: Environment, credentials: ClientCredentials,
                                   file_keyring: PlaintextKeyring) -> None:
    attempt = session.begin_login(env, lambda url: True, port=0, credentials=credentials)
    port = int(attempt.redirect_uri.split(":")[2].split("/")[0])
    assert not _port_closed(port)
    waiter_error: list[BaseException] = []

    def waiter() -> None:
        try:
            attempt.wait(30)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            waiter_error.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    attempt.cancel()
    thread.join(10)
    assert not thread.is_alive()
    assert len(waiter_error) == 1 and isinstance(waiter_error[0], LoginCancelled)
    assert _port_closed(port)
    assert _listener_threads() == []


def test_waiting_too_long_fails_and_stops_listening(env: Environment,
                                                    credentials: ClientCredentials,
                                                    file_keyring: PlaintextKeyring) -> None:
    attempt = session.begin_login(env, lambda url: True, port=0, credentials=credentials)
    port = int(attempt.redirect_uri.split(":")[2].split("/")[0])
    with pytest.raises(LoginFailed) as failure:
        attempt.wait(0.2)
    assert "took too long" in failure.value.message
    assert _port_closed(port)


def test_browser_that_cannot_open_leaves_the_url(env: Environment,
                                                 credentials: ClientCredentials,
                                                 file_keyring: PlaintextKeyring) -> None:
    def no_browser(url: str) -> bool:
        raise OSError("no display")

    attempt = session.begin_login(env, no_browser, port=0, credentials=credentials)
    try:
        assert attempt.authorize_url.startswith(f"{env.login_base}/oauth/authorize?")
        assert f"client_id={CLIENT_ID}" in attempt.authorize_url
    finally:
        attempt.cancel()


def test_no_keyring_backend_keeps_tokens_in_memory(env: Environment,
                                                   credentials: ClientCredentials,
                                                   fake_user: FakeUser, demo: DemoInfo,
                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        provider = session.begin_login(env, fake_user, port=0, credentials=credentials).wait(10)
        assert provider.storage_notice is not None
        assert "only until you close the app" in provider.storage_notice
        with ProcoreClient(env.api_base, provider) as client:
            assert client.me()["id"] == demo.user_id
        # Another part of the same run finds the sign-in.
        again = session.token_provider_for(env, interactive=False, credentials=credentials)
        assert again.identity() == str(demo.user_id)
    finally:
        keyring.set_keyring(previous)
    # Nothing was written to disk in plain text.
    for path in tmp_path.rglob("*"):
        if path.is_file() and "sandbox" not in path.parts:
            assert provider.sign_in.tokens.access_token not in path.read_text(errors="ignore")


def test_logout_revokes_and_clears_the_keyring(env: Environment, credentials: ClientCredentials,
                                               fake_user: FakeUser, sandbox: Sandbox,
                                               file_keyring: PlaintextKeyring) -> None:
    provider = session.begin_login(env, fake_user, port=0, credentials=credentials).wait(10)
    old_access = provider.sign_in.tokens.access_token

    who = session.sign_out(env, credentials=credentials)

    assert who is not None and who.user_name == "Dana Rivera"
    assert sandbox_oauth.counters(sandbox.state)["revoke"] == 2
    answer = requests.get(f"{env.api_base}/rest/v1.0/me",
                          headers={"Authorization": f"Bearer {old_access}"}, timeout=10)
    assert answer.status_code == 401
    assert file_keyring.get_password(service_name(env.api_base), "signed-in-user") is None
    assert file_keyring.get_password(service_name(env.api_base), who.user_id) is None
    with pytest.raises(SignInRequired) as failure:
        session.token_provider_for(env, interactive=False)
    assert failure.value.message == "You are not signed in. Run 'procore-uploader login'."
    assert session.sign_out(env, credentials=credentials) is None


def test_service_account_from_environment_variables(env: Environment, sandbox: Sandbox,
                                                    demo: DemoInfo,
                                                    file_keyring: PlaintextKeyring,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox_oauth.register_app(sandbox.state, "svc-id", "svc-secret", [])
    monkeypatch.setenv("PROCORE_CLIENT_ID", "svc-id")
    monkeypatch.setenv("PROCORE_CLIENT_SECRET", "svc-secret")
    monkeypatch.setenv("PROCORE_COMPANY_ID", str(demo.company_id))

    tokens = session.token_provider_for(env, interactive=False, service_account=True)

    with ProcoreClient(env.api_base, tokens) as client:
        me = client.me()
        assert "Service Account" in me["name"]
        assert client.companies()[0]["id"] == demo.company_id
    assert sandbox_oauth.counters(sandbox.state)["client_credentials"] == 1
    # An expired service-account token is renewed with client credentials again.
    sandbox.advance_clock(6000)
    with ProcoreClient(env.api_base, tokens) as client:
        assert client.me()["id"] == me["id"]
    assert sandbox_oauth.counters(sandbox.state)["client_credentials"] == 2


def test_service_account_without_a_company_is_told_what_to_give(
        env: Environment, sandbox: Sandbox, demo: DemoInfo, file_keyring: PlaintextKeyring,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Procore needs the company on a service account's very first call (/me): without it
    the sign-in stops before any request, with what to give."""
    sandbox_oauth.register_app(sandbox.state, "svc-id", "svc-secret", [])
    monkeypatch.setenv("PROCORE_CLIENT_ID", "svc-id")
    monkeypatch.setenv("PROCORE_CLIENT_SECRET", "svc-secret")
    monkeypatch.delenv("PROCORE_COMPANY_ID", raising=False)
    with pytest.raises(SignInRequired, match="--company-id"):
        session.token_provider_for(env, interactive=False, service_account=True)
    assert sandbox_oauth.counters(sandbox.state).get("client_credentials", 0) == 0


def test_access_token_variable_comes_first(env: Environment, sandbox: Sandbox, demo: DemoInfo,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCORE_ACCESS_TOKEN", sandbox.issue_token(demo.user_id))
    tokens = session.token_provider_for(env, interactive=False)
    assert isinstance(tokens, StaticTokenProvider)
    with ProcoreClient(env.api_base, tokens) as client:
        assert client.me()["id"] == demo.user_id


def test_missing_client_settings_explain_what_to_do(env: Environment,
                                                    file_keyring: PlaintextKeyring) -> None:
    with pytest.raises(SignInRequired) as failure:
        session.begin_login(env, lambda url: True)
    assert "client ID and secret" in failure.value.message
    assert "administrator" in failure.value.message


def test_client_settings_from_config_file(env: Environment, fake_user: FakeUser,
                                          file_keyring: PlaintextKeyring, demo: DemoInfo) -> None:
    from uploader_gui.auth.credentials import save_credentials

    save_credentials(CLIENT_ID, CLIENT_SECRET, "http://localhost:8765/callback")
    provider = session.begin_login(env, fake_user, port=0).wait(10)
    assert provider.identity() == str(demo.user_id)


def test_logout_without_client_settings_still_forgets_the_sign_in(
        env: Environment, credentials: ClientCredentials, fake_user: FakeUser,
        file_keyring: PlaintextKeyring) -> None:
    session.begin_login(env, fake_user, port=0, credentials=credentials).wait(10)
    assert session.current_sign_in(env) is not None

    who = session.sign_out(env)  # no client id or secret configured anywhere

    assert who is not None and who.user_name == "Dana Rivera"
    assert session.current_sign_in(env) is None
