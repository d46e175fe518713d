"""A file's own address: the sandbox answers it where Procore documents it (a file version's
``url``, a photo's ``url``), serves the file there, and refuses links it did not make."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from uploader_gui.sandbox import Sandbox

from .raw_client import Api


def _new_file(api: Api, name: str, data: bytes) -> dict:  # type: ignore[type-arg]
    answer = api.create_file(api.finished_upload(data), name,
                             api.demo.folder_ids["Drawings"])
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_create_file_and_the_listing_answer_each_versions_url(api: Api) -> None:
    made = _new_file(api, "A-101 Plan.pdf", b"%PDF plan one")
    [version] = made["file_versions"]
    assert version["url"].startswith(api.sb.api_url + "/api/v5/files/companies/")
    listing = api.get(f"/rest/v1.0/folders/{api.demo.folder_ids['Drawings']}",
                      params={"project_id": api.project_id}).json()
    [listed] = [f for f in listing["files"] if f["id"] == made["id"]]
    assert [v["url"] for v in listed["file_versions"]] == [version["url"]]


def test_the_link_opens_the_file_in_a_browser(api: Api) -> None:
    made = _new_file(api, "A-102 Sections.pdf", b"%PDF sections")
    url = made["file_versions"][0]["url"]
    page = requests.get(url, timeout=10)  # a browser: no token
    assert page.status_code == 200
    assert page.content == b"%PDF sections"
    assert page.headers["Content-Type"] == "application/pdf"
    assert "A-102%20Sections.pdf" in page.headers["Content-Disposition"]


def test_a_new_versions_answer_carries_its_own_url(api: Api) -> None:
    made = _new_file(api, "A-103.pdf", b"first")
    uuid = api.finished_upload(b"second, longer")
    answer = api.post("/rest/v1.0/file_versions",
                      params={"project_id": api.project_id, "file_id": made["id"]},
                      files={"file_version[upload_uuid]": (None, uuid)})
    assert answer.status_code == 201, answer.text
    assert requests.get(answer.json()["url"], timeout=10).content == b"second, longer"


def test_a_photos_answer_carries_its_url(api: Api) -> None:
    uuid = api.finished_upload(b"\xff\xd8\xff\xe0 crane")
    made = api.post("/rest/v1.0/images", params={"project_id": api.project_id},
                    json={"upload_uuid": uuid, "image_name": "crane.jpg",
                          "image": {"image_category_id": api.demo.album_id}})
    assert made.status_code == 201, made.text
    photo = requests.get(made.json()["url"], timeout=10)
    assert photo.status_code == 200 and photo.content == b"\xff\xd8\xff\xe0 crane"
    assert photo.headers["Content-Type"] == "image/jpeg"


def test_a_link_moved_to_another_project_or_made_up_is_refused(api: Api,
                                                               sandbox: Sandbox) -> None:
    made = _new_file(api, "A-104.pdf", b"private drawing")
    url = made["file_versions"][0]["url"]
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    moved = dict(query, projectId=str(api.demo.project_ids[1]))
    for tampered in (f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(moved)}",
                     f"{parts.scheme}://{parts.netloc}{parts.path}?"
                     f"{urlencode(dict(query, sig='0' * 64))}",
                     f"{parts.scheme}://{parts.netloc}{parts.path}"):
        refused = requests.get(tampered, timeout=10)
        assert refused.status_code == 403, tampered
        assert b"AccessDenied" in refused.content and b"private drawing" not in refused.content
    unknown = requests.get(sandbox.api_url + "/api/v5/files/companies/1/NOSUCHUPLOAD?companyId=1",
                           timeout=10)
    assert unknown.status_code == 403  # unsigned: refused before anything is looked up
