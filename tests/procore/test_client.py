"""ProcoreClient against a scripted server: headers, the method table, pagination, errors."""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Iterator

import pytest

from uploader_gui import __version__
from uploader_gui.procore import errors
from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.http import RetryPolicy

from .conftest import FakeClock, FakeTokens, Reply, ScriptedServer

TOKEN = "tok-SECRET-123"
PROJECT = Scope(company_id=7, project_id=42)
COMPANY = Scope(company_id=7)


@pytest.fixture
def client(server: ScriptedServer, clock: FakeClock) -> Iterator[ProcoreClient]:
    retry = RetryPolicy(attempts=4, sleep=clock.sleep, clock=clock.time, random=lambda: 0.5)
    with ProcoreClient(server.url, FakeTokens(TOKEN), retry=retry, timeout=(2, 5)) as c:
        yield c


def form_fields(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a multipart/form-data body, in order."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    return [(part.get_param("name", header="content-disposition"),
             part.get_payload(decode=True).decode()) for part in message.iter_parts()]


def test_every_call_sends_bearer_accept_and_user_agent(client: ProcoreClient,
                                                       server: ScriptedServer) -> None:
    server.replies = [Reply(200, {"id": 1, "login": "a@b.c"})]
    assert client.me() == {"id": 1, "login": "a@b.c"}
    seen = server.requests[0]
    assert seen.method == "GET" and seen.path == "/rest/v1.0/me"
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["user-agent"] == f"procore-uploader/{__version__}"
    assert "procore-company-id" not in seen.headers


def test_company_header_everywhere_but_me_and_companies(client: ProcoreClient,
                                                        server: ScriptedServer) -> None:
    server.route = lambda seen: Reply(200, [] if "folders" not in seen.path else {"id": 1})
    client.companies()
    client.projects(7)
    client.root_folder(PROJECT)
    client.root_folder(COMPANY)
    got = [(s.path, s.headers.get("procore-company-id")) for s in server.requests]
    assert got == [("/rest/v1.0/companies", None), ("/rest/v1.0/projects", "7"),
                   ("/rest/v1.0/folders", "7"), ("/rest/v1.0/companies/7/folders", "7")]
    assert server.requests[1].query["company_id"] == ["7"]
    assert server.requests[2].query["project_id"] == ["42"]


def test_method_table_paths_and_bodies(client: ProcoreClient, server: ScriptedServer) -> None:
    server.route = lambda seen: Reply(200, [] if seen.path.endswith(
        ("image_categories", "/images")) and seen.method == "GET" else {"ok": True})
    client.folder(PROJECT, 5)
    client.folder(COMPANY, 5)
    client.create_folder(PROJECT, "Drawings", 5)
    client.create_folder(COMPANY, "Top", None)
    client.albums(PROJECT)
    client.images(PROJECT, 9)
    client.create_upload(PROJECT, {"response_filename": "a.pdf", "size": 3})
    client.create_upload(COMPANY, {"response_filename": "a.pdf"})
    client.show_upload(PROJECT, "UU1")
    client.complete_upload(COMPANY, "UU2", [
        {"size": 5242880, "sha256": "a" * 64, "md5": "b" * 32, "etag": '"abc"'},
        {"size": 3, "sha256": "c" * 64, "md5": None, "etag": "def"}])
    client.create_image(PROJECT, "UU3", "site.jpg", 9)
    calls = [(s.method, s.path, {k: v[0] for k, v in s.query.items()}) for s in server.requests]
    assert calls == [
        ("GET", "/rest/v1.0/folders/5", {"project_id": "42"}),
        ("GET", "/rest/v1.0/companies/7/folders/5", {}),
        ("POST", "/rest/v1.0/folders", {"project_id": "42"}),
        ("POST", "/rest/v1.0/companies/7/folders", {}),
        ("GET", "/rest/v1.0/image_categories", {"project_id": "42", "page": "1",
                                                "per_page": "100"}),
        ("GET", "/rest/v1.0/images", {"project_id": "42", "image_category_id": "9",
                                      "page": "1", "per_page": "100"}),
        ("POST", "/rest/v1.1/projects/42/uploads", {}),
        ("POST", "/rest/v1.1/companies/7/uploads", {}),
        ("GET", "/rest/v1.1/projects/42/uploads/UU1", {}),
        ("PATCH", "/rest/v1.1/companies/7/uploads/UU2", {}),
        ("POST", "/rest/v1.0/images", {"project_id": "42"}),
    ]
    bodies = {i: server.requests[i].json() for i in (2, 3, 6, 9, 10)}
    assert bodies[2] == {"folder": {"name": "Drawings", "parent_id": 5}}
    assert bodies[3] == {"folder": {"name": "Top"}}
    assert bodies[6] == {"response_filename": "a.pdf", "size": 3}
    assert bodies[9] == {"segments": [
        {"size": 5242880, "sha256": "a" * 64, "md5": "b" * 32, "etag": "abc"},
        {"size": 3, "sha256": "c" * 64, "etag": "def"}]}
    assert bodies[10] == {"upload_uuid": "UU3", "image_name": "site.jpg",
                          "image": {"image_category_id": 9}}
    assert all(s.headers["content-type"] == "application/json"
               for i, s in enumerate(server.requests) if i in bodies)


