"""Documents folders: listing one level deep, opening, creating, and the name rules."""

from __future__ import annotations

import pytest

from uploader_gui.sandbox import DemoInfo, Sandbox

from .raw_client import Api


def test_root_lists_direct_children_with_empty_grandchildren(api: Api) -> None:
    root = api.get("/rest/v1.0/folders", params={"project_id": api.project_id}).json()
    assert root["parent_id"] is None
    names = [f["name"] for f in root["folders"]]
    assert names == ["Drawings", "Photos", "Recycle Bin", "Specifications", "Submittals"]
    assert [f["name"] for f in root["folders"] if f["is_recycle_bin"]] == ["Recycle Bin"]
    drawings = root["folders"][0]
    assert drawings["has_children_folders"] is True
    assert drawings["folders"] == [] and drawings["files"] == []
    for key in ("id", "name", "parent_id", "name_with_path", "has_children_folders",
                "read_only", "private", "folders", "files"):
        assert key in drawings


def test_open_one_folder(api: Api) -> None:
    drawings = api.demo.folder_ids["Drawings"]
    answer = api.get(f"/rest/v1.0/folders/{drawings}", params={"project_id": api.project_id})
    assert answer.status_code == 200
    body = answer.json()
    assert [f["name_with_path"] for f in body["folders"]] == [
        "Drawings/Architectural", "Drawings/Structural"]


def test_folder_of_another_project_is_404(api: Api) -> None:
    drawings = api.demo.folder_ids["Drawings"]
    answer = api.get(f"/rest/v1.0/folders/{drawings}",
                     params={"project_id": api.demo.project_ids[1]})
    assert answer.status_code == 404


def test_create_folder_then_list_it(api: Api) -> None:
    parent = api.demo.folder_ids["Specifications"]
    answer = api.post("/rest/v1.0/folders", params={"project_id": api.project_id},
                      json={"folder": {"name": "Division 03 - Concrete", "parent_id": parent}})
    assert answer.status_code == 201
    created = answer.json()
    assert created["parent_id"] == parent
    assert created["name_with_path"] == "Specifications/Division 03 - Concrete"
    listed = api.get(f"/rest/v1.0/folders/{parent}", params={"project_id": api.project_id})
    assert [f["id"] for f in listed.json()["folders"]] == [created["id"]]


def test_create_folder_without_parent_goes_to_root(api: Api) -> None:
    answer = api.post("/rest/v1.0/folders", params={"project_id": api.project_id},
                      json={"folder": {"name": "RFIs"}})
    assert answer.status_code == 201
    root = api.get("/rest/v1.0/folders", params={"project_id": api.project_id}).json()
    assert answer.json()["parent_id"] == root["id"]


def test_duplicate_folder_name_is_taken(api: Api) -> None:
    answer = api.post("/rest/v1.0/folders", params={"project_id": api.project_id},
                      json={"folder": {"name": "drawings", "parent_id": None}})
    assert answer.status_code == 422
    assert answer.json() == {"errors": {"name": ["has already been taken"]}}


@pytest.mark.parametrize("name", ["a/b", "a\\b", "x:y", "what?", "star*", 'q"', "<l", "g>",
                                  "p|q", "", "   "])
def test_folder_names_procore_refuses(api: Api, name: str) -> None:
    answer = api.post("/rest/v1.0/folders", params={"project_id": api.project_id},
                      json={"folder": {"name": name}})
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["name"]


def test_folder_create_needs_json(api: Api) -> None:
    answer = api.post("/rest/v1.0/folders", params={"project_id": api.project_id},
                      data={"folder[name]": "Forms"})
    assert answer.status_code == 415


