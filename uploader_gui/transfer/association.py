"""Attaching a stored upload to a Documents folder, a file's versions or a photo album — once.

The association request is journalled before it is sent. When its outcome is unknown (a kill,
a lost answer), Procore is searched before asking again, so a document is never created twice.
Procore's document listings do not say which upload a file came from, so a file counts as ours
when its name, size and creation time fit (see :func:`_ours`).
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime
from typing import Any

from uploader_gui.domain import ConflictPolicy, DestinationKind, Phase, UploadItem, UploadState
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.errors import Gone, ProcoreError, ValidationFailed
from uploader_gui.transfer.folders import FolderResolver, same_name
from uploader_gui.transfer.storage_flows import UPLOAD_EXPIRED, UploadExpired

log = logging.getLogger(__name__)

#: How far Procore's clock may be from ours when matching creation times.
CLOCK_SLACK = 600.0
#: Photos asked for per page when looking for one (the listings' largest page here).
PHOTO_PAGE = 300


class Associated:
    """The outcome: the Procore id of the document, photo or version's file, its state, the
    file's own address when Procore's answer gave one (see :func:`file_link`), and the name
    of a new document as Procore gave it."""

    def __init__(self, procore_id: int | None, state: UploadState,
                 file_url: str | None = None, name: str | None = None) -> None:
        self.procore_id = procore_id
        self.state = state
        self.file_url = file_url
        self.name = name


def file_link(record: dict[str, Any] | None) -> str | None:
    """The address of the file a Procore answer describes, or None.

    Procore documents it as a file version's ``url`` (List Folders and Files:
    ``files[].file_versions[].url``, in the Secure File Access guide) and a photo's ``url``
    (Create Image's answer). For a document the latest version's is taken (highest
    ``number``); for a version or a photo, the record's own ``url``.
    """
    if not record:
        return None
    own = record.get("url")
    if isinstance(own, str) and own:
        return own
    versions = [v for v in record.get("file_versions") or []
                if isinstance(v, dict) and isinstance(v.get("url"), str) and v["url"]]
    if not versions:
        return None
    latest = max(enumerate(versions),
                 key=lambda iv: (iv[1].get("number") if isinstance(iv[1].get("number"), int)
                                 else -1, iv[0]))[1]
    return str(latest["url"])


def associate(item: UploadItem, scope: Scope, client: ProcoreClient, journal: Journal,
              folders: FolderResolver, attempts: int = 3) -> Associated:
    rec = journal.transfer(item.id)
    if rec.phase == Phase.ASSOCIATING:
        found = find_existing(item, scope, client, journal, folders)
        if found is not None:
            return found
    assert rec.upload_uuid is not None
    last_error: ProcoreError | None = None
    for _attempt in range(attempts):
        journal.update(item.id, phase=Phase.ASSOCIATING, assoc_name=item.name,
                       assoc_started_at=time.time())
        try:
            result = _send(item, scope, client, journal, rec.upload_uuid)
        except Gone as exc:
            # Procore deleted the upload (not attached within a week): the bytes are gone too.
            raise UploadExpired(UPLOAD_EXPIRED, status=exc.status) from exc
        except ValidationFailed as exc:
            clash = _name_clash(exc)
            if clash and item.conflict is ConflictPolicy.SKIP:
                existing = folders.find_file(scope, rec.folder_id, item.name, fresh=True)
                return Associated(int(existing["id"]) if existing else None,
                                  UploadState.SKIPPED, file_link(existing))
            if clash and item.conflict is ConflictPolicy.NEW_VERSION:
                existing = folders.find_file(scope, rec.folder_id, item.name, fresh=True)
                if existing is not None:
                    journal.update(item.id, version_of=int(existing["id"]))
                    continue
            raise
        except ProcoreError as exc:
            if not exc.retryable:
                raise
            # The request may have been recorded although the answer was lost: look first.
            last_error = exc
            found = find_existing(item, scope, client, journal, folders)
            if found is not None:
                return found
            continue
        procore_id = result.get("id")
        if not isinstance(procore_id, int):
            raise ProcoreError("Procore did not say which document it created.")
        if item.destination.kind is not DestinationKind.PHOTO_ALBUM:
            folders.forget(scope, rec.folder_id)
        # Not written here: the engine writes phase ASSOCIATED, the id and the end state in
        # one commit. Killed before it, the upload stays ASSOCIATING and a resume finds the
        # document (find_existing) instead of creating a second one.
        # Read again: a name clash in this loop may have made it a new version.
        new_document = item.destination.kind is not DestinationKind.PHOTO_ALBUM \
            and journal.transfer(item.id).version_of is None
        return Associated(procore_id, UploadState.DONE, file_link(result),
                          _name(result) if new_document else None)
    assert last_error is not None
    raise last_error


def _send(item: UploadItem, scope: Scope, client: ProcoreClient, journal: Journal,
          uuid: str) -> dict[str, Any]:
    rec = journal.transfer(item.id)
    dest = item.destination
    if dest.kind is DestinationKind.PHOTO_ALBUM:
        return client.create_image(scope, uuid, item.name, dest.album_id)
    if rec.version_of is not None:
        answer = client.create_file_version(scope, rec.version_of, uuid)
        # A version's answer describes the version; the document keeps its own id.
        return {**answer, "id": rec.version_of}
    return client.create_file(scope, uuid, item.name, rec.folder_id,
                              unique_name=item.conflict is ConflictPolicy.KEEP_BOTH)


def _name_clash(exc: ValidationFailed) -> bool:
    return any("taken" in m for m in exc.fields.get("name", [])) or "taken" in exc.message


def find_existing(item: UploadItem, scope: Scope, client: ProcoreClient, journal: Journal,
                  folders: FolderResolver) -> Associated | None:
    """What an earlier, unanswered association request created, if it did: its id and the
    file's address from the listing that found it."""
    rec = journal.transfer(item.id)
    started = rec.assoc_started_at or 0.0
    name = rec.assoc_name or item.name
    if item.destination.kind is DestinationKind.PHOTO_ALBUM:
        # Only this user's photos made since the request went out (List Images' filters),
        # a page at a time, stopping at the first match: a project may hold 50,000 photos.
        owner = int(rec.upload_owner) if rec.upload_owner and rec.upload_owner.isdigit() \
            else None
        window = (started - CLOCK_SLACK, time.time() + CLOCK_SLACK)
        for image in client.iter_images(scope, item.destination.album_id, uploader_id=owner,
                                        created_between=window, per_page=PHOTO_PAGE):
            # List Images names a photo by ``filename``; a photo record has no ``name``.
            if _ours(image, name, item.size, started, allow_renamed=False, name_key="filename"):
                return Associated(int(image["id"]), UploadState.DONE, file_link(image))
        return None
    listing = folders.listing(scope, rec.folder_id, fresh=True)
    for doc in listing.get("files") or []:
        if rec.version_of is not None:
            if int(doc.get("id", -1)) == rec.version_of:
                for version in doc.get("file_versions") or []:
                    if _ours(version, None, item.size, started, allow_renamed=False):
                        return Associated(rec.version_of, UploadState.DONE, file_link(version))
        elif _ours(doc, name, item.size, started,
                   allow_renamed=item.conflict is ConflictPolicy.KEEP_BOTH):
            return Associated(int(doc["id"]), UploadState.DONE, file_link(doc), _name(doc))
    return None


def renamed_by_procore(asked: str, given: str) -> str:
    """What the person is told of a file Procore named otherwise (Keep both on a clash)."""
    return (f"Procore already had a file named {asked} there, so this one was saved as "
            f"{given}.")


def _name(record: dict[str, Any]) -> str | None:
    """A document's name as Procore gave it (Create File's answer, a listed file)."""
    name = record.get("name")
    return name if isinstance(name, str) and name else None


def _ours(record: dict[str, Any], name: str | None, size: int, started: float,
          allow_renamed: bool, name_key: str = "name") -> bool:
    if name is not None:
        got = str(record.get(name_key) or "")
        if not same_name(got, name) and not (allow_renamed and _renamed_from(got, name)):
            return False
    if record.get("size") is not None and int(record["size"]) != size:
        return False
    created = _timestamp(record.get("created_at"))
    return created is None or created >= started - CLOCK_SLACK


def _renamed_from(got: str, name: str) -> bool:
    """Procore's unique naming: "plan.pdf" becomes "plan (1).pdf", "plan (2).pdf", ..."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    pattern = re.escape(stem) + r" \(\d+\)" + (re.escape("." + ext) if dot else "")
    return re.fullmatch(pattern, got, flags=re.IGNORECASE) is not None


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
