"""The sandbox's whole state in memory, guarded by one lock; file bytes live on disk."""

from __future__ import annotations

import logging
import math
import os
import random
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import (
    AccessToken,
    Album,
    Company,
    DocumentFile,
    Folder,
    Image,
    Project,
    RateWindow,
    RequestRecord,
    Upload,
    User,
)

logger = logging.getLogger(__name__)

WEEK = 7 * 24 * 3600
HOUR = 3600
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class RateVerdict:
    """The rate-limit headers for one request, and whether it may go ahead."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        return {"X-Rate-Limit-Limit": str(self.limit),
                "X-Rate-Limit-Remaining": str(self.remaining),
                "X-Rate-Limit-Reset": str(self.reset)}


class SandboxState:
    """Everything the sandbox knows. Hold ``lock`` while reading or changing any record."""

    def __init__(self, data_dir: Path, *, seed: int = 0, rate_limit_hourly: int = 3600,
                 rate_limit_spike: tuple[int, float] | None = None, resign_on_show: bool = False,
                 token_lifetime: int = 5400) -> None:
        self.lock = threading.RLock()
        self.data_dir = data_dir
        self.objects_dir = data_dir / "objects"
        self.incoming_dir = data_dir / "incoming"
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        self.incoming_dir.mkdir(parents=True, exist_ok=True)
        self.secret = secrets.token_bytes(32)
        self.rng = random.Random(seed)
        self.rate_limit_hourly = rate_limit_hourly
        self.rate_limit_spike = rate_limit_spike
        self.resign_on_show = resign_on_show
        self.token_lifetime = token_lifetime
        self.demo_user_id: int | None = None
        #: The sandbox's own address, for the links it answers (set when it starts).
        self.web_base = ""
        #: Free space for the OAuth module's own state (codes, refresh tokens).
        self.extensions: dict[str, Any] = {}
        self._clock_offset = 0.0
        self._next_id = 1000
        self.companies: dict[int, Company] = {}
        self.projects: dict[int, Project] = {}
        self.users: dict[int, User] = {}
        self.folders: dict[int, Folder] = {}
        self.files: dict[int, DocumentFile] = {}
        self.albums: dict[int, Album] = {}
        self.images: dict[int, Image] = {}
        self.uploads: dict[str, Upload] = {}
        #: Uuids of uploads deleted for being a week old unassociated (410 Gone afterwards).
        self.deleted_uploads: set[str] = set()
        self.tokens: dict[str, AccessToken] = {}
        self._hourly: dict[str, RateWindow] = {}
        self._spike: dict[str, RateWindow] = {}
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()

    # -- clock and ids ---------------------------------------------------------------------

    def now(self) -> float:
        """The sandbox clock: wall time plus whatever ``advance_clock`` added."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self._clock_offset += seconds
            self.expire_uploads()

    def new_id(self) -> int:
        # One counter for every kind of record, so an id of the wrong kind never matches.
        with self.lock:
            self._next_id += 1
            return self._next_id

    def new_uuid(self) -> str:
        """A 26-character ULID-like id: 10 characters of time, 16 random ones."""
        with self.lock:
            millis = int(self.now() * 1000)
            head = "".join(_CROCKFORD[(millis >> (5 * i)) & 31] for i in reversed(range(10)))
            tail = "".join(self.rng.choice(_CROCKFORD) for _ in range(16))
            return head + tail

    # -- tokens and rate limits ------------------------------------------------------------

    def issue_access_token(self, user_id: int, lifetime_s: float | None = None) -> str:
        with self.lock:
            if user_id not in self.users:
                raise KeyError(f"No user with id {user_id}")
            token = secrets.token_urlsafe(32)
            life = self.token_lifetime if lifetime_s is None else lifetime_s
            self.tokens[token] = AccessToken(user_id=user_id, expires_at=self.now() + life)
            return token

    def revoke_access_token(self, token: str) -> None:
        with self.lock:
            record = self.tokens.get(token)
            if record is not None:
                record.revoked = True

    def user_for_token(self, token: str) -> User | None:
        """The token's user when the token is known, unexpired and not revoked."""
        with self.lock:
            record = self.tokens.get(token)
            if record is None or record.revoked or record.expires_at <= self.now():
                return None
            return self.users.get(record.user_id)

    def count_call(self, token: str) -> RateVerdict:
        """Count one API call for ``token`` against the hourly and spike limits."""
        with self.lock:
            now = self.now()
            windows: list[tuple[dict[str, RateWindow], int, float]] = [
                (self._hourly, self.rate_limit_hourly, float(HOUR))]
            if self.rate_limit_spike is not None:
                windows.append((self._spike, self.rate_limit_spike[0], self.rate_limit_spike[1]))
            states = []
            for table, limit, length in windows:
                window = table.get(token)
                if window is None or now >= window.started + length:
                    window = table[token] = RateWindow(started=now)
                states.append((window, limit, length))
            refused = [(w, lim, ln) for w, lim, ln in states if w.count >= lim]
            if refused:
                window, limit, length = max(refused, key=lambda s: s[0].started + s[2])
                reset_at = window.started + length
                return RateVerdict(False, limit, 0, math.ceil(reset_at),
                                   max(1, math.ceil(reset_at - now)))
            for window, _, _ in states:
                window.count += 1
            record = self.tokens.get(token)
            if record is not None:
                record.calls += 1
            # Report the limit closest to being hit: the one with the fewest calls left.
            window, limit, length = min(states, key=lambda s: (s[1] - s[0].count, s[2]))
            return RateVerdict(True, limit, limit - window.count,
                               math.ceil(window.started + length), 0)

    # -- uploads ---------------------------------------------------------------------------

    def object_path(self, uuid: str) -> Path:
        return self.objects_dir / uuid

    def assembly_path(self, uuid: str) -> Path:
        return self.incoming_dir / f"{uuid}.parts"

    def expire_uploads(self) -> None:
        """Delete uploads that stayed unassociated for a week, as Procore does."""
        with self.lock:
            limit = self.now() - WEEK
            for uuid, upload in list(self.uploads.items()):
                if upload.associated or upload.created_at > limit:
                    continue
                del self.uploads[uuid]
                self.deleted_uploads.add(uuid)
                for path in (self.object_path(uuid), self.assembly_path(uuid)):
                    path.unlink(missing_ok=True)
                logger.info("Deleted upload %s: not associated within a week", uuid)

    # -- request log -----------------------------------------------------------------------

    def record_request(self, record: RequestRecord) -> None:
        with self._log_lock:
            self._log.append(record)

    def request_log(self) -> list[RequestRecord]:
        with self._log_lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    # -- records ---------------------------------------------------------------------------

    def add_company(self, name: str) -> int:
        with self.lock:
            company = Company(self.new_id(), name)
            self.companies[company.id] = company
            root = Folder(self.new_id(), "", None, None, company.id, created_at=self.now())
            self.folders[root.id] = root
            return company.id

    def add_project(self, company_id: int, name: str) -> int:
        with self.lock:
            if company_id not in self.companies:
                raise KeyError(f"No company with id {company_id}")
            project = Project(self.new_id(), company_id, name)
            self.projects[project.id] = project
            root = Folder(self.new_id(), "", None, project.id, company_id, created_at=self.now())
            self.folders[root.id] = root
            # Procore lists the project's Recycle Bin among the root's folders.
            bin_ = Folder(self.new_id(), "Recycle Bin", root.id, project.id, company_id,
                          read_only=True, created_at=self.now(), recycle_bin=True)
            self.folders[bin_.id] = bin_
            return project.id

    def add_user(self, name: str, login: str, company_ids: list[int]) -> int:
        with self.lock:
            for cid in company_ids:
                if cid not in self.companies:
                    raise KeyError(f"No company with id {cid}")
            user = User(self.new_id(), name, login, list(company_ids))
            self.users[user.id] = user
            return user.id

    def add_album(self, project_id: int, name: str) -> int:
        with self.lock:
            if project_id not in self.projects:
                raise KeyError(f"No project with id {project_id}")
            album = Album(self.new_id(), project_id, name)
            self.albums[album.id] = album
            return album.id

    def root_folder(self, *, project_id: int | None = None,
                    company_id: int | None = None) -> Folder:
        with self.lock:
            for folder in self.folders.values():
                if folder.parent_id is not None:
                    continue
                if project_id is not None and folder.project_id == project_id:
                    return folder
                if project_id is None and folder.project_id is None \
                        and folder.company_id == company_id:
                    return folder
            raise KeyError("No such project or company")

    def new_incoming_path(self) -> Path:
        return self.incoming_dir / f"{secrets.token_hex(8)}.{os.getpid()}.tmp"
