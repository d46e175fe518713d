"""API routes for finding one's way: the user, companies, projects, folders, albums, photos."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import documents
from .api_call import Call, Page
from .http_common import ApiError
from .records import Folder


def me(call: Call) -> Any:
    return {"id": call.user.id, "login": call.user.login, "name": call.user.name}


def companies(call: Call) -> Any:
    """List Companies: free companies only with ``include_free_companies=true``."""
    with_free = (call.param("include_free_companies") or "").lower() == "true"
    found = [call.state.companies[c] for c in sorted(call.user.company_ids)]
    return Page([{"id": c.id, "name": c.name, "is_active": c.active}
                 for c in found if with_free or not c.free])


def projects(call: Call) -> Any:
    company_id = call.company(call.int_param("company_id"))
    company = call.state.companies[company_id]
    # List Projects: active projects only, unless filters[by_status] is Inactive or All.
    status = (call.param("filters[by_status]") or "Active").lower()
    if status not in ("active", "inactive", "all"):
        raise ApiError(400, {"errors": "filters[by_status] must be Active, Inactive or All"})
    found = sorted((p for p in call.state.projects.values() if p.company_id == company_id
                    and (status == "all" or p.active == (status == "active"))),
                   key=lambda p: p.id)
    return Page([{"id": p.id, "name": p.name, "display_name": p.name, "active": p.active,
                  "company": {"id": company.id, "name": company.name}} for p in found])


def _folder_scope(call: Call) -> tuple[int | None, int]:
    """(project_id, company_id) of a folder route: project in the query, or company in the path."""
    if "cid" in call.match:
        return None, call.company(call.path_int("cid"))
    project = call.project(call.int_param("project_id"))
    return project.id, project.company_id


def _root(call: Call, project_id: int | None, company_id: int) -> Folder:
    return call.state.root_folder(project_id=project_id, company_id=company_id)


def _listing_options(call: Call) -> dict[str, bool]:
    """``exclude_files`` and ``show_latest_file_version_only`` of List Folders and Files."""
    return {"files": (call.param("exclude_files") or "").lower() != "true",
            "latest_only": (call.param("show_latest_file_version_only") or "").lower() == "true"}


def root_folder(call: Call) -> Any:
    project_id, company_id = _folder_scope(call)
    return documents.folder_json(call.state, _root(call, project_id, company_id),
                                 **_listing_options(call))


def one_folder(call: Call) -> Any:
    project_id, company_id = _folder_scope(call)
    folder = call.folder(call.path_int("id"), project_id, company_id)
    return documents.folder_json(call.state, folder, **_listing_options(call))


def create_folder(call: Call) -> Any:
    project_id, company_id = _folder_scope(call)
    body = call.json_body()
    spec = body.get("folder")
    if not isinstance(spec, dict):
        raise ApiError(400, {"errors": "param is missing or the value is empty: folder"})
    name = spec.get("name")
    if not isinstance(name, str):
        raise ApiError(422, {"errors": {"name": ["can't be blank"]}})
    parent_id = spec.get("parent_id")
    if parent_id is None:
        parent = _root(call, project_id, company_id)
    else:
        try:
            parent = call.folder(int(parent_id), project_id, company_id)
        except (TypeError, ValueError):
            raise ApiError(422, {"errors": {"parent_id": ["is invalid"]}}) from None
    documents.check_writable(parent)
    try:
        folder = documents.create_folder(call.state, parent, name)
    except documents.InvalidName as exc:
        raise ApiError(422, {"errors": {exc.field: [exc.message]}}) from None
    return 201, documents.folder_json(call.state, folder)


def albums(call: Call) -> Any:
    project = call.project(call.int_param("project_id"))
    found = sorted((a for a in call.state.albums.values() if a.project_id == project.id),
                   key=lambda a: a.id)
    return Page([{"id": a.id, "name": a.name} for a in found])


def images(call: Call) -> Any:
    project = call.project(call.int_param("project_id"))
    album_filter = call.param("image_category_id")
    found = [i for i in call.state.images.values() if i.project_id == project.id]
    if album_filter is not None:
        try:
            album_id = int(album_filter)
        except ValueError:
            raise ApiError(400, {"errors": "image_category_id must be a number"}) from None
        found = [i for i in found if i.album_id == album_id]
    uploader = call.param("filters[uploader_id]")
    if uploader is not None:
        try:
            wanted = {int(x) for x in uploader.split(",")}
        except ValueError:
            raise ApiError(400, {"errors": "filters[uploader_id] must be numbers"}) from None
        found = [i for i in found if i.uploader_id in wanted]
    created = call.param("filters[created_at]")
    if created is not None:
        start, end = _time_range(created)
        found = [i for i in found if start <= i.created_at <= end]
    return Page([documents.image_json(call.state, i) for i in sorted(found, key=lambda i: i.id)])


def _time_range(value: str) -> tuple[float, float]:
    """Procore's range filter: two ISO 8601 times joined by "..."."""
    first, sep, last = value.partition("...")
    try:
        if not sep:
            raise ValueError
        start, end = (datetime.fromisoformat(t).timestamp() for t in (first, last))
        return start, end
    except ValueError:
        raise ApiError(400, {"errors": "filters[created_at] must be a range: "
                                       "2024-01-01T00:00:00Z...2024-01-02T00:00:00Z"}) from None
