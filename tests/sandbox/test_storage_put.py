"""Presigned part PUTs: the happy path and every way S3 refuses one."""

from __future__ import annotations

import hashlib
import socket
from typing import Any
from urllib.parse import urlsplit

from uploader_gui.sandbox import Sandbox

from .raw_client import Api, s3_code


def test_segmented_upload_with_one_byte_last_part(api: Api, sandbox: Sandbox,
                                                   two_parts: list[bytes]) -> None:
    uuid = api.segmented_upload(two_parts)
    answer = api.create_file(uuid, "model.ifc", api.demo.folder_ids["Drawings/Architectural"])
    assert answer.status_code == 201
    file_id = answer.json()["id"]
    whole = b"".join(two_parts)
    assert sandbox.document_bytes(file_id) == whole
    [doc] = sandbox.documents(project_id=api.project_id)
    assert doc["versions"][0]["sha256"] == hashlib.sha256(whole).hexdigest()
    assert doc["versions"][0]["size"] == len(whole)
    puts = [r for r in sandbox.request_log if r.server == "storage"]
    assert [r.status for r in puts] == [200, 200]
    assert not any(r.authorization_sent for r in puts)


def test_put_answers_etag_and_empty_body(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    answer = api.put_part(created["segments"][1], b"Z")
    assert answer.status_code == 200
    assert answer.content == b""
    assert answer.headers["ETag"] == f'"{hashlib.md5(b"Z").hexdigest()}"'


def test_authorization_header_is_refused(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    answer = api.put_part(created["segments"][1], b"Z", {"Authorization": f"Bearer {api.token}"})
    assert answer.status_code == 400
    assert s3_code(answer) == "InvalidArgument"


def test_expired_link_is_refused(api: Api, sandbox: Sandbox, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    sandbox.advance_clock(3601)
    answer = api.put_part(created["segments"][1], b"Z")
    assert answer.status_code == 403
    assert s3_code(answer) == "AccessDenied"
    assert "Request has expired" in answer.text


def test_chunked_body_is_refused(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    segment = created["segments"][1]
    headers = {k: v for k, v in segment["headers"].items() if k != "content-length"}
    answer = api.storage.put(segment["url"], data=iter([b"Z"]), headers=headers, timeout=5)
    assert answer.status_code == 411
    assert s3_code(answer) == "MissingContentLength"


def test_short_body_is_incomplete(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented([two_parts[0], b"ABCD"])
    segment = created["segments"][1]
    url = urlsplit(segment["url"])
    lines = [f"PUT {url.path}?{url.query} HTTP/1.1", f"Host: {url.netloc}",
             "Content-Type: application/octet-stream"]
    lines += [f"{k}: {v}" for k, v in segment["headers"].items()]
    with socket.create_connection((url.hostname, url.port), timeout=5) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b"AB")
        conn.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400")
    assert b"<Code>IncompleteBody</Code>" in reply


def test_body_not_matching_sha256_is_refused(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts, md5=False)
    answer = api.put_part(created["segments"][1], b"Y")
    assert answer.status_code == 400
    assert s3_code(answer) == "XAmzContentSHA256Mismatch"


def test_body_not_matching_md5_is_refused(api: Api, two_parts: list[bytes]) -> None:
    # sha256 promised for b"Z" but md5 promised for b"Y": the bytes b"Z" pass the sha256
    # check and must then fail on Content-MD5.
    body = {"response_filename": "x.bin", "segments": [
        {"size": len(two_parts[0]), "sha256": hashlib.sha256(two_parts[0]).hexdigest()},
        {"size": 1, "sha256": hashlib.sha256(b"Z").hexdigest(),
         "md5": hashlib.md5(b"Y").hexdigest()}]}
    created = api.create_upload(body).json()
    answer = api.put_part(created["segments"][1], b"Z")
    assert answer.status_code == 400
    assert s3_code(answer) == "BadDigest"


def test_unsigned_amz_header_is_refused(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    answer = api.put_part(created["segments"][1], b"Z", {"x-amz-meta-author": "dana"})
    assert answer.status_code == 403
    assert s3_code(answer) == "AccessDenied"
    assert "not signed" in answer.text


def test_changed_signed_header_breaks_the_signature(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    segment: dict[str, Any] = dict(created["segments"][1])
    segment["headers"] = dict(segment["headers"],
                              **{"x-amz-content-sha256": hashlib.sha256(b"Y").hexdigest(),
                                 "content-md5": "5tVDU4Yd5eJT3u6JqxxDtA=="})
    answer = api.put_part(segment, b"Y")
    assert answer.status_code == 403
    assert s3_code(answer) == "SignatureDoesNotMatch"


def test_tampered_query_breaks_the_signature(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    segment = dict(created["segments"][1])
    segment["url"] = segment["url"].replace("X-Amz-Expires=3600", "X-Amz-Expires=86400")
    answer = api.put_part(segment, b"Z")
    assert answer.status_code == 403
    assert s3_code(answer) == "SignatureDoesNotMatch"


def test_missing_signed_header_breaks_the_signature(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    segment = dict(created["segments"][1])
    segment["headers"] = {k: v for k, v in segment["headers"].items() if k != "content-md5"}
    answer = api.put_part(segment, b"Z")
    assert answer.status_code == 403
    assert s3_code(answer) == "SignatureDoesNotMatch"


def test_reput_replaces_the_part(api: Api, sandbox: Sandbox, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    first, last = created["segments"]
    assert api.put_part(first, two_parts[0]).status_code == 200
    assert api.put_part(last, b"Y").status_code == 400  # wrong bytes: part not stored
    assert api.complete(created["uuid"], [hashlib.md5(two_parts[0]).hexdigest(),
                                          hashlib.md5(b"Z").hexdigest()],
                        created["segments"]).status_code == 422
    again = api.put_part(last, b"Z")
    assert again.status_code == 200
    etags = [hashlib.md5(two_parts[0]).hexdigest(), again.headers["ETag"].strip('"')]
    assert api.complete(created["uuid"], etags, created["segments"]).status_code == 200
    file_id = api.create_file(created["uuid"], "model.ifc").json()["id"]
    assert sandbox.document_bytes(file_id) == b"".join(two_parts)


def test_put_after_completion_is_refused(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    etags = [api.put_part(s, d).headers["ETag"] for s, d in zip(created["segments"], two_parts, strict=True)]
    assert api.complete(created["uuid"], etags, created["segments"]).status_code == 200
    late = api.put_part(created["segments"][1], b"Z")
    assert late.status_code == 404
    assert s3_code(late) == "NoSuchUpload"


def test_chunked_header_next_to_content_length_is_refused(api: Api,
                                                          two_parts: list[bytes]) -> None:
    # requests sends both headers for a generator body with an explicit Content-Length.
    created = api.create_segmented(two_parts)
    segment = created["segments"][1]
    answer = api.storage.put(segment["url"], data=iter([b"Z"]), headers=segment["headers"],
                             timeout=5)
    assert answer.request.headers.get("Transfer-Encoding") == "chunked"
    assert answer.status_code == 411
