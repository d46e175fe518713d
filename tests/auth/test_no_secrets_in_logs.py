"""No token, code or client secret in any log record or exception text of a whole run:
sign-in, refresh, a rejected refresh, sign-out."""

from __future__ import annotations

import logging
import traceback

import pytest
import requests
from keyrings.alt.file import PlaintextKeyring

from uploader_gui.auth import session
from uploader_gui.auth.credentials import ClientCredentials
from uploader_gui.config import Environment
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.errors import SignInRequired
from uploader_gui.sandbox import Sandbox

from .conftest import FakeUser


def test_whole_run_keeps_secrets_out_of_logs_and_errors(
        env: Environment, credentials: ClientCredentials, fake_user: FakeUser,
        sandbox: Sandbox, file_keyring: PlaintextKeyring,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    provider = session.begin_login(env, fake_user, port=0, credentials=credentials).wait(10)
    first = provider.sign_in.tokens
    code = fake_user.landing.url.split("code=")[1].split("&")[0]  # type: ignore[union-attr]
    sandbox.advance_clock(5401)
    with ProcoreClient(env.api_base, provider) as client:
        client.me()  # 401, refresh, repeat
        second = provider.sign_in.tokens
        requests.post(f"{env.login_base}/oauth/revoke", timeout=10,
                      data={"token": second.refresh_token})
        try:
            client.me()
        except SignInRequired as exc:
            errors += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
        else:
            pytest.fail("a revoked sign-in must need a new sign-in")
    again = session.begin_login(env, fake_user, port=0, credentials=credentials).wait(10)
    third = again.sign_in.tokens
    session.sign_out(env, credentials=credentials)

    secrets = {first.access_token, first.refresh_token, second.access_token,
               second.refresh_token, third.access_token, third.refresh_token, code,
               credentials.client_secret}
    assert None not in secrets and len(secrets) == 8
    # The test's stand-in browser carries the code in its own request line (urllib3 logs it at
    # DEBUG, which the app's log file never records); every other record counts.
    records = [r for r in caplog.records
               if not (r.name.startswith("urllib3") and "/callback?" in r.getMessage())]
    logged = [r.getMessage() for r in records]
    logged += ["".join(traceback.format_exception(*r.exc_info)) for r in records if r.exc_info]
    texts = logged + errors + [repr(first), repr(provider.sign_in), repr(credentials)]
    assert any("renewing" in t for t in logged)  # the run did log what happened
    for secret in secrets:
        assert secret is not None
        for text in texts:
            assert secret not in text
