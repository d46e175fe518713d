"""``Sandbox``: starts the local Procore API and storage servers and exposes their state."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from . import documents
from .api import ApiHandler
from .demo_data import DemoInfo, seed_demo
from .faults import Fault, FaultPlan, parse_fault_spec
from .http_common import SandboxServer
from .records import Folder, RequestRecord
from .state import SandboxState
from .storage import StorageHandler

logger = logging.getLogger(__name__)


class Sandbox:
    """A strict local stand-in for Procore and its S3 storage, on 127.0.0.1."""

    def __init__(self, data_dir: Path | str | None = None, *,
                 faults: FaultPlan | Iterable[Fault] | str | None = None, seed: int = 0,
                 rate_limit_hourly: int = 3600, rate_limit_spike: tuple[int, float] | None = None,
                 resign_on_show: bool = False, token_lifetime: int = 5400,
                 api_port: int = 0, storage_port: int = 0) -> None:
        self._owns_dir = data_dir is None
        self._data_dir = Path(tempfile.mkdtemp(prefix="procore-sandbox-")) if data_dir is None \
            else Path(data_dir)
        # A temp dir of ours goes away on stop(), or when a never-stopped sandbox is collected.
        self._remove_dir = weakref.finalize(self, shutil.rmtree, self._data_dir, True) \
            if self._owns_dir else None
        self.state = SandboxState(self._data_dir, seed=seed, rate_limit_hourly=rate_limit_hourly,
                                  rate_limit_spike=rate_limit_spike, resign_on_show=resign_on_show,
                                  token_lifetime=token_lifetime)
        if isinstance(faults, FaultPlan):
            self.faults = faults
        elif isinstance(faults, str):
            self.faults = parse_fault_spec(faults)
        else:
            self.faults = FaultPlan(faults or (), seed=seed)
        self._api_port = api_port
        self._storage_port = storage_port
        self._stopping = threading.Event()
        self._servers: list[SandboxServer] = []
        self._threads: list[threading.Thread] = []

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._servers:
            raise RuntimeError("The sandbox is already running")
        self._stopping.clear()
        api = SandboxServer(self._api_port, ApiHandler, "api", self.state, self.faults,
                            self._stopping)
        try:
            storage = SandboxServer(self._storage_port, StorageHandler, "storage", self.state,
                                    self.faults, self._stopping)
        except OSError:
            api.server_close()
            raise
        for server in (api, storage):
            server.api_url, server.storage_url = api.url, storage.url
        self.state.web_base = api.url
        self._servers = [api, storage]
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                      name=f"sandbox-{server.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        logger.info("Sandbox API at %s, storage at %s", api.url, storage.url)
        return self

    def stop(self) -> None:
        self._stopping.set()
        # shutdown() waits up to a poll interval; stop both servers at once.
        stoppers = [threading.Thread(target=server.shutdown, name="sandbox-shutdown")
                    for server in self._servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for server in self._servers:
            server.server_close()
            server.close_all()
        for thread in self._threads:
            thread.join(5)
        self._servers = []
        self._threads = []
        if self._remove_dir is not None:
            self._remove_dir()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _server(self, index: int) -> SandboxServer:
        if not self._servers:
            raise RuntimeError("The sandbox is not running; call start() first")
        return self._servers[index]

    @property
    def api_url(self) -> str:
        return self._server(0).url

    @property
    def login_url(self) -> str:
        # The OAuth routes live on the API server.
        return self._server(0).url

    @property
    def storage_url(self) -> str:
        return self._server(1).url

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    # -- settings that may change while running (tests flip them between steps) -----------

    @property
    def resign_on_show(self) -> bool:
        return self.state.resign_on_show

    @resign_on_show.setter
    def resign_on_show(self, value: bool) -> None:
        with self.state.lock:
            self.state.resign_on_show = value

    @property
    def token_lifetime(self) -> int:
        return self.state.token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, value: int) -> None:
        with self.state.lock:
            self.state.token_lifetime = value

    @property
    def rate_limit_hourly(self) -> int:
        return self.state.rate_limit_hourly

    @rate_limit_hourly.setter
    def rate_limit_hourly(self, value: int) -> None:
        with self.state.lock:
            self.state.rate_limit_hourly = value

    @property
    def rate_limit_spike(self) -> tuple[int, float] | None:
        return self.state.rate_limit_spike

    @rate_limit_spike.setter
    def rate_limit_spike(self, value: tuple[int, float] | None) -> None:
        with self.state.lock:
            self.state.rate_limit_spike = value

    # -- records ---------------------------------------------------------------------------

    def seed_demo(self) -> DemoInfo:
        return seed_demo(self)

    def add_company(self, name: str) -> int:
        return self.state.add_company(name)

    def add_project(self, company_id: int, name: str) -> int:
        return self.state.add_project(company_id, name)

    def add_user(self, name: str, login: str, company_ids: list[int]) -> int:
        return self.state.add_user(name, login, company_ids)

    def add_folder(self, parent_id: int | None, name: str, project_id: int | None = None,
                   company_id: int | None = None) -> int:
        with self.state.lock:
            parent: Folder
            if parent_id is not None:
                parent = self.state.folders[parent_id]
            else:
                parent = self.state.root_folder(project_id=project_id, company_id=company_id)
            return documents.create_folder(self.state, parent, name).id

    def set_folder(self, folder_id: int, *, read_only: bool | None = None,
                   deleted: bool | None = None) -> None:
        """Make a folder read-only (nobody may add to it) or deleted (kept in listings,
        marked ``is_deleted``)."""
        with self.state.lock:
            folder = self.state.folders[folder_id]
            if read_only is not None:
                folder.read_only = read_only
            if deleted is not None:
                folder.deleted = deleted

    def set_project_active(self, project_id: int, active: bool) -> None:
        with self.state.lock:
            self.state.projects[project_id].active = active

    def check_out(self, file_id: int, user_id: int | None) -> None:
        """Check a document out to ``user_id`` (None checks it in)."""
        with self.state.lock:
            self.state.files[file_id].checked_out_by = user_id

    def set_company(self, company_id: int, *, app_installed: bool | None = None,
                    not_installed_status: int | None = None, free: bool | None = None,
                    active: bool | None = None) -> None:
        with self.state.lock:
            company = self.state.companies[company_id]
            if app_installed is not None:
                company.app_installed = app_installed
            if not_installed_status is not None:
                company.not_installed_status = not_installed_status
            if free is not None:
                company.free = free
            if active is not None:
                company.active = active

    def add_album(self, project_id: int, name: str) -> int:
        return self.state.add_album(project_id, name)

    def issue_token(self, user_id: int, lifetime: float | None = None) -> str:
        return self.state.issue_access_token(user_id, lifetime)

    def advance_clock(self, seconds: float) -> None:
        self.state.advance_clock(seconds)

    # -- inspection ------------------------------------------------------------------------

    def folder_paths(self, project_id: int) -> set[tuple[str, ...]]:
        """Every Documents folder of the project as its path of names (the root is ())."""
        with self.state.lock:
            paths = [documents.folder_path(self.state, f) for f in self.state.folders.values()
                     if f.project_id == project_id]
        return {tuple(path.split("/")) if path else () for path in paths}

    def documents(self, project_id: int | None = None,
                  company_id: int | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            found = [f for f in self.state.files.values()
                     if (project_id is None or f.project_id == project_id)
                     and (company_id is None or f.company_id == company_id)]
            records = sorted(found, key=lambda f: f.id)
            pending = [v for f in records for v in f.versions if v.sha256 is None]
        for version in pending:
            # Hashed outside the lock: parts of several gigabytes take a while.
            digest = documents.sha256_of(version.path)
            with self.state.lock:
                version.sha256 = digest
        with self.state.lock:
            return [{"id": f.id, "name": f.name, "parent_id": f.folder_id,
                     "project_id": f.project_id, "company_id": f.company_id,
                     "description": f.description, "created_at": f.created_at,
                     "versions": [{"id": v.id, "number": v.number, "upload_uuid": v.upload_uuid,
                                   "size": v.size, "sha256": v.sha256, "notes": v.notes}
                                  for v in f.versions]}
                    for f in records]

    def images(self, project_id: int) -> list[dict[str, Any]]:
        with self.state.lock:
            return [{"id": i.id, "name": i.name, "album_id": i.album_id,
                     "upload_uuid": i.upload_uuid, "size": i.size, "description": i.description}
                    for i in sorted(self.state.images.values(), key=lambda i: i.id)
                    if i.project_id == project_id]

    def document_path(self, file_id: int, version: int = -1) -> Path:
        with self.state.lock:
            return self.state.files[file_id].versions[version].path

    def document_bytes(self, file_id: int, version: int = -1) -> bytes:
        return self.document_path(file_id, version).read_bytes()

    def image_bytes(self, image_id: int) -> bytes:
        with self.state.lock:
            path = self.state.images[image_id].path
        return path.read_bytes()

    def uploads(self) -> list[dict[str, Any]]:
        with self.state.lock:
            self.state.expire_uploads()
            return [{"uuid": u.uuid, "owner_id": u.owner_id, "segmented": u.segmented,
                     "status": u.status, "created_at": u.created_at, "associated": u.associated,
                     "company_id": u.company_id, "project_id": u.project_id, "size": u.size}
                    for u in self.state.uploads.values()]

    @property
    def request_log(self) -> list[RequestRecord]:
        return self.state.request_log()

    def clear_request_log(self) -> None:
        self.state.clear_request_log()
