"""Demo mode: the built-in sandbox in the background, seeded, with a signed-in demo user.

The demo user signs in the way a real person does — OAuth authorization code, exchanged at the
sandbox's ``/oauth/token``, refreshed when it runs out — except that the consent page is
answered by the demo itself. Its tokens live in a password store of its own in memory, so a demo
never touches the computer's real keyring.

Qt-free; the window only receives what this returns. Everything the demo writes (the pretend
Procore's stored files, the journal, the settings) lives in one temporary folder, so trying the
app never touches real uploads or real settings.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring.backend
import requests

from uploader_gui.auth import session
from uploader_gui.auth.credentials import OOB_REDIRECT, ClientCredentials
from uploader_gui.auth.keyring_store import KeyringStore, service_name
from uploader_gui.auth.provider import OAuthTokenProvider
from uploader_gui.config import Environment, Settings, resolve_environment
from uploader_gui.domain import Destination, DestinationKind
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.tokens import TokenProvider
from uploader_gui.sandbox import Sandbox
from uploader_gui.sandbox.oauth import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URIS
from uploader_gui.transfer.environments import api_key

log = logging.getLogger(__name__)


@dataclass
class DemoSession:
    """A running demo: the sandbox, how to reach it, and where its files are."""

    sandbox: Sandbox
    tokens: OAuthTokenProvider
    environment: Environment
    #: The demo's own password store (memory) and the sandbox's registered demo app.
    store: KeyringStore
    credentials: ClientCredentials
    #: The temporary folder holding everything of this demo.
    folder: Path
    #: Where the pretend Procore keeps the uploaded files.
    storage_folder: Path
    settings: Settings
    #: A first destination so a newcomer can drop a file at once.
    destination: Destination | None = None
    _remove: bool = field(default=True, repr=False)

    @property
    def api_base(self) -> str:
        return str(self.sandbox.api_url)

    @property
    def journal_path(self) -> Path:
        return self.folder / "journal.sqlite3"

    @property
    def settings_path(self) -> Path:
        return self.folder / "settings.json"

    def close(self) -> None:
        """Stop the sandbox and delete the demo's folder (when this session made it)."""
        try:
            self.sandbox.stop()
        finally:
            if self._remove:
                shutil.rmtree(self.folder, ignore_errors=True)


def start_demo(folder: Path | None = None) -> DemoSession:
    """Start and seed the sandbox (in background threads) and sign in as its demo user."""
    remove = folder is None
    folder = Path(tempfile.mkdtemp(prefix="procore-uploader-demo-")) if folder is None \
        else folder
    storage = folder / "procore"
    storage.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(data_dir=storage)
    sandbox.start()
    try:
        seeded = sandbox.seed_demo()
        environment = resolve_environment("custom", str(sandbox.api_url),
                                          str(sandbox.login_url))
        store = KeyringStore(service_name(environment.api_base), backend=MemoryKeyring())
        credentials = ClientCredentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                                        DEMO_REDIRECT_URIS[0], source="the demo")
        tokens = sign_in_demo_user(environment, store, credentials, seeded.user_id)
        destination = _first_destination(sandbox.api_url, tokens)
    except BaseException:
        sandbox.stop()
        if remove:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    settings = Settings(environment="custom", custom_api_base=str(sandbox.api_url),
                        last_destination=destination.to_json() if destination else None,
                        last_destination_api_base=api_key(str(sandbox.api_url)))
    log.info("demo sandbox at %s, files in %s", sandbox.api_url, storage)
    return DemoSession(sandbox=sandbox, tokens=tokens, environment=environment, store=store,
                       credentials=credentials, folder=folder, storage_folder=storage,
                       settings=settings, destination=destination, _remove=remove)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A password store that lives and dies with the demo."""

    priority = 0  # never chosen by keyring on its own

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's is not annotated
        self._secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._secrets.pop((service, username), None)


def sign_in_demo_user(environment: Environment, store: KeyringStore,
                      credentials: ClientCredentials, user_id: int) -> OAuthTokenProvider:
    """The authorization-code sign-in, with the demo answering the consent page (out-of-band)."""
    oob = ClientCredentials(credentials.client_id, credentials.client_secret,
                            OOB_REDIRECT, source=credentials.source)
    pages = requests.Session()
    shown: list[str] = []

    def allow(url: str) -> None:
        # What a person does in the browser: open the page and press Allow.
        form = pages.get(url, timeout=10)
        form.raise_for_status()
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                                 form.text))
        fields = {k: html.unescape(v) for k, v in fields.items()}
        fields.update(decision="allow", login_as=str(user_id))
        page = pages.post(f"{environment.login_base}/oauth/authorize", data=fields, timeout=10)
        page.raise_for_status()
        shown.append(page.text)

    try:
        attempt = session.begin_login(environment, allow, oob=True, store=store,
                                      credentials=oob)
        found = re.search(r'<code id="code">([^<]+)</code>', shown[0] if shown else "")
        if found is None:
            attempt.cancel()
            raise RuntimeError("the demo sandbox did not show a sign-in code")
        attempt.complete_with_code(html.unescape(found.group(1)))
        return attempt.wait(30)
    finally:
        pages.close()


def _first_destination(api_base: str, tokens: TokenProvider) -> Destination | None:
    """The Documents folder of the demo's first project (by name)."""
    with ProcoreClient(api_base, tokens) as client:
        companies: list[dict[str, Any]] = client.companies()
        if not companies:
            return None
        company = min(companies, key=lambda c: str(c.get("name", "")))
        projects = client.projects(int(company["id"]))
        if not projects:
            return Destination(DestinationKind.COMPANY_FOLDER, int(company["id"]),
                               label="Company Documents")
        project = min(projects, key=lambda p: str(p.get("name", "")))
        return Destination(DestinationKind.PROJECT_FOLDER, int(company["id"]),
                           int(project["id"]), label=f"{project.get('name')} / Documents")
