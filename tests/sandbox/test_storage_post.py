"""Policy-signed form POSTs: the happy path and every way S3 refuses one."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import requests

from uploader_gui.sandbox import Sandbox

from .raw_client import Api, s3_code


def test_post_stores_the_exact_bytes(api: Api, sandbox: Sandbox) -> None:
    data = os.urandom(300_000)
    upload = api.create_upload().json()
    answer = api.post_form(upload, data)
    assert answer.status_code == 204
    assert answer.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert api.get(f"{api.uploads_path}/{upload['uuid']}").json()["status"] == "complete"
    file_id = api.create_file(upload["uuid"], "survey.pdf").json()["id"]
    assert sandbox.document_bytes(file_id) == data


def test_large_post_streams_to_disk(api: Api, sandbox: Sandbox, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    with source.open("wb") as handle:
        for _ in range(24):
            handle.write(os.urandom(1024 * 1024))
    upload = api.create_upload().json()
    with source.open("rb") as handle:
        answer = api.storage.post(upload["url"], data=list(upload["fields"].items()),
                                  files={"file": ("big.bin", handle)}, timeout=30)
    assert answer.status_code == 204
    file_id = api.create_file(upload["uuid"], "big.bin").json()["id"]
    assert hashlib.sha256(sandbox.document_path(file_id).read_bytes()).hexdigest() == \
        hashlib.sha256(source.read_bytes()).hexdigest()


def test_field_not_in_policy_is_refused(api: Api) -> None:
    upload = api.create_upload().json()
    fields = dict(upload["fields"], success_action_status="201")
    answer = api.post_form(upload, b"data", fields=fields)
    assert answer.status_code == 403
    assert s3_code(answer) == "AccessDenied"
    assert "Extra input fields: success_action_status" in answer.text


def test_changed_field_is_refused(api: Api) -> None:
    upload = api.create_upload().json()
    fields = dict(upload["fields"], **{"Content-Type": "text/plain"})
    answer = api.post_form(upload, b"data", fields=fields)
    assert answer.status_code == 403
    assert "Policy Condition failed" in answer.text


def test_tampered_policy_breaks_the_signature(api: Api) -> None:
    upload = api.create_upload().json()
    document = json.loads(base64.b64decode(upload["fields"]["policy"]))
    document["expiration"] = "2099-01-01T00:00:00.000Z"
    policy = base64.b64encode(json.dumps(document).encode()).decode()
    answer = api.post_form(upload, b"data", fields=dict(upload["fields"], policy=policy))
    assert answer.status_code == 403
    assert s3_code(answer) == "SignatureDoesNotMatch"


def test_field_after_file_is_refused(api: Api) -> None:
    upload = api.create_upload().json()
    fields = list(upload["fields"].items())
    key = fields.pop(0)
    # requests puts data fields before files, so build the body with the key after the file.
    boundary = "sandboxboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             for k, v in fields]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="a.pdf"\r\n\r\nDATA\r\n')
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key[0]}"\r\n\r\n'
                 f'{key[1]}\r\n--{boundary}--\r\n')
    answer = api.storage.post(upload["url"], data="".join(parts).encode(), timeout=5,
                              headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status_code == 400
    assert s3_code(answer) == "InvalidArgument"
    assert api.get(f"{api.uploads_path}/{upload['uuid']}").json()["status"] == "ready"


def test_missing_file_is_refused(api: Api) -> None:
    upload = api.create_upload().json()
    answer = api.storage.post(upload["url"], files={k: (None, v) for k, v in
                                                    upload["fields"].items()}, timeout=5)
    assert answer.status_code == 400
    assert s3_code(answer) == "InvalidArgument"


def test_expired_policy_is_refused(api: Api, sandbox: Sandbox) -> None:
    upload = api.create_upload().json()
    sandbox.advance_clock(3601)
    answer = api.post_form(upload, b"data")
    assert answer.status_code == 403
    assert "Invalid according to Policy: Policy expired." in answer.text


def test_authorization_header_is_refused(api: Api) -> None:
    upload = api.create_upload().json()
    answer = api.post_form(upload, b"data", headers={"Authorization": f"Bearer {api.token}"})
    assert answer.status_code == 400
    assert s3_code(answer) == "InvalidArgument"


def test_non_multipart_post_is_refused(api: Api) -> None:
    upload = api.create_upload().json()
    answer = requests.post(upload["url"], data=upload["fields"], timeout=5)
    assert answer.status_code == 412


def test_repost_after_association_is_refused(api: Api) -> None:
    upload = api.create_upload().json()
    assert api.post_form(upload, b"one").status_code == 204
    assert api.create_file(upload["uuid"], "one.pdf").status_code == 201
    again = api.post_form(upload, b"two")
    assert again.status_code == 403
