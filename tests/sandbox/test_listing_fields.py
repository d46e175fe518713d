"""What a folder listing and a photo list say about each file: the fields Procore documents for
Show Project Folder (``files[]`` with ``file_versions[].created_by``) and List Images
(``filename``, ``size``, ``created_at``, ``uploader``), which the window's contents list shows."""

from __future__ import annotations

from uploader_gui.sandbox import Sandbox

from .raw_client import Api


def test_folder_lists_each_file_with_size_times_and_who_uploaded_each_version(
        api: Api, sandbox: Sandbox) -> None:
    drawings = api.demo.folder_ids["Drawings"]
    created = api.create_file(api.finished_upload(b"%PDF-1.7 first"), "A-101.pdf", drawings)
    assert created.status_code == 201, created.text
    file_id = created.json()["id"]
    other = Api(sandbox, api.demo, sandbox.issue_token(api.demo.other_user_id))
    try:
        version = other.post("/rest/v1.0/file_versions",
                             params={"project_id": api.project_id, "file_id": file_id},
                             files={"file_version[upload_uuid]":
                                    (None, other.finished_upload(b"%PDF-1.7 second, longer"))})
        assert version.status_code == 201, version.text
    finally:
        other.close()

    body = api.get(f"/rest/v1.0/folders/{drawings}",
                   params={"project_id": api.project_id}).json()
    [listed] = body["files"]
    for key in ("id", "name", "parent_id", "size", "created_at", "updated_at",
                "name_with_path", "file_versions", "checked_out_by"):
        assert key in listed
    assert listed["size"] == len(b"%PDF-1.7 second, longer")
    first, second = sorted(listed["file_versions"], key=lambda v: v["number"])
    assert first["created_by"]["name"] == "Dana Rivera"
    assert second["created_by"] == {"id": api.demo.other_user_id, "name": "Sam Okafor",
                                    "login": "sam.okafor@example.com"}
    assert second["created_at"] >= first["created_at"]

    latest = api.get(f"/rest/v1.0/folders/{drawings}",
                     params={"project_id": api.project_id,
                             "show_latest_file_version_only": "true"}).json()
    [only] = latest["files"][0]["file_versions"]
    assert only["created_by"]["name"] == "Sam Okafor"


def test_photo_list_names_the_uploader(api: Api) -> None:
    answer = api.post("/rest/v1.0/images", params={"project_id": api.project_id},
                      json={"upload_uuid": api.finished_upload(b"\xff\xd8 jpeg"),
                            "image_name": "Level 3 pour.jpg",
                            "image": {"image_category_id": api.demo.album_id}})
    assert answer.status_code == 201, answer.text
    listed = api.get("/rest/v1.0/images", params={"project_id": api.project_id,
                                                  "image_category_id": api.demo.album_id})
    [photo] = listed.json()
    assert photo["filename"] == "Level 3 pour.jpg"
    assert photo["size"] == len(b"\xff\xd8 jpeg")
    assert photo["created_at"]
    assert photo["uploader"] == {"id": api.demo.user_id, "name": "Dana Rivera",
                                 "login": "dana.rivera@example.com"}
