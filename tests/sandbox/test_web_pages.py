"""The browser pages the window's web links open in demo mode: no token, read only, escaped."""

from __future__ import annotations

import time

import requests

from uploader_gui.sandbox import DemoInfo, Sandbox

from .raw_client import Api


def _browser_get(sandbox: Sandbox, path: str) -> requests.Response:
    """What a browser sends: no Authorization, no Procore-Company-Id."""
    return requests.get(sandbox.api_url + path, timeout=10)


def _add_file(api: Api, name: str, data: bytes, folder_id: int) -> None:
    answer = api.create_file(api.finished_upload(data), name, folder_id)
    assert answer.status_code == 201, answer.text


def test_project_folder_page_lists_its_documents_without_a_token(api: Api,
                                                                 sandbox: Sandbox) -> None:
    folder = api.demo.folder_ids["Drawings/Architectural"]
    _add_file(api, "A-101 Floor plan.pdf", b"x" * 2048, folder)
    _add_file(api, "Elsewhere.pdf", b"y", api.demo.folder_ids["Specifications"])
    page = _browser_get(sandbox, f"/{api.project_id}/project/documents?folder_id={folder}")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "A-101 Floor plan.pdf" in page.text
    assert "2.0 KB" in page.text
    record = next(f for f in sandbox.state.files.values() if f.name == "A-101 Floor plan.pdf")
    assert time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record.versions[-1].created_at)) \
        in page.text
    assert "Elsewhere.pdf" not in page.text
    assert "Drawings/Architectural" in page.text


def test_project_root_page_links_its_folders(api: Api, sandbox: Sandbox) -> None:
    page = _browser_get(sandbox, f"/{api.project_id}/project/documents")
    assert page.status_code == 200
    drawings = api.demo.folder_ids["Drawings"]
    assert f'href="/{api.project_id}/project/documents?folder_id={drawings}"' in page.text
    assert "Recycle Bin" not in page.text
    assert "This folder holds no documents." in page.text


def test_company_folder_page(api: Api, sandbox: Sandbox, demo: DemoInfo) -> None:
    company = demo.company_id
    folder = demo.company_folder_ids["Safety Manuals"]
    created = api.post(f"/rest/v1.1/companies/{company}/uploads",
                       json={"response_filename": "Site rules.pdf"})
    assert created.status_code == 201, created.text
    upload = created.json()
    assert api.post_form(upload, b"rules").status_code == 204
    form = {"file[upload_uuid]": upload["uuid"], "file[name]": "Site rules.pdf",
            "file[parent_id]": str(folder)}
    made = api.post(f"/rest/v1.0/companies/{company}/files",
                    files={k: (None, v) for k, v in form.items()})
    assert made.status_code == 201, made.text
    page = _browser_get(sandbox, f"/{company}/company/documents?folder_id={folder}")
    assert page.status_code == 200
    assert "Site rules.pdf" in page.text and "5 bytes" in page.text
    assert "Demo Construction Co." in page.text


def test_photos_page_lists_the_projects_photos(api: Api, sandbox: Sandbox) -> None:
    uuid = api.finished_upload(b"\xff\xd8\xff\xe0" + b"j" * 300)
    made = api.post("/rest/v1.0/images", params={"project_id": api.project_id},
                    json={"upload_uuid": uuid, "image_name": "crane.jpg",
                          "image": {"image_category_id": api.demo.album_id}})
    assert made.status_code == 201, made.text
    page = _browser_get(sandbox, f"/{api.project_id}/project/photos")
    assert page.status_code == 200
    assert "crane.jpg" in page.text and "304 bytes" in page.text
    assert "Site Progress" in page.text
    other = _browser_get(sandbox, f"/{api.demo.project_ids[1]}/project/photos")
    assert other.status_code == 200 and "crane.jpg" not in other.text


def test_every_name_is_escaped(api: Api, sandbox: Sandbox, demo: DemoInfo) -> None:
    project = sandbox.add_project(demo.company_id, "<script>alert(1)</script> Tower")
    folder = api.demo.folder_ids["Submittals"]
    _add_file(api, "R&D (notes).pdf", b"z", folder)
    page = _browser_get(sandbox, f"/{api.project_id}/project/documents?folder_id={folder}")
    assert "R&amp;D (notes).pdf" in page.text and "R&D" not in page.text
    root = sandbox.state.root_folder(project_id=project)
    shown = _browser_get(sandbox, f"/{project}/project/documents?folder_id={root.id}")
    assert shown.status_code == 200
    assert "<script>" not in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Tower" in shown.text
    assert "default-src 'none'" in shown.headers["Content-Security-Policy"]


def test_unknown_folders_and_projects_are_a_404_page(api: Api, sandbox: Sandbox,
                                                     demo: DemoInfo) -> None:
    drawings = demo.folder_ids["Drawings"]
    other_project = demo.project_ids[1]
    safety = demo.company_folder_ids["Safety Manuals"]
    for path in (f"/{api.project_id}/project/documents?folder_id=999999",
                 f"/{other_project}/project/documents?folder_id={drawings}",
                 f"/{api.project_id}/project/documents?folder_id=abc",
                 f"/{api.project_id}/project/documents?folder_id={drawings}&folder_id=1",
                 f"/{demo.company_id}/company/documents?folder_id={drawings}",
                 f"/{api.project_id}/project/documents?folder_id={safety}",
                 "/999999/project/documents", "/999999/project/photos",
                 "/999999/company/documents"):
        page = _browser_get(sandbox, path)
        assert page.status_code == 404, path
        assert page.headers["Content-Type"].startswith("text/html"), path
        assert "no such folder or project" in page.text, path


def test_the_pages_are_read_only_and_the_api_still_wants_a_token(api: Api,
                                                                 sandbox: Sandbox) -> None:
    path = f"/{api.project_id}/project/documents"
    assert requests.post(sandbox.api_url + path, timeout=10).status_code == 401
    assert _browser_get(sandbox, "/rest/v1.0/me").status_code == 401
    assert _browser_get(sandbox, f"/rest/v1.0/folders?project_id={api.project_id}"
                        ).status_code == 401
