"""The sandbox's browser pages: what "Open folder in Procore" opens in demo mode.

Procore's web links (``/{project_id}/project/documents?folder_id=F``,
``/{company_id}/company/documents?folder_id=F``, ``/{project_id}/project/photos``) are opened
by a browser, which carries no API token. On the sandbox they answer a plain read-only page
listing the folder's documents (or the project's photos); anything unknown is a 404 page.
Every name is escaped: a file may be called ``<script>``.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Mapping, Sequence

from . import documents, file_links
from .records import Folder
from .state import SandboxState

Answer = tuple[int, dict[str, str], bytes]

_DOCUMENTS = re.compile(r"^/(?P<id>\d+)/(?P<kind>project|company)/documents/?$")
_PHOTOS = re.compile(r"^/(?P<id>\d+)/project/photos/?$")
#: A page that runs nothing and loads nothing from elsewhere.
_HEADERS = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff"}


def is_page(path: str) -> bool:
    """Whether ``path`` is one of the browser pages (the API answers everything else)."""
    return bool(_DOCUMENTS.match(path) or _PHOTOS.match(path)) or file_links.is_file_link(path)


def handle(state: SandboxState, path: str, query: Mapping[str, list[str]]) -> Answer:
    """The page for a GET of ``path`` (one that ``is_page``)."""
    if file_links.is_file_link(path):
        return file_links.serve(state, path, query)
    with state.lock:
        found = _PHOTOS.match(path)
        if found:
            return _photos(state, int(found["id"]))
        found = _DOCUMENTS.match(path)
        if found is None:
            return _not_found()
        folder = _folder(state, int(found["id"]), found["kind"] == "project",
                         query.get("folder_id"))
        if folder is None:
            return _not_found()
        return _documents(state, folder)


def _folder(state: SandboxState, owner_id: int, is_project: bool,
            wanted: list[str] | None) -> Folder | None:
    """The folder the link names, or None when it is not this project's (or company's)."""
    if is_project and owner_id not in state.projects:
        return None
    if not is_project and owner_id not in state.companies:
        return None
    if wanted is None:
        try:
            return state.root_folder(project_id=owner_id) if is_project \
                else state.root_folder(company_id=owner_id)
        except KeyError:
            return None
    if len(wanted) != 1 or not wanted[0].isascii() or not wanted[0].isdigit():
        return None
    folder = state.folders.get(int(wanted[0]))
    if folder is None or folder.deleted:
        return None
    if is_project and folder.project_id != owner_id:
        return None
    if not is_project and (folder.project_id is not None or folder.company_id != owner_id):
        return None
    return folder


def _documents(state: SandboxState, folder: Folder) -> Answer:
    if folder.project_id is not None:
        owner = state.projects[folder.project_id].name
        base = f"/{folder.project_id}/project/documents"
    else:
        owner = state.companies[folder.company_id].name
        base = f"/{folder.company_id}/company/documents"
    where = documents.folder_path(state, folder) or "Documents"
    rows = []
    for record in documents.folder_files(state, folder.id):
        latest = record.versions[-1] if record.versions else None
        size = latest.size if latest else 0
        moment = latest.created_at if latest else record.created_at
        rows.append((html.escape(record.name), _size(size), _date(moment)))
    subfolders = [f for f in documents.child_folders(state, folder.id)
                  if not f.deleted and not f.recycle_bin]
    parts = [f"<p>{html.escape(owner)}</p>"]
    if subfolders:
        links = "".join(f'<li><a href="{html.escape(base)}?folder_id={f.id}">'
                        f"{html.escape(f.name)}</a></li>" for f in subfolders)
        parts.append(f"<h2>Folders</h2><ul>{links}</ul>")
    parts.append(_table("Documents", ("Name", "Size", "Date"), rows,
                        "This folder holds no documents."))
    return _page(200, where, "".join(parts))


def _photos(state: SandboxState, project_id: int) -> Answer:
    project = state.projects.get(project_id)
    if project is None:
        return _not_found()
    albums = {a.id: a.name for a in state.albums.values() if a.project_id == project_id}
    rows = [(html.escape(i.name), _size(i.size), _date(i.created_at),
             html.escape(albums.get(i.album_id, "Uncategorized") if i.album_id is not None
                         else "Uncategorized"))
            for i in sorted(state.images.values(), key=lambda i: i.id)
            if i.project_id == project_id]
    body = (f"<p>{html.escape(project.name)}</p>"
            + _table("Photos", ("Name", "Size", "Date", "Album"), rows,
                     "This project holds no photos."))
    return _page(200, "Photos", body)


def _table(caption: str, heads: tuple[str, ...], rows: Sequence[tuple[str, ...]],
           empty: str) -> str:
    if not rows:
        return f"<p>{html.escape(empty)}</p>"
    head = "".join(f"<th>{h}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value, unit = size / 1024, "KB"
    for larger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.1f} {unit}"


def _date(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment))


def _not_found() -> Answer:
    return _page(404, "Not found", "<p>There is no such folder or project in this "
                 "practice Procore. It may have been removed.</p>")


def _page(status: int, title: str, body: str) -> Answer:
    page = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)} - Procore (practice)</title></head><body>"
            f"<h1>{html.escape(title)}</h1>{body}"
            "<p><small>A practice copy of Procore: read only.</small></p></body></html>")
    return status, dict(_HEADERS), page.encode()
