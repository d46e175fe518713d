"""Demo mode: the built-in sandbox in the background, seeded, with a signed-in demo user.

Qt-free; the window only receives what this returns. Everything the demo writes (the pretend
Procore's stored files, the journal, the settings) lives in one temporary folder, so trying the
app never touches real uploads or real settings.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uploader_gui.config import Settings
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import Sandbox
from uploader_gui.transfer.model import Destination, DestinationKind

log = logging.getLogger(__name__)


@dataclass
class DemoSession:
    """A running demo: the sandbox, how to reach it, and where its files are."""

    sandbox: Sandbox
    tokens: StaticTokenProvider
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
        tokens = StaticTokenProvider(sandbox.issue_token(seeded.user_id),
                                     identity=str(seeded.user_id))
        destination = _first_destination(sandbox.api_url, tokens)
    except BaseException:
        sandbox.stop()
        if remove:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    settings = Settings(environment="custom", custom_api_base=str(sandbox.api_url),
                        last_destination=destination.to_json() if destination else None)
    log.info("demo sandbox at %s, files in %s", sandbox.api_url, storage)
    return DemoSession(sandbox=sandbox, tokens=tokens, folder=folder, storage_folder=storage,
                       settings=settings, destination=destination, _remove=remove)


def _first_destination(api_base: str, tokens: StaticTokenProvider) -> Destination | None:
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
