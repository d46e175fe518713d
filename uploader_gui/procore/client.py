"""The Procore REST client: navigation, folders, uploads and attaching uploads to documents.

Every call carries the bearer token and, where Procore needs it, ``Procore-Company-Id``;
failures come back as the typed errors of :mod:`uploader_gui.procore.errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests

from uploader_gui.procore import abort, errors
from uploader_gui.procore.deadline import request_deadline
from uploader_gui.procore.http import (
    USER_AGENT,
    Pacer,
    RetryPolicy,
    build_session,
    network_error,
    surely_not_sent,
)
from uploader_gui.procore.responses import (
    api_error,
    parse_json,
    read_answer,
    read_limited,
    server_wait,
)
from uploader_gui.procore.tokens import TokenProvider, home_company_id

log = logging.getLogger(__name__)

PER_PAGE = 100
#: Seconds an API answer may take from sending to its last byte (the read timeout only
#: bounds the wait for the next byte).
DEADLINE = 120.0
#: A listing longer than this many pages is a server that keeps saying "next": stop.
MAX_PAGES = 10_000
#: The only calls Procore answers without a Procore-Company-Id header.
_NO_COMPANY_HEADER = ("/rest/v1.0/me", "/rest/v1.0/companies")
_RETRY_ANY = frozenset({408, 500, 502, 503, 504})
#: Statuses that say the server did not process the request, so even a POST may go again
#: (408: the server timed out waiting for the request itself).
_NOT_PROCESSED = frozenset({408, 429, 503})
#: A token that /me accepts but a company's calls refuse: the app is not installed there.
APP_NOT_INSTALLED = (
    "Procore refused Procore Uploader in this company although you are signed in: the app is "
    "probably not installed in the company's Procore account yet. Ask your Procore "
    "administrator to add it in App Management (Company Admin > App Management), then try "
    "again. Signing in again will not help.")


@dataclass(frozen=True)
class Scope:
    """Whether an upload or folder call goes to a project (``project_id`` set) or the company."""

    company_id: int
    project_id: int | None = None

    @property
    def is_project(self) -> bool:
        return self.project_id is not None

    def require_project(self, what: str) -> int:
        if self.project_id is None:
            raise ValueError(f"{what} exist only in projects; this scope is a company")
        return self.project_id


class ProcoreClient:
    """Blocking, thread-safe client of Procore's REST API (one instance for every thread)."""

    def __init__(self, api_base: str, tokens: TokenProvider, *, pacer: Pacer | None = None,
                 retry: RetryPolicy | None = None, timeout: tuple[float, float] = (10, 60),
                 session: requests.Session | None = None,
                 user_agent: str = USER_AGENT, deadline: float | None = DEADLINE) -> None:
        self.api_base = api_base.rstrip("/")
        #: Seconds each attempt of a request has to be answered in full (None: no bound).
        self.deadline = deadline
        self._host = urlsplit(self.api_base).netloc
        self._tokens = tokens
        self._retry = retry or RetryPolicy()
        self.pacer = pacer or Pacer(clock=self._retry.clock, sleep=self._retry.sleep)
        self._timeout = timeout
        self._own_session = session is None
        self._session = session or build_session(user_agent=user_agent)
        if session is not None:
            session.headers["User-Agent"] = user_agent

    @property
    def tokens(self) -> TokenProvider:
        """Where the access token comes from (also says who is signed in)."""
        return self._tokens

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- navigation ---------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        return self._object("GET", "/rest/v1.0/me")

    def companies(self, *, inactive: bool = False) -> list[dict[str, Any]]:
        """The companies one can upload to. Free companies are left out of Procore's list
        unless ``include_free_companies=true`` (Companies reference), so it is always asked
        for; companies marked ``is_active: false`` only with ``inactive``."""
        rows = self._all("/rest/v1.0/companies", {"include_free_companies": "true"})
        return [r for r in rows if inactive or r.get("is_active", True) is not False]

    def projects(self, company_id: int, *, inactive: bool = False) -> list[dict[str, Any]]:
        """The company's active projects; with ``inactive`` every project (List Projects
        returns active ones unless ``filters[by_status]`` says otherwise)."""
        params: dict[str, Any] = {"company_id": company_id}
        if inactive:
            params["filters[by_status]"] = "All"
        return self._all("/rest/v1.0/projects", params, company_id=company_id)

    def root_folder(self, scope: Scope, *, files: bool = True,
                    latest_only: bool = False) -> dict[str, Any]:
        """The Documents root: its child folders and (unless ``files`` is False) its files."""
        return self._folder_listing(scope, "folders", files, latest_only)

    def folder(self, scope: Scope, folder_id: int, *, files: bool = True,
               latest_only: bool = False) -> dict[str, Any]:
        """One folder, as :meth:`root_folder`."""
        return self._folder_listing(scope, f"folders/{int(folder_id)}", files, latest_only)

    def _folder_listing(self, scope: Scope, rest: str, files: bool,
                        latest_only: bool) -> dict[str, Any]:
        """Asks only for what is needed (``exclude_files`` when only folders matter,
        ``show_latest_file_version_only`` when only names and sizes do) and leaves out the
        folders nobody can add to or see as folders: deleted ones and the Recycle Bin."""
        path, params = self._documents(scope, rest)
        if not files:
            params["exclude_files"] = "true"
        elif latest_only:
            params["show_latest_file_version_only"] = "true"
        data = self._object("GET", path, params=params, company_id=scope.company_id)
        folders = data.get("folders")
        if isinstance(folders, list):
            data["folders"] = [f for f in folders if isinstance(f, dict)
                               and not f.get("is_deleted") and not f.get("is_recycle_bin")]
        return data

    def create_folder(self, scope: Scope, name: str, parent_id: int | None) -> dict[str, Any]:
        path, params = self._documents(scope, "folders")
        folder: dict[str, Any] = {"name": name}
        if parent_id is not None:  # without parent_id Procore puts it in the root folder
            folder["parent_id"] = parent_id
        return self._object("POST", path, params=params, json={"folder": folder},
                            company_id=scope.company_id)

    def albums(self, scope: Scope) -> list[dict[str, Any]]:
        project_id = scope.require_project("Photo albums")
        return self._all("/rest/v1.0/image_categories", {"project_id": project_id},
                         company_id=scope.company_id)

    def images(self, scope: Scope, album_id: int | None) -> list[dict[str, Any]]:
        """The project's photos in one album, or in every album when ``album_id`` is None."""
        return list(self.iter_images(scope, album_id))

    def iter_images(self, scope: Scope, album_id: int | None, *,
                    uploader_id: int | None = None,
                    created_between: tuple[float, float] | None = None,
                    per_page: int = PER_PAGE) -> Iterator[dict[str, Any]]:
        """The project's photos page by page (stop early by not asking for more), narrowed
        with List Images' ``filters[uploader_id]`` and ``filters[created_at]`` (a range of
        two ISO 8601 times joined by "...")."""
        project_id = scope.require_project("Photos")
        params: dict[str, Any] = {"project_id": project_id}
        if album_id is not None:
            params["image_category_id"] = album_id
        if uploader_id is not None:
            params["filters[uploader_id]"] = int(uploader_id)
        if created_between is not None:
            params["filters[created_at]"] = "...".join(_iso(t) for t in created_between)
        return self._pages("/rest/v1.0/images", params, company_id=scope.company_id,
                           per_page=per_page)

    # -- uploads ------------------------------------------------------------------------------

    def create_upload(self, scope: Scope, body: Mapping[str, Any]) -> dict[str, Any]:
        # Safe to send again after a lost answer or a 5xx: an upload that is never attached
        # to anything is invisible to people, and Procore deletes it after a week.
        return self._object("POST", self._uploads(scope), json=dict(body),
                            company_id=scope.company_id, repeatable=True)

    def show_upload(self, scope: Scope, uuid: str) -> dict[str, Any]:
        return self._object("GET", f"{self._uploads(scope)}/{_segment(uuid)}",
                            company_id=scope.company_id)

    def complete_upload(self, scope: Scope, uuid: str,
                        segments: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """PATCH the upload complete: one item per segment, in the order they were created,
        each with ``size``, ``sha256``, ``md5`` (when it was declared) and the ``etag`` storage
        gave it (seed 000's v1.1 example; the v1.1 spec requires size and sha256)."""
        items = []
        for segment in segments:
            item: dict[str, Any] = {"size": int(segment["size"]),
                                    "sha256": str(segment["sha256"])}
            if segment.get("md5"):
                item["md5"] = str(segment["md5"])
            item["etag"] = str(segment["etag"]).strip().strip('"')
            items.append(item)
        return self._object("PATCH", f"{self._uploads(scope)}/{_segment(uuid)}",
                            json={"segments": items}, company_id=scope.company_id)

    # -- attaching uploads --------------------------------------------------------------------

    def create_file(self, scope: Scope, upload_uuid: str, name: str, parent_id: int | None,
                    unique_name: bool = False) -> dict[str, Any]:
        path, params = self._documents(scope, "files")
        form = [("file[upload_uuid]", upload_uuid), ("file[name]", name)]
        if parent_id is not None:  # omitted = the root folder
            form.append(("file[parent_id]", str(parent_id)))
        form.append(("file[unique_name]", "true" if unique_name else "false"))
        return self._object("POST", path, params=params, form=form,
                            company_id=scope.company_id)

    def create_file_version(self, scope: Scope, file_id: int,
                            upload_uuid: str) -> dict[str, Any]:
        path, params = self._documents(scope, "file_versions")
        params["file_id"] = int(file_id)
        return self._object("POST", path, params=params,
                            form=[("file_version[upload_uuid]", upload_uuid)],
                            company_id=scope.company_id)

    def create_image(self, scope: Scope, upload_uuid: str, name: str,
                     album_id: int | None) -> dict[str, Any]:
        """A photo from a stored upload. Create Image requires ``image_name``, and ``image``
        with "at least one attribute ... even when an 'upload_uuid' key is provided": without
        an album that attribute is ``private: false`` (Procore's default for a new photo)."""
        project_id = scope.require_project("Photos")
        image: dict[str, Any] = ({"image_category_id": album_id} if album_id is not None
                                 else {"private": False})
        body = {"upload_uuid": upload_uuid, "image_name": name, "image": image}
        return self._object("POST", "/rest/v1.0/images", params={"project_id": project_id},
                            json=body, company_id=scope.company_id)

    # -- paths --------------------------------------------------------------------------------

    @staticmethod
    def _documents(scope: Scope, rest: str) -> tuple[str, dict[str, Any]]:
        """A Documents-tool path: ``/rest/v1.0/{rest}?project_id=P`` or the company variant."""
        if scope.project_id is not None:
            return f"/rest/v1.0/{rest}", {"project_id": scope.project_id}
        return f"/rest/v1.0/companies/{int(scope.company_id)}/{rest}", {}

    @staticmethod
    def _uploads(scope: Scope) -> str:
        if scope.project_id is not None:
            return f"/rest/v1.1/projects/{int(scope.project_id)}/uploads"
        return f"/rest/v1.1/companies/{int(scope.company_id)}/uploads"

    # -- requests -----------------------------------------------------------------------------

    def _object(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, form: list[tuple[str, str]] | None = None,
                company_id: int | None = None, repeatable: bool = False) -> dict[str, Any]:
        response = self._request(method, self.api_base + path, params=params, json=json,
                                 form=form, company_id=company_id, repeatable=repeatable)
        data = parse_json(response)
        if not isinstance(data, dict):
            raise errors.BadResponse(
                f"Procore sent an answer of an unexpected kind for {path} (expected an object).",
                status=response.status_code)
        return data

    def _all(self, path: str, params: Mapping[str, Any], *,
             company_id: int | None = None) -> list[dict[str, Any]]:
        """Every item of a listing."""
        return list(self._pages(path, params, company_id=company_id))

    def _pages(self, path: str, params: Mapping[str, Any], *, company_id: int | None = None,
               per_page: int = PER_PAGE) -> Iterator[dict[str, Any]]:
        """The items of a listing, one page asked for at a time, following
        ``Link: rel="next"`` (or Total / Per-Page)."""
        url: str | None = self.api_base + path
        query: dict[str, Any] | None = {**params, "page": 1, "per_page": per_page}
        seen: set[str] = set()
        page = 1
        for _ in range(MAX_PAGES):
            assert url is not None
            response = self._request("GET", url, params=query, company_id=company_id)
            data = parse_json(response)
            if not isinstance(data, list):
                raise errors.BadResponse(
                    f"Procore sent an answer of an unexpected kind for {path} (expected a list).",
                    status=response.status_code)
            yield from (item for item in data if isinstance(item, dict))
            next_url = response.links.get("next", {}).get("url")
            if next_url:
                target = self._same_host(next_url)
                if target in seen:  # a server that links a page to itself would loop forever
                    break
                seen.add(target)
                url, query = _with_own_params(target, params)
                continue
            if "Link" in response.headers or not data:
                break
            if not _more_by_total(response.headers, page, len(data), per_page):
                break
            page += 1
            query = {**params, "page": page, "per_page": per_page}

    def _same_host(self, url: str) -> str:
        # The next-page link comes from the server; the bearer token must not follow it elsewhere.
        if url.startswith("/"):
            return self.api_base + url
        parts = urlsplit(url)
        if parts.netloc != self._host or parts.scheme != urlsplit(self.api_base).scheme:
            # Another host, or http after https: the token would travel where it must not.
            raise errors.BadResponse(
                "Procore pointed the next page of a list to another server; the uploader "
                "did not follow it.")
        return url

    def _headers(self, url: str, token: str, company_id: int | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        path = urlsplit(url).path.rstrip("/")
        if path.endswith(_NO_COMPANY_HEADER):
            # A person's token needs no company here; a service account's does (its company).
            company_id = home_company_id(self._tokens)
        if company_id is not None:
            headers["Procore-Company-Id"] = str(int(company_id))
        return headers

    def _token_works(self, token: str) -> bool:
        if home_company_id(self._tokens) is not None:
            return False  # a service account's /me needs the company too: no way to tell
        return _token_works_on_me(self._session, self.api_base, token, self._timeout)

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """:meth:`_send`, each attempt answered in full within ``deadline`` seconds."""
        with request_deadline(self.deadline) as limit:
            try:
                return self._send(method, url, **kwargs)
            except errors.NetworkError:
                if limit is None or not limit.expired:
                    raise
                # A server dripping its answer: each read got a byte, the answer never ended.
                raise errors.NetworkError(
                    f"{self._host} did not finish answering within {limit.seconds:.0f} seconds."
                ) from None

    def _send(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
              json: Any = None, form: list[tuple[str, str]] | None = None,
              company_id: int | None = None, repeatable: bool = False) -> requests.Response:
        """Send one API request with retries, pacing and a single token refresh.

        GET and PATCH are repeated after any passing failure. A POST creates something, so it
        is repeated only when the server surely did not act on it (no connection, 429, 503),
        or when the caller says a second copy does no harm (``repeatable``); otherwise, after
        a read timeout or a 500/502/504 the retryable error goes to the caller, who can look
        before creating again.
        """
        idempotent = method != "POST" or repeatable
        refreshed = False
        attempt = 0
        files = [(name, (None, value)) for name, value in form] if form is not None else None
        while True:
            if abort.current_stopped():
                raise errors.Cancelled()
            self.pacer.wait()
            token = self._tokens.access_token()
            try:
                response = self._session.request(
                    method, url, params=params, json=json, files=files,
                    headers=self._headers(url, token, company_id), timeout=self._timeout,
                    allow_redirects=False, stream=True)
            except requests.RequestException as exc:
                if abort.current_stopped():
                    raise errors.Cancelled() from None  # cut off: the upload was stopped
                failure = network_error(exc, self._host)
                if not failure.retryable or not (idempotent or surely_not_sent(exc)):
                    raise failure from None
                attempt += 1
                if attempt >= self._retry.attempts:
                    raise failure from None
                self._retry.sleep(self._retry.backoff(attempt - 1))
                continue

            self.pacer.observe(response.headers)
            status = response.status_code
            if 200 <= status < 300:
                try:
                    read_answer(response)  # now, inside the retry loop
                except requests.RequestException as exc:
                    # The answer broke off: the server did act, so only a GET/PATCH goes again.
                    failure = network_error(exc, self._host)
                    attempt += 1
                    if not idempotent or attempt >= self._retry.attempts:
                        raise failure from None
                    self._retry.sleep(self._retry.backoff(attempt - 1))
                    continue
                return response
            body = read_limited(response)
            error = api_error(status, response.headers, body, now=self._retry.clock())
            if status == 401 and company_id is not None and self._token_works(token):
                # The same token is good for /me: it is this company that refuses the app
                # (not installed there). Refreshing or signing in again would loop for ever.
                raise errors.PermissionDenied(f"{APP_NOT_INSTALLED} (Procore said: "
                                              f"{error.message})", status=401)
            if status == 401 and not refreshed:
                # The token expired or was revoked: refresh once (the provider makes sure
                # many threads reporting the same token cause one refresh) and repeat.
                log.info("Procore rejected the access token; refreshing it")
                self._tokens.token_rejected(token)
                refreshed = True
                continue
            if status not in _RETRY_ANY and status != 429:
                raise error
            if not idempotent and status not in _NOT_PROCESSED:
                raise error
            attempt += 1
            if attempt >= self._retry.attempts:
                raise error
            wait = None
            if status in _NOT_PROCESSED:
                wait = server_wait(response.headers, self._retry.clock())
            if wait is None:
                wait = self._retry.backoff(attempt - 1)
            if wait > self._retry.max_server_wait:
                raise error
            log.info("%s %s answered HTTP %d; trying again in %.1f s",
                     method, urlsplit(url).path, status, wait)
            if status in (429, 503):
                # "Never send a request the server told it to hold back": every thread waits.
                self.pacer.hold(wait)
            else:
                self._retry.sleep(wait)


def _token_works_on_me(session: requests.Session, api_base: str, token: str,
                       timeout: tuple[float, float]) -> bool:
    """Whether ``/me`` accepts ``token`` (one plain request, no retries)."""
    try:
        with session.get(f"{api_base}/rest/v1.0/me", timeout=timeout, allow_redirects=False,
                         headers={"Authorization": f"Bearer {token}",
                                  "Accept": "application/json"}) as answer:
            return answer.status_code == 200
    except requests.RequestException:
        return False


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _more_by_total(headers: Mapping[str, str], page: int, count: int,
                   per_page: int = PER_PAGE) -> bool:
    """Whether another page follows, for an answer without a Link header."""
    try:
        total = int(headers["Total"])
        per_page = int(headers.get("Per-Page") or count)
    except (KeyError, ValueError):
        # No paging headers at all: a full page may have a successor, a short one has not.
        return count >= per_page
    return page * per_page < total


def _with_own_params(link: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A next-page link with the listing's own parameters put back: Procore's links carry
    ``page`` and ``per_page`` but, as its pagination example shows, not the request's other
    parameters (``project_id``, filters), which the next page needs as much as the first."""
    parts = urlsplit(link)
    query: dict[str, Any] = dict(params)
    query.update(parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), query


def _segment(value: str) -> str:
    """A path segment from an id the server gave, refusing anything that would change the path."""
    text = str(value)
    if not text or "/" in text or "?" in text or "#" in text or text in (".", ".."):
        raise errors.BadResponse(f"Procore gave an upload id the uploader cannot use: {text!r}.")
    return text
