"""Every client method against the local Procore sandbox: proves the wire format end to end."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from uploader_gui.procore import errors
from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.storage import StorageClient
from uploader_gui.procore.tokens import StaticTokenProvider

sandbox = pytest.importorskip("uploader_gui.sandbox")

MiB = 1024 * 1024


@dataclass
class World:
    sb: Any
    demo: Any
    client: ProcoreClient
    storage: StorageClient

    @property
    def project(self) -> Scope:
        return Scope(self.demo.company_id, self.demo.project_ids[0])

    @property
    def company(self) -> Scope:
        return Scope(self.demo.company_id)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with sandbox.Sandbox(data_dir=tmp_path / "sandbox") as sb:
        demo = sb.seed_demo()
        token = sb.issue_token(demo.user_id)
        with ProcoreClient(sb.api_url, StaticTokenProvider(token)) as client, \
                StorageClient() as storage:
            yield World(sb, demo, client, storage)


def write(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def single_upload(world: World, scope: Scope, path: Path) -> str:
    """Create a non-segmented upload and POST the file to storage; returns the uuid."""
    answer = world.client.create_upload(scope, {"response_filename": path.name,
                                                "response_content_type": "application/pdf",
                                                "size": path.stat().st_size})
    assert answer["url"].startswith(world.sb.storage_url)
    world.storage.post_form(answer["url"], list(answer["fields"].items()), path, path.name)
    return str(answer["uuid"])


def segmented_upload(world: World, scope: Scope, path: Path, sizes: list[int]) -> str:
    """Create a segmented upload, PUT every segment, complete it; returns the uuid."""
    data = path.read_bytes()
    segments, offset = [], 0
    for size in sizes:
        part = data[offset:offset + size]
        segments.append({"size": size, "sha256": hashlib.sha256(part).hexdigest(),
                         "md5": hashlib.md5(part).hexdigest()})
        offset += size
    answer = world.client.create_upload(scope, {"response_filename": path.name,
                                                "size": len(data), "segments": segments})
    etags, offset = [], 0
    for given, size in zip(answer["segments"], sizes):
        etags.append(world.storage.put_segment(given["url"], given["headers"], path, offset,
                                               size))
        offset += size
    assert etags == [s["md5"] for s in segments]
    uuid = str(answer["uuid"])
    done = world.client.complete_upload(
        scope, uuid, [dict(s, etag=e) for s, e in zip(segments, etags, strict=True)])
    assert done["status"] == "complete"
    assert world.client.show_upload(scope, uuid)["uuid"] == uuid
    return uuid


def test_me_and_companies(world: World) -> None:
    assert world.client.me()["id"] == world.demo.user_id
    assert world.demo.company_id in [c["id"] for c in world.client.companies()]


def test_projects_come_from_every_page(world: World) -> None:
    for n in range(150):
        world.sb.add_project(world.demo.company_id, f"Extra project {n:03}")
    projects = world.client.projects(world.demo.company_id)
    ids = [p["id"] for p in projects]
    assert len(ids) == len(set(ids)) == 150 + len(world.demo.project_ids)
    assert set(world.demo.project_ids) <= set(ids)
    pages = [r for r in world.sb.request_log if r.path == "/rest/v1.0/projects"]
    assert len(pages) == 2, "153 projects at 100 per page"


def test_storage_requests_carry_no_authorization(world: World, tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    write(path, 1000)
    single_upload(world, world.project, path)
    segmented_upload(world, world.project, path, [1000])
    log = world.sb.request_log
    to_storage = [r for r in log if r.method in ("POST", "PUT") and r.bytes_received >= 1000
                  and not r.path.startswith("/rest/")]
    assert len(to_storage) == 2
    assert not any(r.authorization_sent for r in to_storage)
    assert all(r.authorization_sent for r in log if r.path.startswith("/rest/"))


def test_folders_open_and_create(world: World) -> None:
    root = world.client.root_folder(world.project)
    names = {f["name"]: f["id"] for f in root["folders"]}
    assert names["Drawings"] == world.demo.folder_ids["Drawings"]
    drawings = world.client.folder(world.project, names["Drawings"])
    assert {f["name"] for f in drawings["folders"]} >= {"Architectural", "Structural"}
    created = world.client.create_folder(world.project, "Level 3", names["Drawings"])
    assert created["name"] == "Level 3" and created["parent_id"] == names["Drawings"]
    again = world.client.folder(world.project, names["Drawings"])
    assert created["id"] in [f["id"] for f in again["folders"]]
    company_root = world.client.root_folder(world.company)
    assert {f["name"] for f in company_root["folders"]} >= {"Safety Manuals", "Templates"}
    top = world.client.create_folder(world.company, "Forms", None)
    assert top["id"] in [f["id"] for f in world.client.root_folder(world.company)["folders"]]


def test_albums_and_images(world: World, tmp_path: Path) -> None:
    albums = world.client.albums(world.project)
    assert world.demo.album_id in [a["id"] for a in albums]
    assert world.client.images(world.project, world.demo.album_id) == []
    photo = tmp_path / "site.jpg"
    data = write(photo, 200_000)
    uuid = single_upload(world, world.project, photo)
    image = world.client.create_image(world.project, uuid, "site.jpg", world.demo.album_id)
    listed = world.client.images(world.project, world.demo.album_id)
    assert image["id"] in [i["id"] for i in listed]
    assert world.sb.image_bytes(image["id"]) == data


def test_single_upload_into_a_project_folder(world: World, tmp_path: Path) -> None:
    path = tmp_path / "Plan A.pdf"
    data = write(path, 3 * MiB + 17)
    uuid = single_upload(world, world.project, path)
    folder_id = world.demo.folder_ids["Drawings/Architectural"]
    created = world.client.create_file(world.project, uuid, "Plan A.pdf", folder_id,
                                       unique_name=False)
    assert world.sb.document_bytes(created["id"]) == data
    documents = world.sb.documents(project_id=world.project.project_id)
    assert created["id"] in [d["id"] for d in documents]


def test_segmented_upload_and_new_version(world: World, tmp_path: Path) -> None:
    first = tmp_path / "Model.ifc"
    write(first, 1 * MiB)
    uuid = single_upload(world, world.project, first)
    created = world.client.create_file(world.project, uuid, "Model.ifc", None)
    bigger = tmp_path / "Model v2.ifc"
    data = write(bigger, 5 * MiB + 3 * MiB + 5)
    uuid2 = segmented_upload(world, world.project, bigger, [5 * MiB, 3 * MiB + 5])
    world.client.create_file_version(world.project, created["id"], uuid2)
    assert world.sb.document_bytes(created["id"]) == data


def test_company_documents_upload(world: World, tmp_path: Path) -> None:
    path = tmp_path / "Safety.pdf"
    data = write(path, 6 * MiB)
    uuid = segmented_upload(world, world.company, path, [5 * MiB, MiB])
    folder_id = world.demo.company_folder_ids["Safety Manuals"]
    created = world.client.create_file(world.company, uuid, "Safety.pdf", folder_id)
    assert world.sb.document_bytes(created["id"]) == data


def test_name_clash_is_a_validation_error_unless_unique_name(world: World,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "Notes.pdf"
    write(path, 1000)
    folder_id = world.demo.folder_ids["Specifications"]
    world.client.create_file(world.project, single_upload(world, world.project, path),
                             "Notes.pdf", folder_id)
    second = single_upload(world, world.project, path)
    with pytest.raises(errors.ValidationFailed) as caught:
        world.client.create_file(world.project, second, "Notes.pdf", folder_id)
    assert "taken" in caught.value.message
    renamed = world.client.create_file(world.project, second, "Notes.pdf", folder_id,
                                       unique_name=True)
    assert renamed["name"] != "Notes.pdf"


def test_segment_put_with_a_wrong_checksum_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    data = write(path, 1000)
    md5 = hashlib.md5(data).hexdigest()
    answer = world.client.create_upload(world.project, {
        "response_filename": "x.bin", "size": 1000,
        "segments": [{"size": 1000, "sha256": hashlib.sha256(data).hexdigest(), "md5": md5}]})
    path.write_bytes(b"y" * 1000)  # the file changed after hashing
    segment = answer["segments"][0]
    assert segment["headers"]["content-md5"] == base64.b64encode(bytes.fromhex(md5)).decode()
    with pytest.raises(errors.StorageError) as caught:
        world.storage.put_segment(segment["url"], segment["headers"], path, 0, 1000)
    assert caught.value.code is not None and not caught.value.retryable


def test_unknown_token_asks_to_sign_in(world: World) -> None:
    with (
        ProcoreClient(world.sb.api_url, StaticTokenProvider("not-a-token")) as stranger,
        pytest.raises(errors.SignInRequired),
    ):
        stranger.me()


def test_free_companies_are_offered_and_inactive_ones_are_not(world: World) -> None:
    sandbox, demo = world.sb, world.demo
    other = sandbox.add_company("Closed Builders Ltd")
    with sandbox.state.lock:
        sandbox.state.users[demo.user_id].company_ids.append(other)
    sandbox.set_company(demo.company_id, free=True)
    sandbox.set_company(other, active=False)
    assert [c["id"] for c in world.client.companies()] == [demo.company_id]
    assert sorted(c["id"] for c in world.client.companies(inactive=True)) == sorted(
        [demo.company_id, other])
