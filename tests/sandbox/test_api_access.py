"""Tokens, company scoping, rate limits and pagination on the sandbox's API."""

from __future__ import annotations

import requests

from uploader_gui.sandbox import DemoInfo, Sandbox

from .raw_client import Api


def test_me_and_companies_need_no_company_header(api: Api) -> None:
    bare = {"Authorization": f"Bearer {api.token}"}
    me = requests.get(api.sb.api_url + "/rest/v1.0/me", headers=bare, timeout=5)
    assert me.status_code == 200
    assert me.json() == {"id": api.demo.user_id, "login": "dana.rivera@example.com",
                         "name": "Dana Rivera"}
    companies = requests.get(api.sb.api_url + "/rest/v1.0/companies", headers=bare, timeout=5)
    assert companies.status_code == 200
    assert [c["name"] for c in companies.json()] == ["Demo Construction Co."]


def test_missing_token_is_refused_with_invalid_token(api: Api) -> None:
    answer = requests.get(api.sb.api_url + "/rest/v1.0/me", timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"errors": "The access token is invalid"}
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_unknown_token_is_refused(api: Api) -> None:
    answer = api.get("/rest/v1.0/me", token="not-a-token")
    assert answer.status_code == 401
    assert answer.json() == {"errors": "The access token is invalid"}


def test_expired_token_is_refused(api: Api, sandbox: Sandbox, demo: DemoInfo) -> None:
    token = sandbox.issue_token(demo.user_id, lifetime=60)
    assert api.get("/rest/v1.0/me", token=token).status_code == 200
    sandbox.advance_clock(61)
    answer = api.get("/rest/v1.0/me", token=token)
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_revoked_token_is_refused(api: Api, sandbox: Sandbox, demo: DemoInfo) -> None:
    token = sandbox.issue_token(demo.user_id)
    sandbox.state.revoke_access_token(token)
    assert api.get("/rest/v1.0/me", token=token).status_code == 401


def test_default_token_lifetime_is_procores(sandbox: Sandbox, api: Api, demo: DemoInfo) -> None:
    token = sandbox.issue_token(demo.user_id)
    sandbox.advance_clock(5399)
    assert api.get("/rest/v1.0/me", token=token).status_code == 200
    sandbox.advance_clock(2)
    assert api.get("/rest/v1.0/me", token=token).status_code == 401


def test_missing_company_header_is_a_400(api: Api) -> None:
    answer = requests.get(api.sb.api_url + "/rest/v1.0/projects",
                          params={"company_id": api.demo.company_id},
                          headers={"Authorization": f"Bearer {api.token}"}, timeout=5)
    assert answer.status_code == 400
    assert answer.json() == {"errors": "Missing Procore-Company-Id header!"}


def test_company_the_user_is_not_in_is_forbidden(api: Api, sandbox: Sandbox) -> None:
    other = sandbox.add_company("Someone Else Ltd")
    answer = api.get("/rest/v1.0/projects", params={"company_id": other},
                     headers={"Procore-Company-Id": str(other)})
    assert answer.status_code == 403


def test_project_of_another_company_is_hidden(api: Api, sandbox: Sandbox, demo: DemoInfo) -> None:
    other = sandbox.add_company("Second Co")
    hidden = sandbox.add_project(other, "Their Project")
    answer = api.get("/rest/v1.0/folders", params={"project_id": hidden})
    assert answer.status_code == 404
    # A company in the path must be the header's company too.
    answer = api.get(f"/rest/v1.0/companies/{other}/folders")
    assert answer.status_code == 404


def test_unknown_route_is_404(api: Api) -> None:
    assert api.get("/rest/v1.0/nothing_here").status_code == 404


def test_rate_limit_headers_count_down(api: Api) -> None:
    first = api.get("/rest/v1.0/me")
    second = api.get("/rest/v1.0/me")
    assert first.headers["X-Rate-Limit-Limit"] == "3600"
    assert int(first.headers["X-Rate-Limit-Remaining"]) == 3599
    assert int(second.headers["X-Rate-Limit-Remaining"]) == 3598
    assert int(first.headers["X-Rate-Limit-Reset"]) > api.sb.state.now()


def test_hourly_limit_answers_429_then_resets(tmp_path: object) -> None:
    with Sandbox(rate_limit_hourly=3) as sb:
        demo = sb.seed_demo()
        client = Api(sb, demo, sb.issue_token(demo.user_id))
        try:
            for _ in range(3):
                assert client.get("/rest/v1.0/me").status_code == 200
            refused = client.get("/rest/v1.0/me")
            assert refused.status_code == 429
            assert refused.headers["X-Rate-Limit-Remaining"] == "0"
            assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
            sb.advance_clock(3601)
            assert client.get("/rest/v1.0/me").status_code == 200
        finally:
            client.close()


def test_spike_limit_is_reported_when_closest(tmp_path: object) -> None:
    with Sandbox(rate_limit_spike=(2, 10.0)) as sb:
        demo = sb.seed_demo()
        client = Api(sb, demo, sb.issue_token(demo.user_id))
        try:
            first = client.get("/rest/v1.0/me")
            assert first.headers["X-Rate-Limit-Limit"] == "2"
            assert first.headers["X-Rate-Limit-Remaining"] == "1"
            client.get("/rest/v1.0/me")
            refused = client.get("/rest/v1.0/me")
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["Retry-After"]) <= 10
            assert refused.headers["X-Rate-Limit-Limit"] == "2"
            sb.advance_clock(11)
            assert client.get("/rest/v1.0/me").status_code == 200
        finally:
            client.close()