def test_company_folders(api: Api) -> None:
    cid = api.demo.company_id
    root = api.get(f"/rest/v1.0/companies/{cid}/folders")
    assert root.status_code == 200
    assert [f["name"] for f in root.json()["folders"]] == ["Safety Manuals", "Templates"]
    made = api.post(f"/rest/v1.0/companies/{cid}/folders",
                    json={"folder": {"name": "HR", "parent_id": None}})
    assert made.status_code == 201
    opened = api.get(f"/rest/v1.0/companies/{cid}/folders/{made.json()['id']}")
    assert opened.json()["name"] == "HR"
    # A project folder is not a company folder.
    project_folder = api.demo.folder_ids["Drawings"]
    assert api.get(f"/rest/v1.0/companies/{cid}/folders/{project_folder}").status_code == 404


def test_listing_options_exclude_files_and_keep_latest_version(api: Api,
                                                               sandbox: Sandbox) -> None:
    """List Project Folders and Files: ``exclude_files`` and
    ``show_latest_file_version_only``."""
    folder = api.demo.folder_ids["Specifications"]
    file_id = api.create_file(api.finished_upload(b"v1"), "Spec.pdf", folder).json()["id"]
    version = api.post("/rest/v1.0/file_versions",
                       params={"project_id": api.project_id, "file_id": file_id},
                       files={"file_version[upload_uuid]": (None, api.finished_upload(b"v2"))})
    assert version.status_code == 201
    path = f"/rest/v1.0/folders/{folder}"
    full = api.get(path, params={"project_id": api.project_id}).json()
    assert [len(f["file_versions"]) for f in full["files"]] == [2]
    latest = api.get(path, params={"project_id": api.project_id,
                                   "show_latest_file_version_only": "true"}).json()
    assert [[v["number"] for v in f["file_versions"]] for f in latest["files"]] == [[2]]
    bare = api.get(path, params={"project_id": api.project_id, "exclude_files": "true"}).json()
    assert bare["files"] == []


def test_read_only_deleted_and_recycle_bin_folders_take_nothing(api: Api,
                                                                sandbox: Sandbox) -> None:
    folders = api.demo.folder_ids
    root = api.get("/rest/v1.0/folders", params={"project_id": api.project_id}).json()
    [bin_id] = [f["id"] for f in root["folders"] if f["is_recycle_bin"]]
    sandbox.set_folder(folders["Drawings/Structural"], read_only=True)
    sandbox.set_folder(folders["Submittals"], deleted=True)
    for target, status in ((folders["Drawings/Structural"], 403), (bin_id, 403),
                           (folders["Submittals"], 404)):
        assert api.create_file(api.finished_upload(), "x.pdf", target).status_code == status
        made = api.post("/rest/v1.0/folders", params={"project_id": api.project_id},
                        json={"folder": {"name": "New", "parent_id": target}})
        assert made.status_code == status
    listed = api.get("/rest/v1.0/folders", params={"project_id": api.project_id}).json()
    assert [f["name"] for f in listed["folders"] if f["is_deleted"]] == ["Submittals"]
    # A deleted folder's name is free again.
    again = api.post("/rest/v1.0/folders", params={"project_id": api.project_id},
                     json={"folder": {"name": "Submittals"}})
    assert again.status_code == 201


def test_a_checked_out_file_takes_versions_only_from_its_holder(api: Api, sandbox: Sandbox,
                                                                 demo: DemoInfo) -> None:
    file_id = api.create_file(api.finished_upload(b"v1"), "Plan.pdf").json()["id"]
    sandbox.check_out(file_id, demo.other_user_id)

    def add_version(token: str | None = None) -> int:
        return api.post("/rest/v1.0/file_versions", token=token,
                        params={"project_id": api.project_id, "file_id": file_id},
                        files={"file_version[upload_uuid]": (
                            None, api.finished_upload(b"v2", token=token))}).status_code

    assert add_version() == 403
    listed = api.get("/rest/v1.0/folders", params={"project_id": api.project_id}).json()
    [doc] = [f for f in listed["files"] if f["id"] == file_id]
    assert doc["checked_out_by"]["id"] == demo.other_user_id
    assert add_version(sandbox.issue_token(demo.other_user_id)) == 201
