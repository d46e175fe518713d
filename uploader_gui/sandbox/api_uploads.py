"""API routes for uploads: create (signed storage instructions), show, and complete (PATCH)."""

from __future__ import annotations

import base64
import mimetypes
import os
import re
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from . import signing
from .api_call import Call
from .http_common import ApiError
from .records import Segment, Upload
from .state import HOUR

BUCKET = "procore-sandbox-uploads"
MIN_SEGMENT = 5 * 1024 * 1024
MAX_SEGMENT = 5 * 1024 ** 3
MAX_SEGMENTS = 10_000
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
#: type "/" subtype, RFC 6838 names (parameters are not taken here).
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/"
                         r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$")
SIGNED_PUT_HEADERS = ("content-length", "content-md5", "host", "x-amz-content-sha256")


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, {"errors": {field: [message]}})


def _scope(call: Call) -> tuple[int, int | None]:
    """(company_id, project_id) named by the upload route's path."""
    if call.match["kind"] == "companies":
        return call.company(call.path_int("scope_id")), None
    project = call.project(call.path_int("scope_id"))
    return project.company_id, project.id


def _parse_segments(raw: Any, declared_size: int | None) -> list[Segment]:
    if not isinstance(raw, list) or not raw:
        raise _invalid("segments", "must be a non-empty list")
    if len(raw) > MAX_SEGMENTS:
        raise _invalid("segments", f"must not be more than {MAX_SEGMENTS} segments")
    segments: list[Segment] = []
    offset = 0
    for index, item in enumerate(raw):
        number = index + 1
        if not isinstance(item, dict):
            raise _invalid("segments", f"segment {number} must be an object")
        size = item.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _invalid("segments", f"segment {number} needs a size in bytes")
        last = number == len(raw)
        if not last and size < MIN_SEGMENT:
            raise _invalid("segments", f"segment {number} is {size} bytes; every segment but the "
                                       f"last must be at least {MIN_SEGMENT} bytes (5 MiB)")
        if size > MAX_SEGMENT:
            raise _invalid("segments", f"segment {number} is larger than 5 GiB")
        if size == 0 and len(raw) > 1:
            raise _invalid("segments", f"segment {number} is empty")
        sha256 = item.get("sha256")
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise _invalid("segments", f"segment {number} needs a sha256 of 64 hex characters")
        md5 = item.get("md5")
        if md5 is not None and (not isinstance(md5, str) or not _MD5.match(md5)):
            raise _invalid("segments", f"segment {number} has an md5 that is not 32 hex characters")
        segments.append(Segment(number, size, offset, sha256.lower(),
                                md5.lower() if md5 else None))
        offset += size
    if declared_size is not None and declared_size != offset:
        raise _invalid("size", f"is {declared_size} but the segments add up to {offset} bytes")
    return segments


def _link_lifetime(call: Call, upload: Upload, target: str) -> float:
    fault = call.faults.pick({"expire_links_after"},
                             {target, "storage_put" if upload.segmented else "storage_post"})
    return float(fault.params["seconds"]) if fault is not None else float(HOUR)


