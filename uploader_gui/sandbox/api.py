"""The sandbox's Procore API server: authentication, rate limits, faults, and route dispatch.

OAuth routes (``/oauth/...``) are handed to ``uploader_gui.sandbox.oauth.handle``; the
browser pages the window's web links open (``/{id}/project/documents`` ...) to
``uploader_gui.sandbox.web_pages.handle``.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from . import api_associations, api_navigation, api_uploads, oauth, web_pages
from .api_call import Call, Page
from .faults import Fault, custom_answer
from .http_common import ApiError, ConnectionDropped, Headers, SandboxHandler

logger = logging.getLogger(__name__)

MAX_API_BODY = 16 * 1024 * 1024
INVALID_TOKEN = {"errors": "The access token is invalid"}
WWW_AUTHENTICATE = ('Bearer realm="Doorkeeper", error="invalid_token", '
                    'error_description="The access token is invalid"')
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           409: "Conflict", 410: "Gone", 422: "Unprocessable Entity", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
           504: "Gateway Timeout"}


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    action: Callable[[Call], Any]
    target: str | None
    #: /me and /companies are the only calls Procore takes without Procore-Company-Id.
    needs_company: bool = True


def _route(method: str, pattern: str, action: Callable[[Call], Any], target: str | None = None,
           needs_company: bool = True) -> Route:
    return Route(method, re.compile(f"^{pattern}$"), action, target, needs_company)


_UPLOADS = r"/rest/v(?P<version>1\.[01])/(?P<kind>companies|projects)/(?P<scope_id>\d+)/uploads"
ROUTES = [
    _route("GET", r"/rest/v1\.0/me", api_navigation.me, needs_company=False),
    _route("GET", r"/rest/v1\.0/companies", api_navigation.companies, needs_company=False),
    _route("GET", r"/rest/v1\.[01]/projects", api_navigation.projects),
    _route("GET", r"/rest/v1\.0/folders", api_navigation.root_folder, "folders"),
    _route("GET", r"/rest/v1\.0/folders/(?P<id>\d+)", api_navigation.one_folder, "folders"),
    _route("POST", r"/rest/v1\.0/folders", api_navigation.create_folder, "folders"),
    _route("GET", r"/rest/v1\.0/companies/(?P<cid>\d+)/folders", api_navigation.root_folder,
           "folders"),
    _route("GET", r"/rest/v1\.0/companies/(?P<cid>\d+)/folders/(?P<id>\d+)",
           api_navigation.one_folder, "folders"),
    _route("POST", r"/rest/v1\.0/companies/(?P<cid>\d+)/folders", api_navigation.create_folder,
           "folders"),
    _route("GET", r"/rest/v1\.0/image_categories", api_navigation.albums),
    _route("GET", r"/rest/v1\.0/images", api_navigation.images),
    _route("POST", _UPLOADS, api_uploads.create, "create"),
    _route("GET", _UPLOADS + r"/(?P<uuid>[0-9A-Za-z]+)", api_uploads.show, "show"),
    _route("PATCH", _UPLOADS + r"/(?P<uuid>[0-9A-Za-z]+)", api_uploads.complete, "patch"),
    _route("POST", r"/rest/v1\.0/files", api_associations.create_file, "associate"),
    _route("POST", r"/rest/v1\.0/companies/(?P<cid>\d+)/files", api_associations.create_file,
           "associate"),
    _route("POST", r"/rest/v1\.0/file_versions", api_associations.create_file_version,
           "associate"),
    _route("POST", r"/rest/v1\.0/companies/(?P<cid>\d+)/file_versions",
           api_associations.create_file_version, "associate"),
    _route("POST", r"/rest/v1\.0/images", api_associations.create_image, "associate"),
]


def _error_body(status: int) -> dict[str, str]:
    return {"errors": REASONS.get(status, "Error")}


class ApiHandler(SandboxHandler):
    """Answers Procore's REST routes on the API port."""

    server_version = "nginx"
    sys_version = ""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        self.begin_request()
        try:
            self._dispatch()
        except ConnectionDropped:
            self.close_connection = True
            if self._answered_status is None:
                self.finish_request_log(0)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            # A sandbox bug must show up as a 500 the client handles, not a dropped connection.
            logger.exception("The sandbox failed on %s %s", self.command, self.split.path)
            self.close_connection = True
            if self._answered_status is None:
                self.send_json(500, {"errors": "Internal Server Error"})

    def _read_body(self) -> bytes:
        if self.is_chunked():
            self.close_connection = True
            raise ApiError(411, {"errors": "Content-Length is required"})
        length = self.content_length() or 0
        if length > MAX_API_BODY:
            self.close_connection = True
            raise ApiError(413, {"errors": "The request body is too large"})
        return self.read_exact(length) if length else b""

    def _dispatch(self) -> None:
        parts = self.split
        path = parts.path
        try:
            body = self._read_body()
        except ApiError as exc:
            self.send_json(exc.status, exc.body, exc.headers)
            return
        query = parse_qs(parts.query, keep_blank_values=True)
        headers = Headers(self.headers.items())
        if path.startswith("/oauth/"):
            self._oauth(path, query, body, headers)
            return
        if self.command == "GET" and web_pages.is_page(path):
            # A browser opening a web link: no token, as Procore's own pages take a session.
            self.send_bytes(*web_pages.handle(self.state, path, query))
            return
        token = self._bearer_token()
        user = self._authenticate(token)
        if user is None or token is None:
            self.send_json(401, INVALID_TOKEN, {"WWW-Authenticate": WWW_AUTHENTICATE})
            return
        verdict = self.state.count_call(token)
        rate_headers = verdict.headers()
        if not verdict.allowed:
            self.send_json(429, {"errors": "Rate limit exceeded. Try again later."},
                           dict(rate_headers, **{"Retry-After": str(verdict.retry_after)}))
            return
        route, match = self._find_route(path)
        if route is None or match is None:
            self.send_json(404, {"errors": f"No route matches {self.command} {path}"},
                           rate_headers)
            return
        targets = {"api"} | ({route.target} if route.target else set())
        fault = self.server.faults.pick({"status", "reset", "stall", "malformed", "gone", "drip"},
                                        targets)
        if fault is not None and self._apply_fault(fault, route, rate_headers):
            return
        call = Call(self.state, self.server.faults, self.command, path, query, headers, body, user,
                    self.server.api_url, self.server.storage_url, match.groupdict())
        try:
            # Procore's client-credentials guide: service accounts "must include the
            # Procore-Company-Id request header when making calls to /rest/v1.0/me or
            # /rest/v1.0/companies".
            if route.needs_company or user.service_account:
                call.require_company_header()
            with self.state.lock:
                result = route.action(call)
        except ApiError as exc:
            self.send_json(exc.status, exc.body, dict(rate_headers, **exc.headers))
            return
        status, payload, extra = 200, result, dict(rate_headers)
        if isinstance(result, tuple):
            status, payload = result
        if isinstance(payload, Page):
            try:
                payload, page_headers = call.paginate(payload.items)
            except ApiError as exc:
                self.send_json(exc.status, exc.body, extra)
                return
            extra.update(page_headers)
        after = self.server.faults.pick({"delay_after_commit"}, targets)
        if after is not None:
            self.wait(float(after.params["seconds"]))
        self.send_json(status, payload, extra)

    def _oauth(self, path: str, query: dict[str, list[str]], body: bytes,
               headers: Headers) -> None:
        form: dict[str, list[str]] = {}
        if headers.get("content-type", "").split(";")[0].strip().lower() \
                == "application/x-www-form-urlencoded":
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        status, out_headers, out_body = oauth.handle(self.state, self.command, path, query, form,
                                                     headers)
        self.send_bytes(status, dict(out_headers), out_body)

    def _bearer_token(self) -> str | None:
        value = self.headers.get("Authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    def _authenticate(self, token: str | None) -> Any:
        if token is None:
            return None
        user = self.state.user_for_token(token)
        if user is None:
            return None
        faults = self.server.faults
        if faults.pick({"status"}, {"token"}) is not None:
            return None
        with self.state.lock:
            record = self.state.tokens[token]
            limits = [f for f in faults.faults
                      if f.kind == "token_expire_after_calls" and not f.exhausted()]
            if limits and record.calls >= int(limits[0].params["calls"]) \
                    and faults.pick({"token_expire_after_calls"}, {"token", "api"}) is not None:
                record.revoked = True
                return None
        return user

    def _find_route(self, path: str) -> tuple[Route | None, re.Match[str] | None]:
        for route in ROUTES:
            if route.method != self.command:
                continue
            match = route.pattern.match(path)
            if match:
                return route, match
        return None, None

    def _apply_fault(self, fault: Fault, route: Route, rate_headers: dict[str, str]) -> bool:
        """Carry out a fault; True when it produced the answer (or dropped the connection)."""
        if fault.kind == "stall":
            self.wait(float(fault.params["seconds"]))
            return False
        if fault.kind == "reset":
            self.drop_connection()
            return True
        if fault.kind == "drip":
            self.drip(float(fault.params["seconds"]), b"{}")
            return True
        if fault.kind == "gone":
            if route.target != "patch":
                return False
            self.send_json(410, {"errors": "This upload is no longer available. "
                                           "Start the upload again."}, rate_headers)
            return True
        if fault.kind == "malformed":
            self._send_malformed(fault)
            return True
        status = int(fault.params["status"])
        headers = dict(rate_headers)
        retry_after = fault.params.get("retry_after")
        if status == 429:
            # Rounded up: a client that waits until the second given is never early.
            reset = math.ceil(self.state.now() + float(fault.params.get("reset") or 2))
            headers.update({"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(reset)})
        if status in (429, 503) and retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if status == 401:
            headers["WWW-Authenticate"] = WWW_AUTHENTICATE
            self.send_json(status, INVALID_TOKEN, headers)
        elif status == 422:
            self.send_json(status, {"errors": {"base": ["Something went wrong"]}}, headers)
        else:
            self.send_json(status, _error_body(status), headers)
        return True

    def _send_malformed(self, fault: Fault) -> None:
        variant = fault.params["variant"]
        if variant == "body":
            self.send_bytes(*custom_answer(fault))
        elif variant == "json":
            self.send_bytes(200, {"Content-Type": "application/json"}, b'{"uuid": "01ABC", "seg')
        elif variant == "html":
            page = (b"<html><head><title>502 Bad Gateway</title></head><body>"
                    b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
                    b"</body></html>")
            self.send_bytes(502, {"Content-Type": "text/html"}, page)
        elif variant == "nested":
            depth = int(fault.params["depth"])
            self.send_bytes(200, {"Content-Type": "application/json"},
                            b"[" * depth + b"]" * depth)
        else:
            size = int(fault.params["size"])
            self.send_bytes(500, {"Content-Type": "text/html"}, b"<p>" + b"x" * max(0, size - 3))
