"""Documents folders: listing one level deep, opening, creating, and the name rules."""

from __future__ import annotations

import pytest

from .raw_client import Api


def test_root_lists_direct_children_with_empty_grandchildren(api: Api) -> None:
    root = api.get("/rest/v1.0/folders", params={"project_id": api.project_id}).json()
    assert root["parent_id"] is None
    names = [f["name"] for f in root["folders"]]
    assert names == ["Drawings", "Photos", "Specifications", "Submittals"]
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