def test_create_file_and_version_send_multipart_forms(client: ProcoreClient,
                                                      server: ScriptedServer) -> None:
    server.route = lambda seen: Reply(201, {"id": 99})
    assert client.create_file(PROJECT, "UU", "Plan é.pdf", 5, unique_name=True) == {"id": 99}
    client.create_file(COMPANY, "UU", "Root.pdf", None)
    client.create_file_version(PROJECT, 99, "UV")
    client.create_file_version(COMPANY, 98, "UW")
    first, second, version, company_version = server.requests
    assert (first.path, first.query) == ("/rest/v1.0/files", {"project_id": ["42"]})
    assert form_fields(first.body or b"", first.headers["content-type"]) == [
        ("file[upload_uuid]", "UU"), ("file[name]", "Plan é.pdf"), ("file[parent_id]", "5"),
        ("file[unique_name]", "true")]
    assert second.path == "/rest/v1.0/companies/7/files"
    assert form_fields(second.body or b"", second.headers["content-type"]) == [
        ("file[upload_uuid]", "UU"), ("file[name]", "Root.pdf"), ("file[unique_name]", "false")]
    assert (version.path, version.query) == ("/rest/v1.0/file_versions",
                                             {"project_id": ["42"], "file_id": ["99"]})
    assert form_fields(version.body or b"", version.headers["content-type"]) == [
        ("file_version[upload_uuid]", "UV")]
    assert (company_version.path, company_version.query) == (
        "/rest/v1.0/companies/7/file_versions", {"file_id": ["98"]})


def test_albums_need_a_project(client: ProcoreClient) -> None:
    with pytest.raises(ValueError):
        client.albums(COMPANY)


def test_pagination_follows_link_next(client: ProcoreClient, server: ScriptedServer) -> None:
    def route(seen):  # type: ignore[no-untyped-def]
        page = int(seen.query.get("page", ["1"])[0])
        links = [f'<{server.url}/rest/v1.0/projects?company_id=7&page=1&per_page=100>; rel="first"']
        if page < 3:
            links.append(f'<{server.url}/rest/v1.0/projects?company_id=7&page={page + 1}'
                         '&per_page=100>; rel="next"')
        return Reply(200, [{"id": page * 1000 + i} for i in range(100 if page < 3 else 5)],
                     {"Link": ", ".join(links), "Total": "205", "Per-Page": "100"})

    server.route = route
    projects = client.projects(7)
    assert len(projects) == 205
    assert [p["id"] for p in projects][-1] == 3004
    assert [s.query["page"] for s in server.requests] == [["1"], ["2"], ["3"]]
    assert all(s.query["per_page"] == ["100"] for s in server.requests)
    assert all(s.headers["procore-company-id"] == "7" for s in server.requests)


def test_pagination_falls_back_to_total_without_link(client: ProcoreClient,
                                                     server: ScriptedServer) -> None:
    def route(seen):  # type: ignore[no-untyped-def]
        page = int(seen.query["page"][0])
        count = 100 if page < 2 else 1
        return Reply(200, [{"id": page * 1000 + i} for i in range(count)],
                     {"Total": "101", "Per-Page": "100"})

    server.route = route
    assert len(client.companies()) == 101
    assert len(server.requests) == 2


def test_pagination_refuses_next_link_to_another_host(client: ProcoreClient,
                                                      server: ScriptedServer,
                                                      other_server: ScriptedServer) -> None:
    server.replies = [Reply(200, [{"id": 1}],
                            {"Link": f'<{other_server.url}/rest/v1.0/companies?page=2>; '
                                     'rel="next"'})]
    with pytest.raises(errors.BadResponse, match="another server"):
        client.companies()
    assert other_server.requests == []