def sign(call: Call, upload: Upload, target: str) -> None:
    """Sign fresh storage instructions for ``upload`` (stored in ``upload.signed``)."""
    now = call.state.now()
    lifetime = _link_lifetime(call, upload, target)
    date = signing.amz_date(now)
    host = urlsplit(call.storage_url).netloc
    if upload.segments is not None:
        path = f"/{BUCKET}/{upload.key}"
        segments = []
        for segment in upload.segments:
            headers = {"x-amz-content-sha256": segment.sha256,
                       "content-length": str(segment.size)}
            if segment.md5:
                headers["content-md5"] = base64.b64encode(bytes.fromhex(segment.md5)).decode()
            signed = dict(headers, host=host)
            params = {
                "partNumber": str(segment.number), "uploadId": upload.s3_upload_id,
                "X-Amz-Algorithm": signing.ALGORITHM, "X-Amz-Credential": signing.credential(now),
                "X-Amz-Date": date, "X-Amz-Expires": str(max(1, int(lifetime))),
                "X-Amz-SignedHeaders": ";".join(sorted(signed)),
            }
            params["X-Amz-Signature"] = signing.sign_request(
                call.state.secret, "PUT", path, params, signed)
            segments.append({"url": f"{call.storage_url}{path}?{urlencode(params)}",
                             "headers": headers})
        upload.signed = {"segments": segments}
        return
    conditions: list[object] = [
        {"bucket": BUCKET},
        ["eq", "$key", upload.key],
        ["eq", "$Content-Type", upload.content_type],
        ["eq", "$Content-Disposition", upload.content_disposition],
        ["content-length-range", 0, signing.MAX_OBJECT_SIZE],
        {"x-amz-credential": signing.credential(now)},
        {"x-amz-algorithm": signing.ALGORITHM},
        {"x-amz-date": date},
    ]
    policy = signing.encode_policy(now + lifetime, conditions)
    fields = {
        "key": upload.key,
        "Content-Type": upload.content_type,
        "Content-Disposition": upload.content_disposition,
        "policy": policy,
        "x-amz-credential": signing.credential(now),
        "x-amz-algorithm": signing.ALGORITHM,
        "x-amz-date": date,
        "x-amz-signature": signing.sign_policy(call.state.secret, policy, date),
    }
    upload.signed = {"url": f"{call.storage_url}/{BUCKET}", "fields": fields}


def upload_json(upload: Upload, *, with_status: bool) -> dict[str, Any]:
    if upload.segments is None:
        body: dict[str, Any] = {"uuid": upload.uuid, "url": upload.signed["url"],
                                "fields": dict(upload.signed["fields"])}
        if with_status:
            body["status"] = upload.status
        return body
    signed_segments: list[dict[str, Any]] = upload.signed["segments"]
    segments = []
    for segment, signed in zip(upload.segments, signed_segments, strict=True):
        item: dict[str, Any] = {"size": segment.size, "sha256": segment.sha256,
                                "md5": segment.md5, "url": signed["url"],
                                "headers": dict(signed["headers"])}
        if upload.status == "complete":
            item["etag"] = segment.stored_md5
        segments.append(item)
    return {"uuid": upload.uuid, "segments": segments, "status": upload.status}


def create(call: Call) -> Any:
    company_id, project_id = _scope(call)
    body = call.json_body()
    filename = body.get("response_filename")
    if call.match["version"] == "1.1" and (not isinstance(filename, str) or not filename.strip()):
        raise _invalid("response_filename", "can't be blank")
    if filename is not None and not isinstance(filename, str):
        raise _invalid("response_filename", "must be a string")
    content_type = body.get("response_content_type")
    if content_type is not None and (not isinstance(content_type, str)
                                     or not _MEDIA_TYPE.match(content_type)):
        raise _invalid("response_content_type", "must be a media type such as application/pdf")
    if not content_type:
        guessed = mimetypes.guess_type(filename or "")[0]
        content_type = guessed or "application/octet-stream"
    size = body.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise _invalid("size", "must be a whole number of bytes")
    attachment = body.get("attachment_content_disposition", False)
    if not isinstance(attachment, bool):
        raise _invalid("attachment_content_disposition", "must be true or false")
    segments = None
    if "segments" in body:
        segments = _parse_segments(body["segments"], size)
    elif size is not None and size > signing.MAX_OBJECT_SIZE:
        raise _invalid("size", "is larger than 5 GiB; use a segmented upload")
    disposition = "attachment" if attachment else "inline"
    if filename:
        escaped = filename.replace("\\", "\\\\").replace('"', '\\"')
        disposition += f'; filename="{escaped}"'
    state = call.state
    with state.lock:
        uuid = state.new_uuid()
        upload = Upload(
            uuid=uuid, owner_id=call.user.id, company_id=company_id, project_id=project_id,
            created_at=state.now(), key=f"companies/{company_id}/{uuid}",
            s3_upload_id=secrets.token_urlsafe(24), response_filename=filename,
            content_type=content_type, content_disposition=disposition, segments=segments,
            declared_size=size)
        if segments is not None:
            total = sum(s.size for s in segments)
            # Parts are written in place at their offsets, so completing needs no copy.
            with open(state.assembly_path(uuid), "wb") as handle:
                handle.truncate(total)
        sign(call, upload, "create")
        state.uploads[uuid] = upload
    return 201, upload_json(upload, with_status=segments is not None)


