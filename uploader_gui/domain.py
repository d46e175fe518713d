"""The domain types of an upload: where it goes, what state it is in, how far it has come.

Below every package that speaks of uploads (journal/, transfer/, the window, the command line);
it imports nothing of the app.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


class UploadState(enum.Enum):
    """Where one file's upload stands. Stored in the journal by ``value``."""

    #: Waiting for a worker.
    QUEUED = "queued"
    #: Reading the file to compute segment hashes.
    HASHING = "hashing"
    #: Sending bytes to storage.
    UPLOADING = "uploading"
    #: Bytes are in storage; telling Procore the upload is complete / attaching it to a folder.
    FINISHING = "finishing"
    #: Stopped by the person; resumes where it stopped.
    PAUSED = "paused"
    #: Waiting for the person to sign in again; nothing is lost.
    WAITING_SIGN_IN = "waiting-sign-in"
    #: Procore could not be reached (no network, the laptop asleep); tried again by itself.
    WAITING_NETWORK = "waiting-network"
    #: In Procore.
    DONE = "done"
    #: Not uploaded because a file of that name exists and the policy says skip.
    SKIPPED = "skipped"
    #: Failed; ``error`` says why. Can be retried.
    FAILED = "failed"
    #: Cancelled by the person.
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """Nothing more happens to the file unless the person asks (retry, remove)."""
        return self in _FINISHED

    @property
    def active(self) -> bool:
        """A worker is at it."""
        return self in _ACTIVE

    @property
    def resumable(self) -> bool:
        """Stopped part-way; "Resume" puts it back in the queue where it stopped."""
        return self in _RESUMABLE

    @property
    def retryable(self) -> bool:
        """Ended without reaching Procore; "Retry" puts it back in the queue."""
        return self in _RETRYABLE

    @property
    def requeueable(self) -> bool:
        """Resume or Retry may queue it again."""
        return self.resumable or self.retryable

    @property
    def resumes_at_start(self) -> bool:
        """Continued by itself when the app starts (a paused file waits for the person)."""
        return self in _RESUME_AT_START

    def __str__(self) -> str:
        return _STATE_LABELS[self]


_FINISHED = frozenset({UploadState.DONE, UploadState.SKIPPED, UploadState.FAILED,
                       UploadState.CANCELLED})
_ACTIVE = frozenset({UploadState.HASHING, UploadState.UPLOADING, UploadState.FINISHING})
_RESUMABLE = frozenset({UploadState.PAUSED, UploadState.WAITING_SIGN_IN,
                        UploadState.WAITING_NETWORK})
_RETRYABLE = frozenset({UploadState.FAILED, UploadState.CANCELLED})
_RESUME_AT_START = frozenset({UploadState.QUEUED, *_ACTIVE, UploadState.WAITING_SIGN_IN,
                              UploadState.WAITING_NETWORK})


class Phase(enum.Enum):
    """How far the transfer of one file has come (stored by ``value`` in ``uploads.phase``)."""

    #: Nothing sent yet; segment hashes may or may not be stored.
    NEW = "new"
    #: Procore created the upload; ``upload_uuid`` and the storage instructions are stored.
    CREATED = "created"
    #: All bytes are in storage and (segmented) Procore confirmed the upload complete.
    STORED = "stored"
    #: The association request was sent; whether Procore recorded it is not known yet.
    ASSOCIATING = "associating"
    #: The file is in Procore.
    ASSOCIATED = "associated"

    @property
    def bytes_stored(self) -> bool:
        """Every byte is in storage: only attaching the upload is left (or done)."""
        return self in {Phase.STORED, Phase.ASSOCIATING, Phase.ASSOCIATED}


_STATE_LABELS = {
    UploadState.QUEUED: "Queued",
    UploadState.HASHING: "Preparing",
    UploadState.UPLOADING: "Uploading",
    UploadState.FINISHING: "Finishing",
    UploadState.PAUSED: "Paused",
    UploadState.WAITING_SIGN_IN: "Waiting for sign-in",
    UploadState.WAITING_NETWORK: "Waiting for the connection",
    UploadState.DONE: "Done",
    UploadState.SKIPPED: "Skipped (already in Procore)",
    UploadState.FAILED: "Failed",
    UploadState.CANCELLED: "Cancelled",
}


