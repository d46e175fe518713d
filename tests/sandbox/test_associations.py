"""Turning finished uploads into Documents files, file versions and photos."""

from __future__ import annotations

import pytest

from uploader_gui.sandbox import DemoInfo, Sandbox

from .raw_client import Api


def test_project_file_in_a_folder(api: Api, sandbox: Sandbox) -> None:
    uuid = api.finished_upload(b"%PDF A-101")
    folder = api.demo.folder_ids["Drawings/Architectural"]
    answer = api.create_file(uuid, "A-101 Floor Plan.pdf", folder)
    assert answer.status_code == 201
    body = answer.json()
    assert body["name"] == "A-101 Floor Plan.pdf" and body["parent_id"] == folder
    assert body["size"] == 10 and len(body["file_versions"]) == 1
    for key in ("id", "created_at", "updated_at"):
        assert key in body
    listed = api.get(f"/rest/v1.0/folders/{folder}", params={"project_id": api.project_id})
    assert [f["name"] for f in listed.json()["files"]] == ["A-101 Floor Plan.pdf"]
    assert sandbox.document_bytes(body["id"]) == b"%PDF A-101"
    assert [u["associated"] for u in sandbox.uploads() if u["uuid"] == uuid] == [True]


def test_url_encoded_form_is_accepted(api: Api) -> None:
    uuid = api.finished_upload()
    answer = api.post("/rest/v1.0/files", params={"project_id": api.project_id},
                      data={"file[upload_uuid]": uuid, "file[name]": "form.pdf"})
    assert answer.status_code == 201


def test_json_body_is_refused(api: Api) -> None:
    uuid = api.finished_upload()
    answer = api.post("/rest/v1.0/files", params={"project_id": api.project_id},
                      json={"file": {"upload_uuid": uuid, "name": "json.pdf"}})
    assert answer.status_code == 415


def test_name_clash_without_unique_name_is_taken(api: Api) -> None:
    assert api.create_file(api.finished_upload(), "Spec.pdf").status_code == 201
    clash = api.create_file(api.finished_upload(), "spec.pdf")
    assert clash.status_code == 422
    assert clash.json() == {"errors": {"name": ["has already been taken"]}}


def test_unique_name_renames_on_clash(api: Api) -> None:
    names = [api.create_file(api.finished_upload(), "Spec.pdf", unique=True).json()["name"]
             for _ in range(3)]
    assert names == ["Spec.pdf", "Spec (1).pdf", "Spec (2).pdf"]


@pytest.mark.parametrize("name", ["a/b.pdf", "what?.pdf", "x:y.pdf", "p|q.pdf", " "])
def test_names_procore_refuses(api: Api, name: str) -> None:
    answer = api.create_file(api.finished_upload(), name)
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["name"]


def test_incomplete_upload_cannot_be_associated(api: Api, two_parts: list[bytes]) -> None:
    plain = api.create_upload().json()
    assert api.create_file(plain["uuid"], "a.pdf").status_code == 422
    segmented = api.create_segmented(two_parts)
    api.put_part(segmented["segments"][0], two_parts[0])
    api.put_part(segmented["segments"][1], two_parts[1])
    # Parts stored, but no PATCH yet.
    assert api.create_file(segmented["uuid"], "b.bin").status_code == 422


def test_an_upload_is_used_only_once(api: Api) -> None:
    uuid = api.finished_upload()
    assert api.create_file(uuid, "one.pdf").status_code == 201
    again = api.create_file(uuid, "two.pdf")
    assert again.status_code == 422


def test_only_the_owner_may_associate(api: Api, sandbox: Sandbox, demo: DemoInfo) -> None:
    uuid = api.finished_upload()
    other = sandbox.issue_token(demo.other_user_id)
    assert api.create_file(uuid, "theirs.pdf", token=other).status_code == 403