def find_owned_upload(call: Call, uuid: str) -> Upload:
    """The caller's upload ``uuid``: 404 unknown, 410 deleted, 403 someone else's."""
    state = call.state
    state.expire_uploads()
    upload = state.uploads.get(uuid)
    if upload is None:
        if uuid in state.deleted_uploads:
            raise ApiError(410, {"errors": "This upload was deleted because it was not used "
                                           "within a week. Start the upload again."})
        raise ApiError(404, {"errors": "Upload not found"})
    if upload.company_id != call.company_id:
        raise ApiError(404, {"errors": "Upload not found"})
    if upload.owner_id != call.user.id:
        raise ApiError(403, {"errors": "Only the user who created this upload can use it"})
    return upload


def _scoped_upload(call: Call) -> Upload:
    company_id, project_id = _scope(call)
    upload = find_owned_upload(call, call.match["uuid"])
    if upload.project_id != project_id or upload.company_id != company_id:
        raise ApiError(404, {"errors": "Upload not found"})
    return upload


def show(call: Call) -> Any:
    with call.state.lock:
        upload = _scoped_upload(call)
        if call.state.resign_on_show and upload.status != "complete":
            sign(call, upload, "show")
        return upload_json(upload, with_status=True)


def _etag_list(body: dict[str, Any], upload: Upload, version: str) -> list[str]:
    """The ETags of a completing PATCH, checked against the segments declared at creation.

    v1.1 (seed 000's PATCH example, the v1.1 spec): every item carries ``size`` and ``sha256``
    (required), ``md5`` when one was declared, and ``etag``, in creation order. v1.0's tutorial
    shows ``etag`` alone, so there the other keys are checked only when present.
    """
    segments = upload.segments or []
    raw = body.get("segments")
    if not isinstance(raw, list):
        raise _invalid("segments", "must list the etag of every segment")
    if len(raw) != len(segments):
        raise _invalid("segments", f"lists {len(raw)} etags but the upload has "
                                   f"{len(segments)} segments")
    etags = []
    for segment, item in zip(segments, raw, strict=True):
        number = segment.number
        if not isinstance(item, dict):
            raise _invalid("segments", f"segment {number} must be an object")
        etag = item.get("etag")
        if not isinstance(etag, str) or not etag.strip('"'):
            raise _invalid("segments", f"segment {number} has no etag")
        strict = version == "1.1"
        size = item.get("size")
        if (strict or "size" in item) and (
                not isinstance(size, int) or isinstance(size, bool) or size != segment.size):
            raise _invalid("segments", f"segment {number} needs its size ({segment.size})")
        sha256 = item.get("sha256")
        if (strict or "sha256" in item) and (
                not isinstance(sha256, str) or sha256.lower() != segment.sha256):
            raise _invalid("segments", f"segment {number} needs the sha256 it was created with")
        md5 = item.get("md5")
        if segment.md5 and (strict or "md5" in item) and (
                not isinstance(md5, str) or md5.lower() != segment.md5):
            raise _invalid("segments", f"segment {number} needs the md5 it was created with")
        etags.append(etag.strip('"').lower())
    return etags


def complete(call: Call) -> Any:
    state = call.state
    with state.lock:
        upload = _scoped_upload(call)
        if upload.segments is None:
            raise _invalid("segments", "this upload has no segments; it is complete once the "
                                       "file is posted to storage")
        if upload.status == "complete":
            # A repeated PATCH (say, retried after a lost answer) finds the upload already
            # complete: 410, so a client must ask Show Upload rather than trust a repeat.
            raise ApiError(410, {"errors": "This upload is already complete"})
        etags = _etag_list(call.json_body(), upload, call.match["version"])
        for segment, etag in zip(upload.segments, etags, strict=True):
            if segment.stored_md5 is None:
                raise _invalid("segments", f"segment {segment.number} has not been uploaded")
            if segment.stored_md5 != etag:
                raise _invalid("segments", f"the etag of segment {segment.number} does not "
                                           "match the part in storage")
        os.replace(state.assembly_path(upload.uuid), state.object_path(upload.uuid))
        upload.size = sum(s.size for s in upload.segments)
        upload.status = "complete"
        return upload_json(upload, with_status=True)