class ConflictPolicy(enum.Enum):
    """What to do when the destination already holds a file of the same name."""

    #: Upload anyway; Procore gives the new file a unique name.
    KEEP_BOTH = "keep-both"
    #: Add the upload as a new version of the existing file.
    NEW_VERSION = "new-version"
    #: Leave the existing file alone and do not upload.
    SKIP = "skip"

    def __str__(self) -> str:
        return {"keep-both": "Keep both", "new-version": "Replace with a new version",
                "skip": "Skip"}[self.value]


class DestinationKind(enum.Enum):
    """The three places an upload can be attached to."""

    #: A folder in a project's Documents tool.
    PROJECT_FOLDER = "project-folder"
    #: A folder in the company's Documents tool.
    COMPANY_FOLDER = "company-folder"
    #: A photo album of a project.
    PHOTO_ALBUM = "photo-album"


@dataclass(frozen=True)
class Destination:
    """Where files go. ``folder_id`` None means the root folder; ``album_id`` None, no album.

    ``label`` is for people ("Main Street Tower / Drawings"); it plays no part in equality.
    """

    kind: DestinationKind
    company_id: int
    project_id: int | None = None
    folder_id: int | None = None
    album_id: int | None = None
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.kind is not DestinationKind.COMPANY_FOLDER and self.project_id is None:
            raise ValueError("a project destination needs a project_id")

    def __str__(self) -> str:
        return self.label or f"{self.kind.value} {self.project_id or self.company_id}"

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind.value, "company_id": self.company_id,
                "project_id": self.project_id, "folder_id": self.folder_id,
                "album_id": self.album_id, "label": self.label}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Destination:
        def opt_int(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(value)  # type: ignore[call-overload]

        return cls(kind=DestinationKind(data["kind"]),
                   company_id=int(data["company_id"]),  # type: ignore[call-overload]
                   project_id=opt_int("project_id"), folder_id=opt_int("folder_id"),
                   album_id=opt_int("album_id"), label=str(data.get("label") or ""))


@dataclass
class UploadItem:
    """One file in the queue, as the journal keeps it and as the GUI and CLI show it.

    ``subfolders`` is the path below the destination folder, made of the dropped folder's name
    and the folders inside it; it is created in Procore when missing.
    """

    id: int
    path: Path
    size: int
    mtime_ns: int
    destination: Destination
    subfolders: tuple[str, ...]
    name: str
    conflict: ConflictPolicy
    state: UploadState = UploadState.QUEUED
    bytes_done: int = 0
    error: str | None = None
    procore_id: int | None = None
    #: The folder (or photos) page in Procore holding the file.
    web_url: str | None = None
    #: The file's own address in Procore (its latest version's ``url``), once it is there.
    file_url: str | None = None
    created_at: float = 0.0
    finished_at: float | None = None
    #: The Procore API the file was queued for ("" when queued by a version that did not say).
    api_base: str = ""
    #: The name Procore gave the file when it is not ``name`` (a same-name clash kept both:
    #: "plan.pdf" became "plan (1).pdf").
    procore_name: str | None = None

    @property
    def where(self) -> str:
        """The destination with the subfolders, for people."""
        return " / ".join([str(self.destination), *self.subfolders])


@dataclass(frozen=True)
class Rejected:
    """A dropped path that cannot be uploaded, with the reason in plain words."""

    path: Path
    reason: str


@dataclass(frozen=True)
class ProgressEvent:
    """Reported by the engine while a file uploads.

    ``bytes_done`` never goes backwards and never exceeds ``total``; speed is bytes/second over
    the last few seconds, ``eta`` seconds left (None when not known yet).
    """

    upload_id: int
    state: UploadState
    bytes_done: int
    total: int
    speed: float = 0.0
    eta: float | None = None
    error: str | None = None
