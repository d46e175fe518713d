"""Documents-tool rules shared by the API routes and the Python API: names, folders, files,
and their JSON shapes. Callers hold ``state.lock``."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from . import file_links
from .http_common import ApiError
from .records import DocumentFile, FileVersion, Folder, Image
from .state import SandboxState

#: Characters Procore refuses in folder and file names.
FORBIDDEN_NAME_CHARS = frozenset('\\/:*?"<>|')
MAX_NAME_LENGTH = 255


class InvalidName(ValueError):
    """A folder or file name Procore would refuse; the message is Procore-style."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def check_name(name: str) -> str:
    """The name unchanged when Procore would take it; InvalidName otherwise."""
    if not name or not name.strip():
        raise InvalidName("name", "can't be blank")
    if any(ch in FORBIDDEN_NAME_CHARS for ch in name) or any(ord(ch) < 32 for ch in name):
        raise InvalidName("name", 'contains invalid characters (\\ / : * ? " < > |)')
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName("name", f"is too long (maximum is {MAX_NAME_LENGTH} characters)")
    return name


def folder_path(state: SandboxState, folder: Folder) -> str:
    parts: list[str] = []
    current: Folder | None = folder
    while current is not None and current.parent_id is not None:
        parts.append(current.name)
        current = state.folders.get(current.parent_id)
    return "/".join(reversed(parts))


def child_folders(state: SandboxState, folder_id: int) -> list[Folder]:
    return sorted((f for f in state.folders.values() if f.parent_id == folder_id),
                  key=lambda f: f.name.lower())


def folder_files(state: SandboxState, folder_id: int) -> list[DocumentFile]:
    return sorted((f for f in state.files.values() if f.folder_id == folder_id),
                  key=lambda f: f.name.lower())


def user_json(state: SandboxState, user_id: int | None) -> dict[str, Any] | None:
    """A person as Procore names them in ``created_by``, ``uploader``, ``checked_out_by``."""
    user = state.users.get(user_id) if user_id is not None else None
    return {"id": user.id, "name": user.name, "login": user.login} if user is not None else None


def file_json(state: SandboxState, record: DocumentFile, *,
              latest_only: bool = False) -> dict[str, Any]:
    latest = record.versions[-1]
    versions = record.versions[-1:] if latest_only else record.versions
    return {
        "id": record.id,
        "name": record.name,
        "parent_id": record.folder_id,
        "size": latest.size,
        "description": record.description,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "name_with_path": "/".join(filter(None, [
            folder_path(state, state.folders[record.folder_id]), record.name])),
        "file_versions": [version_json(state, record, v) for v in versions],
        "checked_out_by": user_json(state, record.checked_out_by),
    }


def version_json(state: SandboxState, record: DocumentFile,
                 version: FileVersion) -> dict[str, Any]:
    """A file version; ``url`` is its file's address (Procore's Secure File Access guide shows
    it under ``files[].file_versions[].url``)."""
    return {"id": version.id, "number": version.number, "size": version.size,
            "notes": version.notes, "file_id": record.id, "created_at": iso(version.created_at),
            "created_by": user_json(state, version.created_by),
            "url": file_links.link(state, record.company_id, record.project_id,
                                   version.upload_uuid)}


def folder_json(state: SandboxState, folder: Folder, *, with_children: bool = True,
                files: bool = True, latest_only: bool = False) -> dict[str, Any]:
    """A folder as Procore lists it; ``files=False`` is ``exclude_files=true`` and
    ``latest_only`` is ``show_latest_file_version_only=true``."""
    children = child_folders(state, folder.id)
    return {
        "id": folder.id,
        "name": folder.name,
        "parent_id": folder.parent_id,
        "name_with_path": folder_path(state, folder),
        "is_root": folder.parent_id is None,
        "has_children_folders": bool(children),
        "read_only": folder.read_only,
        "private": folder.private,
        "is_deleted": folder.deleted,
        "is_recycle_bin": folder.recycle_bin,
        "created_at": iso(folder.created_at),
        # Procore answers one level deep: child folders come back with empty lists.
        "folders": [folder_json(state, c, with_children=False) for c in children]
        if with_children else [],
        "files": [file_json(state, f, latest_only=latest_only)
                  for f in folder_files(state, folder.id)]
        if with_children and files else [],
    }


def name_taken(state: SandboxState, folder_id: int, name: str, *, folders: bool) -> bool:
    lowered = name.lower()
    if folders:
        return any(f.name.lower() == lowered for f in child_folders(state, folder_id)
                   if not f.deleted)
    return any(f.name.lower() == lowered for f in folder_files(state, folder_id))


def check_writable(folder: Folder) -> None:
    """Files and folders go only into folders the person may add to."""
    if folder.deleted:
        raise ApiError(404, {"errors": "Folder not found"})
    if folder.read_only or folder.recycle_bin:
        raise ApiError(403, {"errors": "You do not have permission to add to this folder "
                                       "(it is read-only)"})


def create_folder(state: SandboxState, parent: Folder, name: str) -> Folder:
    check_name(name)
    if name_taken(state, parent.id, name, folders=True):
        raise InvalidName("name", "has already been taken")
    folder = Folder(state.new_id(), name, parent.id, parent.project_id, parent.company_id,
                    created_at=state.now())
    state.folders[folder.id] = folder
    return folder


def unique_file_name(state: SandboxState, folder_id: int, name: str) -> str:
    """``name``, or ``name (1).ext``, ``name (2).ext``... whichever is free in the folder."""
    if not name_taken(state, folder_id, name, folders=False):
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    number = 1
    while name_taken(state, folder_id, f"{stem} ({number}){suffix}", folders=False):
        number += 1
    return f"{stem} ({number}){suffix}"


def add_file(state: SandboxState, folder: Folder, name: str, upload_uuid: str, size: int,
             path: Path, description: str = "", created_by: int | None = None) -> DocumentFile:
    now = state.now()
    record = DocumentFile(state.new_id(), name, folder.id, folder.project_id, folder.company_id,
                          now, now, description)
    record.versions.append(FileVersion(state.new_id(), 1, upload_uuid, size, path, now,
                                       created_by=created_by))
    state.files[record.id] = record
    return record


def add_version(state: SandboxState, record: DocumentFile, upload_uuid: str, size: int,
                path: Path, notes: str = "", created_by: int | None = None) -> FileVersion:
    now = state.now()
    version = FileVersion(state.new_id(), len(record.versions) + 1, upload_uuid, size, path, now,
                          notes, created_by=created_by)
    record.versions.append(version)
    record.updated_at = now
    return version


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def image_json(state: SandboxState, image: Image) -> dict[str, Any]:
    # List Images: a photo's name is ``filename`` (there is no ``name``); ``url`` is the
    # photo's address, as Create Image's documented answer shows; ``uploader`` is a person as
    # in ``created_by`` (id, name, login).
    company_id = state.projects[image.project_id].company_id
    return {"id": image.id, "filename": image.name,
            "url": file_links.link(state, company_id, image.project_id, image.upload_uuid),
            "image_category_id": image.album_id,
            "description": image.description, "size": image.size,
            "created_at": iso(image.created_at), "updated_at": iso(image.created_at),
            "upload_uuid": image.upload_uuid, "uploader": user_json(state, image.uploader_id)}