def test_redirect_is_not_followed(client: ProcoreClient, server: ScriptedServer,
                                  other_server: ScriptedServer) -> None:
    server.replies = [Reply(302, b"", {"Location": f"{other_server.url}/steal"})]
    with pytest.raises(errors.BadResponse, match="redirect"):
        client.me()
    assert other_server.requests == []
    assert len(server.requests) == 1


@pytest.mark.parametrize(("status", "body", "kind", "message"), [
    (422, {"errors": {"name": ["has already been taken"]}}, errors.ValidationFailed,
     "name has already been taken"),
    (400, {"errors": "Missing Procore-Company-Id header!"}, errors.ValidationFailed,
     "Missing Procore-Company-Id header!"),
    (403, {"error": "You do not have access to this folder"}, errors.PermissionDenied,
     "You do not have access to this folder"),
    (404, {"message": "Folder not found"}, errors.NotFound, "Folder not found"),
    (410, {"error": {"code": "gone", "message": "Upload expired", "details": []}}, errors.Gone,
     "Upload expired"),
    (409, {}, errors.Conflict, ("Procore reported a conflict with another change. "
     "Please try again.")),
    (404, b"", errors.NotFound, ("Procore could not find this item, or you do not have access "
     "to it.")),
])
def test_error_bodies_reach_the_person(client: ProcoreClient, server: ScriptedServer,
                                       status: int, body: object,
                                       kind: type[errors.ProcoreError], message: str) -> None:
    server.replies = [Reply(status, body)]  # type: ignore[arg-type]
    with pytest.raises(kind) as caught:
        client.folder(PROJECT, 1)
    assert str(caught.value) == message
    assert caught.value.status == status


def test_validation_fields_are_kept(client: ProcoreClient, server: ScriptedServer) -> None:
    server.replies = [Reply(422, {"errors": {"name": ["has already been taken"],
                                             "parent_id": ["is invalid"]}})]
    with pytest.raises(errors.ValidationFailed) as caught:
        client.create_folder(PROJECT, "A", 1)
    assert caught.value.fields == {"name": ["has already been taken"],
                                   "parent_id": ["is invalid"]}
    assert caught.value.message == "name has already been taken; parent id is invalid"
    assert len(server.requests) == 1


def test_html_error_page_becomes_short_bad_response(client: ProcoreClient,
                                                    server: ScriptedServer) -> None:
    page = ("<!DOCTYPE html><html><head><title>Access blocked by proxy</title></head><body>"
            + "<p>junk</p>" * 5000 + "</body></html>")
    server.replies = [Reply(403, page, {"Content-Type": "text/html"})]
    with pytest.raises(errors.BadResponse) as caught:
        client.me()
    assert str(caught.value) == ("Procore answered with an unexpected page "
                                 "(HTTP 403: Access blocked by proxy).")


def test_success_that_is_not_json_is_bad_response(client: ProcoreClient,
                                                  server: ScriptedServer) -> None:
    server.replies = [Reply(200, "<html><body>Welcome to the hotel wifi</body></html>")]
    with pytest.raises(errors.BadResponse, match="HTTP 200: Welcome to the hotel wifi"):
        client.me()


def test_huge_successful_answer_is_not_read_into_memory(client: ProcoreClient,
                                                        server: ScriptedServer) -> None:
    from uploader_gui.procore.responses import MAX_ANSWER

    server.keep_bodies = False
    server.replies = [Reply(200, b"[" + b"1," * (MAX_ANSWER // 2 + 1024) + b"1]")]
    with pytest.raises(errors.BadResponse, match="far larger than expected"):
        client.me()
    assert len(server.requests) == 1  # not asked again: it would only answer the same


def test_listing_that_is_not_a_list_is_bad_response(client: ProcoreClient,
                                                    server: ScriptedServer) -> None:
    server.replies = [Reply(200, {"data": []})]
    with pytest.raises(errors.BadResponse, match="expected a list"):
        client.companies()


def test_token_never_appears_in_error_messages(client: ProcoreClient,
                                               server: ScriptedServer) -> None:
    server.replies = [Reply(400, {"error": f"Bad header Authorization: Bearer {TOKEN} "
                                           f"and ?access_token={TOKEN}"})]
    with pytest.raises(errors.ValidationFailed) as caught:
        client.me()
    assert TOKEN not in str(caught.value)
    assert "Bearer [redacted]" in str(caught.value)


def test_api_session_neither_keeps_nor_sends_cookies(client: ProcoreClient,
                                                     server: ScriptedServer) -> None:
    server.replies = [Reply(200, {"id": 1}, {"Set-Cookie": "session=abc; Path=/"})]
    client.me()
    client.me()
    assert "cookie" not in server.requests[1].headers
