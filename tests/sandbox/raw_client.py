"""A raw HTTP client for the sandbox tests: plain requests calls, no project client code."""

from __future__ import annotations

import hashlib
from typing import Any

import requests

from uploader_gui.sandbox import DemoInfo, Sandbox

MIB5 = 5 * 1024 * 1024


class Api:
    """Plain ``requests`` calls against the sandbox, as a careful client would make them."""

    def __init__(self, sandbox: Sandbox, demo: DemoInfo, token: str) -> None:
        self.sb = sandbox
        self.demo = demo
        self.token = token
        self.project_id = demo.project_ids[0]
        self.session = requests.Session()
        self.storage = requests.Session()

    def close(self) -> None:
        self.session.close()
        self.storage.close()

    def headers(self, *, token: str | None = None, company: int | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}",
                "Procore-Company-Id": str(company or self.demo.company_id)}

    def request(self, method: str, path: str, *, token: str | None = None,
                headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        merged = self.headers(token=token)
        merged.update(headers or {})
        return self.session.request(method, self.sb.api_url + path, headers=merged, timeout=10,
                                    **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    @property
    def uploads_path(self) -> str:
        return f"/rest/v1.1/projects/{self.project_id}/uploads"

    def create_upload(self, body: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        return self.post(self.uploads_path, json=body or {"response_filename": "plan.pdf"},
                         **kwargs)

    def create_segmented(self, parts: list[bytes], *, md5: bool = True,
                         **kwargs: Any) -> dict[str, Any]:
        segments = []
        for part in parts:
            segment = {"size": len(part), "sha256": hashlib.sha256(part).hexdigest()}
            if md5:
                segment["md5"] = hashlib.md5(part).hexdigest()
            segments.append(segment)
        answer = self.create_upload({"response_filename": "model.ifc", "segments": segments},
                                    **kwargs)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def put_part(self, segment: dict[str, Any], data: bytes,
                 extra: dict[str, str] | None = None) -> requests.Response:
        headers = dict(segment["headers"])
        headers["Content-Type"] = "application/octet-stream"
        headers.update(extra or {})
        return self.storage.put(segment["url"], data=data, headers=headers, timeout=10)

    def post_form(self, upload: dict[str, Any], data: bytes, *,
                  fields: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        form = list((fields if fields is not None else upload["fields"]).items())
        return self.storage.post(upload["url"], data=form, files={"file": ("plan.pdf", data)},
                                 timeout=10, **kwargs)

    def complete(self, uuid: str, etags: list[str],
                 segments: list[dict[str, Any]] | None = None,
                 **kwargs: Any) -> requests.Response:
        """PATCH the ETags; with ``segments`` (the create answer's) as v1.1 wants them:
        size, sha256, md5 when declared, and etag for every segment, in creation order."""
        if segments is None:
            items: list[dict[str, Any]] = [{"etag": e} for e in etags]
        else:
            items = [dict({k: s[k] for k in ("size", "sha256", "md5") if s.get(k)}, etag=e)
                     for s, e in zip(segments, etags, strict=False)]
        return self.patch(f"{self.uploads_path}/{uuid}", json={"segments": items}, **kwargs)

    def finished_upload(self, data: bytes = b"%PDF-1.7 plan", *,
                        token: str | None = None) -> str:
        """The uuid of a complete non-segmented upload holding ``data``."""
        answer = self.create_upload(token=token)
        assert answer.status_code == 201, answer.text
        upload = answer.json()
        stored = self.post_form(upload, data)
        assert stored.status_code == 204, stored.text
        return str(upload["uuid"])

    def segmented_upload(self, parts: list[bytes]) -> str:
        """The uuid of a complete segmented upload of ``parts``."""
        upload = self.create_segmented(parts)
        etags = []
        for segment, data in zip(upload["segments"], parts, strict=True):
            answer = self.put_part(segment, data)
            assert answer.status_code == 200, answer.text
            etags.append(answer.headers["ETag"].strip('"'))
        done = self.complete(upload["uuid"], etags, upload["segments"])
        assert done.status_code == 200, done.text
        return str(upload["uuid"])

    def create_file(self, uuid: str, name: str, parent_id: int | None = None,
                    unique: bool = False, **kwargs: Any) -> requests.Response:
        form = {"file[upload_uuid]": uuid, "file[name]": name}
        if parent_id is not None:
            form["file[parent_id]"] = str(parent_id)
        if unique:
            form["file[unique_name]"] = "true"
        return self.post("/rest/v1.0/files", params={"project_id": self.project_id},
                         files={k: (None, v) for k, v in form.items()}, **kwargs)


def s3_code(response: requests.Response) -> str:
    """The <Code> of an S3 XML error."""
    text = response.text
    start = text.index("<Code>") + len("<Code>")
    return text[start:text.index("</Code>")]
