"""The addresses of single files: what Procore answers as a file version's (or a photo's) ``url``.

Procore's "Working with Secure File Access" guide documents the link under
``files[].file_versions[].url`` of List Project Folders and Files, and the Create Image answer
carries the photo's ``url``; its examples point at Procore's storage host
(``https://storage.procore.com/api/v5/files/...?companyId=..&projectId=..&sig=..``). The sandbox
answers the same shape on its own address, signed so that a link cannot be made up or moved to
another project, and serves the file's bytes there to a browser (as Procore does to a person
signed in to Procore).
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urlencode

from .state import SandboxState

Answer = tuple[int, dict[str, str], bytes]

_PATH = re.compile(r"^/api/v5/files/companies/(?P<company>\d+)/(?P<uuid>[A-Za-z0-9_-]+)$")


def link(state: SandboxState, company_id: int, project_id: int | None, upload_uuid: str) -> str:
    """The signed address of the file stored for ``upload_uuid``."""
    query = {"companyId": str(company_id)}
    if project_id is not None:
        query["projectId"] = str(project_id)
    query["sig"] = _sign(state, company_id, project_id, upload_uuid)
    return (f"{state.web_base}/api/v5/files/companies/{company_id}/{quote(upload_uuid)}"
            f"?{urlencode(query)}")


def is_file_link(path: str) -> bool:
    return _PATH.match(path) is not None


def serve(state: SandboxState, path: str, query: Mapping[str, list[str]]) -> Answer:
    """The file's bytes, or 403 for a link that is not one the sandbox made, 404 for a file
    that is not there (any more)."""
    found = _PATH.match(path)
    if found is None:
        return _refusal(404, "NoSuchKey", "The file does not exist.")
    company_id, uuid = int(found["company"]), found["uuid"]
    project_raw = _one(query, "projectId")
    project_id = int(project_raw) if project_raw and project_raw.isdigit() else None
    sig = _one(query, "sig") or ""
    if _one(query, "companyId") != str(company_id) or (project_raw is not None
                                                       and project_id is None) \
            or not hmac.compare_digest(sig, _sign(state, company_id, project_id, uuid)):
        return _refusal(403, "AccessDenied", "Request has expired or its signature does not "
                                             "match.")
    with state.lock:
        stored = _stored(state, company_id, project_id, uuid)
    if stored is None:
        return _refusal(404, "NoSuchKey", "The file does not exist.")
    name, file = stored
    try:
        body = file.read_bytes()
    except OSError:
        return _refusal(404, "NoSuchKey", "The file does not exist.")
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    disposition = f"inline; filename*=UTF-8''{quote(name)}"
    return 200, {"Content-Type": kind, "Content-Disposition": disposition,
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                 "Content-Security-Policy": "default-src 'none'; sandbox"}, body


def _stored(state: SandboxState, company_id: int, project_id: int | None,
            uuid: str) -> tuple[str, Path] | None:
    for record in state.files.values():
        if record.company_id != company_id or record.project_id != project_id:
            continue
        for version in record.versions:
            if version.upload_uuid == uuid:
                return record.name, version.path
    for image in state.images.values():
        project = state.projects.get(image.project_id)
        if image.upload_uuid == uuid and image.project_id == project_id \
                and project is not None and project.company_id == company_id:
            return image.name, image.path
    return None


def _sign(state: SandboxState, company_id: int, project_id: int | None, uuid: str) -> str:
    message = f"{company_id}/{project_id or ''}/{uuid}".encode()
    return hmac.new(state.secret, message, hashlib.sha256).hexdigest()


def _one(query: Mapping[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values and len(values) == 1 else None


def _refusal(status: int, code: str, message: str) -> Answer:
    # Storage answers refusals as S3 does: XML.
    body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error>").encode()
    return status, {"Content-Type": "application/xml", "Cache-Control": "no-store"}, body
