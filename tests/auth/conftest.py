"""Fixtures for the sign-in tests: an isolated home, a file keyring, a sandbox with a test app."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import keyring
import keyring.backend
import pytest
import requests
from keyrings.alt.file import PlaintextKeyring

from uploader_gui.auth import keyring_store
from uploader_gui.auth.credentials import OOB_REDIRECT, ClientCredentials
from uploader_gui.config import Environment, resolve_environment
from uploader_gui.sandbox import DemoInfo, Sandbox
from uploader_gui.sandbox import oauth as sandbox_oauth

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-not-real"

_ENV_VARS = ("PROCORE_ACCESS_TOKEN", "PROCORE_CLIENT_ID", "PROCORE_CLIENT_SECRET",
             "PROCORE_REDIRECT_URI", "PROCORE_SERVICE_ACCOUNT", "PROCORE_UPLOADER_TOKEN_FILE",
             "PROCORE_API_BASE", "PROCORE_LOGIN_BASE", "PROCORE_ENVIRONMENT",
             "PROCORE_UPLOADER_BUNDLED_OAUTH")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Config, logs and data in a temp folder; no sign-in variables; no tokens in memory."""
    home = tmp_path / "home"
    monkeypatch.setenv("PROCORE_UPLOADER_HOME", str(home))
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    keyring_store.forget_memory()
    yield home
    keyring_store.forget_memory()


@pytest.fixture
def file_keyring(tmp_path: Path) -> Iterator[PlaintextKeyring]:
    """A real file-based keyring in the temp folder, installed as the process's keyring."""
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def env(sandbox: Sandbox) -> Environment:
    return resolve_environment(api_base=sandbox.api_url)


@pytest.fixture
def credentials() -> ClientCredentials:
    return ClientCredentials(CLIENT_ID, CLIENT_SECRET, "http://localhost:8765/callback", "test")


@dataclass
class FakeUser:
    """Does in a browser what a person does: opens the sign-in page and presses a button.

    Registers the test app for the exact redirect the app asks for (an ephemeral test port)
    the moment the app opens the page, the way a company registers its fixed port.
    """

    sandbox: Sandbox
    decision: str = "allow"
    opened: list[str] | None = None
    landing: requests.Response | None = None
    code_shown: str | None = None

    def __call__(self, url: str) -> bool:
        self.opened = (self.opened or []) + [url]
        redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        sandbox_oauth.register_app(self.sandbox.state, CLIENT_ID, CLIENT_SECRET,
                                   [redirect_uri, OOB_REDIRECT])
        with requests.Session() as browser:
            page = browser.get(url, timeout=10)
            assert "Allow Procore Uploader to access your Procore account?" in page.text
            fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
            fields = {k: html.unescape(v) for k, v in fields.items()}
            fields["decision"] = self.decision
            answer = browser.post(f"{self.sandbox.login_url}/oauth/authorize", data=fields,
                                  allow_redirects=False, timeout=10)
            if redirect_uri == OOB_REDIRECT:
                found = re.search(r'id="code">([^<]+)<', answer.text)
                self.code_shown = html.unescape(found.group(1)) if found else None
                return True
            assert answer.status_code == 302, answer.text
            self.landing = browser.get(answer.headers["Location"], timeout=10)
        return True


@pytest.fixture
def fake_user(sandbox: Sandbox, demo: DemoInfo) -> FakeUser:
    return FakeUser(sandbox)


class BrokenKeyring(keyring.backend.KeyringBackend):
    """A password store that is there but refuses every use (locked, D-Bus gone)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("the collection is locked")
