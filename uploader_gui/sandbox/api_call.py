"""One API request as the route functions see it, with Procore's scoping and parsing rules."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from .faults import FaultPlan
from .http_common import ApiError
from .multipart import MultipartError, boundary_of, parse_small_form
from .records import Folder, Project, User
from .state import SandboxState

MAX_PER_PAGE = 300
DEFAULT_PER_PAGE = 100


@dataclass
class Page:
    """A list answer; the dispatcher cuts it into pages and adds Link, Total and Per-Page."""

    items: list[Any]


@dataclass
class Call:
    state: SandboxState
    faults: FaultPlan
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    user: User
    api_url: str
    storage_url: str
    match: dict[str, str] = field(default_factory=dict)
    company_id: int | None = None

    # -- parameters ------------------------------------------------------------------------

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def int_param(self, name: str) -> int:
        raw = self.param(name)
        if raw is None or raw == "":
            raise ApiError(400, {"errors": f"{name} is required"})
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, {"errors": f"{name} must be a number"}) from None

    def path_int(self, name: str) -> int:
        return int(self.match[name])

    def json_body(self) -> dict[str, Any]:
        """The JSON object body; 415 for another content type, 400 for bad JSON."""
        if not self.body:
            return {}
        content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(415, {"errors": "Content-Type must be application/json"})
        try:
            document = json.loads(self.body)
        except ValueError:
            raise ApiError(400, {"errors": "The request body is not valid JSON"}) from None
        if not isinstance(document, dict):
            raise ApiError(400, {"errors": "The request body must be a JSON object"})
        return document

    def form_body(self) -> dict[str, list[str]]:
        """Fields of a multipart or url-encoded form. JSON is refused: it is unconfirmed
        that Procore takes JSON for these routes, so a client must not rely on it."""
        content_type = self.headers.get("content-type", "")
        base = content_type.split(";")[0].strip().lower()
        if base == "application/x-www-form-urlencoded":
            return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        if base == "multipart/form-data":
            boundary = boundary_of(content_type)
            if boundary is None:
                raise ApiError(400, {"errors": "The multipart form has no boundary"})
            try:
                return parse_small_form(self.body, boundary)
            except MultipartError as exc:
                raise ApiError(400, {"errors": f"Malformed form data: {exc}"}) from None
        raise ApiError(415, {"errors": "Send this request as multipart/form-data "
                                       "or application/x-www-form-urlencoded"})

    # -- scoping ---------------------------------------------------------------------------

    def require_company_header(self) -> int:
        raw = self.headers.get("procore-company-id")
        if raw is None or not raw.strip():
            raise ApiError(400, {"errors": "Missing Procore-Company-Id header!"})
        try:
            company_id = int(raw)
        except ValueError:
            raise ApiError(400, {"errors": "Procore-Company-Id must be a number"}) from None
        if company_id not in self.state.companies or company_id not in self.user.company_ids:
            raise ApiError(403, {"errors": "You do not have access to this company"})
        company = self.state.companies[company_id]
        if not company.app_installed:
            # An app must be installed in the company (App Management) before its calls
            # work; until then Procore answers 401 or 403.
            raise ApiError(company.not_installed_status,
                           {"errors": "This app is not installed in this company"})
        self.company_id = company_id
        return company_id

    def company(self, company_id: int) -> int:
        """A company in the request's path or query: it must be the header's company."""
        if company_id != self.company_id or company_id not in self.user.company_ids:
            raise ApiError(404, {"errors": "Company not found"})
        return company_id

    def project(self, project_id: int) -> Project:
        project = self.state.projects.get(project_id)
        if project is None or project.company_id != self.company_id:
            raise ApiError(404, {"errors": "Project not found"})
        return project

    def folder(self, folder_id: int, project_id: int | None, company_id: int) -> Folder:
        found = self.state.folders.get(folder_id)
        if found is None or found.project_id != project_id or found.company_id != company_id:
            raise ApiError(404, {"errors": "Folder not found"})
        return found

    # -- pagination ------------------------------------------------------------------------

    def paginate(self, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
        page = self._page_number("page", 1)
        per_page = min(self._page_number("per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
        total = len(items)
        last = max(1, math.ceil(total / per_page))

        def link(number: int) -> str:
            # As Procore's pagination example shows them: page and per_page only, the
            # request's other parameters (project_id, filters...) are not carried over.
            query = {"page": str(number), "per_page": str(per_page)}
            return f"<{self.api_url}{self.path}?{urlencode(query)}>"

        rels = []
        if page > 1:  # Procore: on page 1 only the next and last links
            rels.append((1, "first"))
        if page > 2:
            rels.append((min(page - 1, last), "prev"))
        if page < last:
            rels.append((page + 1, "next"))
        rels.append((last, "last"))
        headers = {"Link": ", ".join(f'{link(n)}; rel="{rel}"' for n, rel in rels),
                   "Total": str(total), "Per-Page": str(per_page)}
        return items[(page - 1) * per_page: page * per_page], headers

    def _page_number(self, name: str, default: int) -> int:
        raw = self.param(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, {"errors": f"{name} must be a whole number"}) from None
        if value < 1:
            raise ApiError(400, {"errors": f"{name} must be 1 or more"})
        return value