def test_pagination_link_headers(api: Api, sandbox: Sandbox, demo: DemoInfo) -> None:
    """Links as in Procore's pagination example: page 1 has next and last; page 2 first, next
    and last; later pages prev too. They carry page and per_page only (the example's links
    drop the request's project_id), so a client must keep its own parameters."""
    for n in range(4):
        sandbox.add_project(demo.company_id, f"Extra {n}")
    seen: list[int] = []
    rels_per_page: list[set[str]] = []
    params = {"company_id": demo.company_id, "per_page": 3}
    url: str | None = f"{api.sb.api_url}/rest/v1.0/projects"
    while url:
        answer = api.session.get(url, params=params, headers=api.headers(), timeout=5)
        assert answer.status_code == 200
        assert answer.headers["Total"] == "7"
        assert answer.headers["Per-Page"] == "3"
        rels_per_page.append(set(answer.links))
        seen += [p["id"] for p in answer.json()]
        url = answer.links.get("next", {}).get("url")
        if url:
            assert "company_id" not in url and "page=" in url
            bare = api.session.get(url, headers=api.headers(), timeout=5)
            assert bare.status_code == 400  # the link alone has lost company_id
            params = {"company_id": demo.company_id}  # page/per_page come from the link
    assert rels_per_page == [{"next", "last"}, {"first", "next", "last"},
                             {"first", "prev", "last"}]
    assert len(seen) == len(set(seen)) == 7


def test_per_page_is_capped_at_300_and_bad_pages_refused(api: Api) -> None:
    answer = api.get("/rest/v1.0/projects",
                     params={"company_id": api.demo.company_id, "per_page": 1000})
    assert answer.headers["Per-Page"] == "300"
    bad = api.get("/rest/v1.0/projects", params={"company_id": api.demo.company_id, "page": 0})
    assert bad.status_code == 400


def test_v11_projects_route(api: Api) -> None:
    answer = api.get("/rest/v1.1/projects", params={"company_id": api.demo.company_id})
    assert [p["name"] for p in answer.json()][0] == "Main Street Tower"


def test_albums_and_photos_listing(api: Api) -> None:
    albums = api.get("/rest/v1.0/image_categories", params={"project_id": api.project_id})
    assert albums.json() == [{"id": api.demo.album_id, "name": "Site Progress"}]
    photos = api.get("/rest/v1.0/images", params={"project_id": api.project_id,
                                                  "image_category_id": api.demo.album_id})
    assert photos.status_code == 200 and photos.json() == []


def test_service_accounts_need_the_company_header_on_me_and_companies(
        api: Api, sandbox: Sandbox, demo: DemoInfo) -> None:
    """Procore's client-credentials guide: service accounts "must include the
    Procore-Company-Id request header when making calls to /rest/v1.0/me or
    /rest/v1.0/companies"; a person's token needs none there."""
    from uploader_gui.sandbox import oauth as sandbox_oauth

    sandbox_oauth.register_app(sandbox.state, "svc-id", "svc-secret", [])
    answer = requests.post(f"{sandbox.login_url}/oauth/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": "svc-id",
        "client_secret": "svc-secret"})
    token = answer.json()["access_token"]
    for path in ("/rest/v1.0/me", "/rest/v1.0/companies"):
        bare = requests.get(sandbox.api_url + path, timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
        assert bare.status_code == 400, path
        assert "Procore-Company-Id" in bare.text
        ok = api.get(path, token=token)
        assert ok.status_code == 200, path
        person = requests.get(sandbox.api_url + path, timeout=10,
                              headers={"Authorization": f"Bearer {api.token}"})
        assert person.status_code == 200, path


def test_projects_lists_active_ones_unless_asked(api: Api, sandbox: Sandbox,
                                                 demo: DemoInfo) -> None:
    """List Projects answers active projects only; filters[by_status]=All adds the others."""
    sandbox.set_project_active(demo.project_ids[2], False)
    params = {"company_id": demo.company_id}
    active = [p["id"] for p in api.get("/rest/v1.0/projects", params=params).json()]
    assert active == demo.project_ids[:2]
    every = api.get("/rest/v1.0/projects", params={**params, "filters[by_status]": "All"})
    assert [p["id"] for p in every.json()] == demo.project_ids
    inactive = api.get("/rest/v1.0/projects", params={**params, "filters[by_status]": "Inactive"})
    assert [(p["id"], p["active"]) for p in inactive.json()] == [(demo.project_ids[2], False)]


def test_free_companies_only_when_asked_for(api: Api, sandbox: Sandbox,
                                            demo: DemoInfo) -> None:
    """Companies reference: free companies are excluded unless include_free_companies=true."""
    sandbox.set_company(demo.company_id, free=True)
    assert api.get("/rest/v1.0/companies").json() == []
    listed = api.get("/rest/v1.0/companies", params={"include_free_companies": "true"})
    assert [c["id"] for c in listed.json()] == [demo.company_id]