def test_folder_of_another_project_is_refused(api: Api, sandbox: Sandbox) -> None:
    elsewhere = sandbox.add_folder(None, "Elsewhere", project_id=api.demo.project_ids[1])
    assert api.create_file(api.finished_upload(), "a.pdf", elsewhere).status_code == 404


def test_company_file(api: Api, sandbox: Sandbox) -> None:
    cid = api.demo.company_id
    uuid = api.finished_upload(b"manual")
    folder = api.demo.company_folder_ids["Safety Manuals"]
    answer = api.post(f"/rest/v1.0/companies/{cid}/files",
                      files={"file[upload_uuid]": (None, uuid),
                             "file[name]": (None, "Fall Protection.pdf"),
                             "file[parent_id]": (None, str(folder))})
    assert answer.status_code == 201
    [doc] = sandbox.documents(company_id=cid)
    assert doc["parent_id"] == folder and doc["project_id"] is None
    assert sandbox.document_bytes(doc["id"]) == b"manual"


def test_new_version_of_a_file(api: Api, sandbox: Sandbox) -> None:
    file_id = api.create_file(api.finished_upload(b"rev A"), "A-101.pdf").json()["id"]
    answer = api.post("/rest/v1.0/file_versions",
                      params={"project_id": api.project_id, "file_id": file_id},
                      files={"file_version[upload_uuid]": (None, api.finished_upload(b"rev B")),
                             "file_version[notes]": (None, "Revision B")})
    assert answer.status_code == 201
    assert answer.json()["number"] == 2
    assert sandbox.document_bytes(file_id) == b"rev B"
    assert sandbox.document_bytes(file_id, 0) == b"rev A"
    [doc] = sandbox.documents(project_id=api.project_id)
    assert [v["number"] for v in doc["versions"]] == [1, 2]


def test_company_file_version(api: Api, sandbox: Sandbox) -> None:
    cid = api.demo.company_id
    created = api.post(f"/rest/v1.0/companies/{cid}/files",
                       data={"file[upload_uuid]": api.finished_upload(b"v1"),
                             "file[name]": "Handbook.pdf"})
    file_id = created.json()["id"]
    answer = api.post(f"/rest/v1.0/companies/{cid}/file_versions", params={"file_id": file_id},
                      data={"file_version[upload_uuid]": api.finished_upload(b"v2")})
    assert answer.status_code == 201
    assert sandbox.document_bytes(file_id) == b"v2"


def test_version_of_unknown_file_is_404(api: Api) -> None:
    answer = api.post("/rest/v1.0/file_versions",
                      params={"project_id": api.project_id, "file_id": 999999},
                      data={"file_version[upload_uuid]": api.finished_upload()})
    assert answer.status_code == 404


def test_photo_with_the_documented_shape(api: Api, sandbox: Sandbox) -> None:
    uuid = api.finished_upload(b"\xff\xd8jpeg")
    answer = api.post("/rest/v1.0/images", params={"project_id": api.project_id},
                      json={"upload_uuid": uuid, "image_name": "Level 3 pour.jpg",
                            "image": {"image_category_id": api.demo.album_id,
                                      "description": "North side"}})
    assert answer.status_code == 201
    body = answer.json()
    assert body["filename"] == "Level 3 pour.jpg"
    assert body["image_category_id"] == api.demo.album_id
    assert "name" not in body  # List Images: a photo's name is its filename
    [photo] = sandbox.images(api.project_id)
    assert sandbox.image_bytes(photo["id"]) == b"\xff\xd8jpeg"


def test_photo_with_the_upload_object_shape(api: Api, sandbox: Sandbox) -> None:
    uuid = api.finished_upload(b"\xff\xd8two")
    answer = api.post("/rest/v1.0/images", params={"project_id": api.project_id},
                      json={"upload": {"uuid": uuid},
                            "image": {"image_category_id": api.demo.album_id,
                                      "name": "Crane.jpg"}})
    assert answer.status_code == 201
    assert [p["name"] for p in sandbox.images(api.project_id)] == ["Crane.jpg"]


