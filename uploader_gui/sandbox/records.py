"""The sandbox's records: companies, users, folders, files, albums, images, uploads, tokens."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Company:
    id: int
    name: str
    #: Whether the app (every client of the sandbox) is installed in the company's App
    #: Management; without it Procore answers ``not_installed_status`` to its calls.
    app_installed: bool = True
    not_installed_status: int = 403
    #: Free companies are left out of /companies unless include_free_companies=true.
    free: bool = False
    active: bool = True


@dataclass
class Project:
    id: int
    company_id: int
    name: str
    active: bool = True


@dataclass
class User:
    id: int
    name: str
    login: str
    company_ids: list[int]
    #: A developer-managed service account (client credentials): Procore wants the
    #: Procore-Company-Id header even on /me and /companies.
    service_account: bool = False


@dataclass
class Folder:
    id: int
    name: str
    parent_id: int | None
    project_id: int | None
    company_id: int
    private: bool = False
    read_only: bool = False
    created_at: float = 0.0
    #: Deleted folders still come back in listings, marked is_deleted.
    deleted: bool = False
    #: The project's Recycle Bin, listed beside the other folders of the root.
    recycle_bin: bool = False


@dataclass
class FileVersion:
    id: int
    number: int
    upload_uuid: str
    size: int
    path: Path
    created_at: float
    notes: str = ""
    #: The user who uploaded this version (Procore's ``file_versions[].created_by``).
    created_by: int | None = None
    #: Filled on first request: hashing a multi-gigabyte file on PATCH would slow the client.
    sha256: str | None = None


@dataclass
class DocumentFile:
    id: int
    name: str
    folder_id: int
    project_id: int | None
    company_id: int
    created_at: float
    updated_at: float
    description: str = ""
    versions: list[FileVersion] = field(default_factory=list)
    #: The user who checked the file out (only they may add versions), or None.
    checked_out_by: int | None = None


@dataclass
class Album:
    id: int
    project_id: int
    name: str


@dataclass
class Image:
    id: int
    project_id: int
    #: None: the photo is in no album (Procore's "Uncategorized").
    album_id: int | None
    name: str
    upload_uuid: str
    size: int
    path: Path
    description: str
    created_at: float
    uploader_id: int | None = None


@dataclass
class Segment:
    number: int
    size: int
    offset: int
    sha256: str
    md5: str | None
    #: md5 hex of the bytes stored for this part, None until a PUT succeeded.
    stored_md5: str | None = None


@dataclass
class Upload:
    uuid: str
    owner_id: int
    company_id: int
    project_id: int | None
    created_at: float
    key: str
    s3_upload_id: str
    response_filename: str | None
    content_type: str
    content_disposition: str
    segments: list[Segment] | None
    #: Signed storage instructions as last handed out (segments' url/headers, or url/fields).
    signed: dict[str, Any] = field(default_factory=dict)
    status: str = "ready"
    associated: bool = False
    size: int | None = None
    md5: str | None = None
    sha256: str | None = None
    declared_size: int | None = None
    #: One lock per part number: two PUTs of the same part would write the same byte range.
    part_locks: dict[int, threading.Lock] = field(default_factory=dict)

    def part_lock(self, number: int) -> threading.Lock:
        """Call with the state lock held."""
        return self.part_locks.setdefault(number, threading.Lock())

    @property
    def segmented(self) -> bool:
        return self.segments is not None


@dataclass
class AccessToken:
    user_id: int
    expires_at: float
    revoked: bool = False
    calls: int = 0


@dataclass
class RateWindow:
    started: float
    count: int = 0


@dataclass(frozen=True)
class RequestRecord:
    server: str
    method: str
    path: str
    query: str
    status: int
    authorization_sent: bool
    bytes_received: int
    #: Sandbox-clock seconds when the request's headers had arrived, and when it was answered
    #: (or dropped): a client told to hold back must send nothing before the time it was given.
    received_at: float = 0.0
    answered_at: float = 0.0
