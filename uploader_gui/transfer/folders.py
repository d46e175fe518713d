"""Finding and creating Documents folders, each looked up or created once per session."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.errors import NotFound, ValidationFailed

log = logging.getLogger(__name__)

#: What a folder listing is asked for: its folders only, files with their latest version,
#: or files with every version.
FOLDERS, LATEST, FULL = "folders", "latest", "full"


def same_name(a: str, b: str) -> bool:
    """Procore compares document and folder names without regard to case."""
    return a.casefold() == b.casefold()


class FolderResolver:
    """Maps a folder path under a parent to a Procore folder id, creating what is missing.

    Thread-safe: when several workers need the same missing folder, exactly one creates it.
    Listings are cached for the life of the resolver (an engine run), so many files in one
    folder cost one lookup, not one each.
    """

    def __init__(self, client: ProcoreClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._listings: dict[tuple[Scope, int | None, str], dict[str, Any]] = {}

    def listing(self, scope: Scope, folder_id: int | None, fresh: bool = False,
                view: str = FULL) -> dict[str, Any]:
        """The folder's JSON (child ``folders`` and ``files``); None is the root folder.

        ``view``: :data:`FOLDERS` (no files asked for), :data:`LATEST` (files with their
        latest version only) or :data:`FULL` (every version, to find one just added).
        """
        key = (scope, folder_id, view)
        with self._lock_for(("list", *key)):
            if fresh or key not in self._listings:
                options = {"files": view != FOLDERS, "latest_only": view == LATEST}
                if folder_id is None:
                    data = self._client.root_folder(scope, **options)
                else:
                    data = self._client.folder(scope, folder_id, **options)
                with self._lock:
                    self._listings[key] = data
            return self._listings[key]

    def forget(self, scope: Scope, folder_id: int | None) -> None:
        """Forget the folder's file listings (a document was added); its own flags and
        child folders stay known."""
        with self._lock:
            for view in (LATEST, FULL):
                self._listings.pop((scope, folder_id, view), None)

    def resolve(self, scope: Scope, parent_id: int | None, path: Sequence[str],
                create: bool = True) -> int | None:
        """The id of ``parent/path[0]/path[1]/...``; raises NotFound when it is missing and
        ``create`` is False."""
        current = parent_id
        for name in path:
            current = self._child(scope, current, name, create)
        return current

    def _child(self, scope: Scope, parent_id: int | None, name: str, create: bool) -> int:
        with self._lock_for(("child", scope, parent_id, name.casefold())):
            found = self._find_child(self.listing(scope, parent_id, view=FOLDERS), name)
            if found is not None:
                return found
            if not create:
                raise NotFound(f'There is no folder named "{name}" here in Procore.')
            try:
                created = self._client.create_folder(scope, name, parent_id)
            except ValidationFailed:
                # Someone else made it since we looked: look again rather than fail.
                found = self._find_child(
                    self.listing(scope, parent_id, fresh=True, view=FOLDERS), name)
                if found is None:
                    raise
                return found
            log.info("created folder %r under %s", name, parent_id)
            with self._lock:
                for view in (FOLDERS, LATEST, FULL):
                    listing = self._listings.get((scope, parent_id, view))
                    if listing is not None:
                        listing.setdefault("folders", []).append(created)
            return int(created["id"])

    @staticmethod
    def _find_child(listing: dict[str, Any], name: str) -> int | None:
        for folder in listing.get("folders") or []:
            if same_name(str(folder.get("name", "")), name):
                return int(folder["id"])
        return None

    def find_file(self, scope: Scope, folder_id: int | None, name: str,
                  fresh: bool = False) -> dict[str, Any] | None:
        """The document of that name directly in the folder, if any."""
        for doc in self.listing(scope, folder_id, fresh=fresh, view=LATEST).get("files") or []:
            if same_name(str(doc.get("name", "")), name):
                return dict(doc)
        return None

    def _lock_for(self, key: tuple[Any, ...]) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())