def test_photo_album_must_belong_to_the_project(api: Api, sandbox: Sandbox) -> None:
    foreign = sandbox.add_album(api.demo.project_ids[1], "Their album")
    answer = api.post("/rest/v1.0/images", params={"project_id": api.project_id},
                      json={"upload_uuid": api.finished_upload(), "image_name": "x.jpg",
                            "image": {"image_category_id": foreign}})
    assert answer.status_code == 422
    assert sandbox.images(api.project_id) == []


def _photo(api: Api, body: dict[str, object]) -> object:
    return api.post("/rest/v1.0/images", params={"project_id": api.project_id}, json=body)


def test_photo_without_an_album_needs_an_image_attribute(api: Api, sandbox: Sandbox) -> None:
    """Create Image: ``image`` is required and "at least one attribute is required even when
    an 'upload_uuid' key is provided"; with one, no album is fine (the photo has none)."""
    uuid = api.finished_upload(b"\xff\xd8loose")
    for image in (None, {}, {"unknown": 1}):
        body: dict[str, object] = {"upload_uuid": uuid, "image_name": "Loose.jpg"}
        if image is not None:
            body["image"] = image
        refused = _photo(api, body)
        assert refused.status_code == 400, image  # type: ignore[attr-defined]
    assert sandbox.images(api.project_id) == []
    made = _photo(api, {"upload_uuid": uuid, "image_name": "Loose.jpg",
                        "image": {"private": False}})
    assert made.status_code == 201  # type: ignore[attr-defined]
    assert made.json()["image_category_id"] is None  # type: ignore[attr-defined]


def test_photo_needs_image_name(api: Api, sandbox: Sandbox) -> None:
    refused = _photo(api, {"upload_uuid": api.finished_upload(),
                           "image": {"image_category_id": api.demo.album_id}})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "image_name" in refused.json()["errors"]  # type: ignore[attr-defined]
    assert sandbox.images(api.project_id) == []


def test_photos_are_listed_by_filename(api: Api) -> None:
    assert _photo(api, {"upload_uuid": api.finished_upload(), "image_name": "Pour.jpg",
                        "image": {"private": False}}).status_code == 201  # type: ignore
    listed = api.get("/rest/v1.0/images", params={"project_id": api.project_id}).json()
    assert [(p.get("filename"), "name" in p) for p in listed] == [("Pour.jpg", False)]


def test_photo_listing_filters_by_uploader_and_creation_time(api: Api, sandbox: Sandbox,
                                                             demo: DemoInfo) -> None:
    mine = _photo(api, {"upload_uuid": api.finished_upload(), "image_name": "Mine.jpg",
                        "image": {"private": False}})
    other_token = sandbox.issue_token(demo.other_user_id)
    theirs = api.post("/rest/v1.0/images", params={"project_id": api.project_id},
                      token=other_token, json={
                          "upload_uuid": api.finished_upload(token=other_token),
                          "image_name": "Theirs.jpg", "image": {"private": False}})
    assert mine.status_code == theirs.status_code == 201  # type: ignore[attr-defined]
    params = {"project_id": api.project_id}

    def names(**extra: str) -> list[str]:
        answer = api.get("/rest/v1.0/images", params={**params, **extra})
        assert answer.status_code == 200, answer.text
        return [p["filename"] for p in answer.json()]

    assert names(**{"filters[uploader_id]": str(demo.user_id)}) == ["Mine.jpg"]
    assert names(**{"filters[created_at]": "2000-01-01T00:00:00Z...2000-01-02T00:00:00Z"}) == []
    assert sorted(names(**{"filters[created_at]": "2000-01-01T00:00:00Z...2100-01-01T00:00:00Z"})
                  ) == ["Mine.jpg", "Theirs.jpg"]
    bad = api.get("/rest/v1.0/images", params={**params, "filters[created_at]": "yesterday"})
    assert bad.status_code == 400
