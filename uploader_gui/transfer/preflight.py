"""What Procore already says before any byte is sent: a folder nobody may add to, a document
checked out by someone else. Refusing early saves the upload and says the real reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uploader_gui.procore.errors import PermissionDenied


def checked_twice(check: Callable[[dict[str, Any]], None], cached: dict[str, Any],
                  fresh: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
    """Run ``check`` on a cached record and, before refusing, on a fresh one (the folder or
    document may have changed since it was read). Returns the record that passed."""
    try:
        check(cached)
        return cached
    except PermissionDenied:
        again = fresh() or cached
        check(again)
        return again


def check_folder_writable(listing: dict[str, Any], label: str) -> None:
    """Refuse a destination folder Procore marks ``read_only`` (or a deleted one)."""
    name = str(listing.get("name_with_path") or listing.get("name") or "") or label
    if listing.get("is_deleted") or listing.get("is_recycle_bin"):
        raise PermissionDenied(f'"{name}" has been deleted in Procore, so files cannot be '
                               "added to it. Choose another folder.")
    if listing.get("read_only"):
        raise PermissionDenied(
            f'You cannot add files to "{name}" in Procore: the folder is read-only for you. '
            "Ask your Procore administrator for permission, or choose another folder.")


def check_not_checked_out(document: dict[str, Any], me: str | None) -> None:
    """Refuse a new version of a document checked out by someone else."""
    holder = document.get("checked_out_by")
    if not isinstance(holder, dict) or holder.get("id") is None:
        return
    if me is not None and str(holder.get("id")) == str(me):
        return
    who = str(holder.get("name") or holder.get("login") or "another user")
    raise PermissionDenied(
        f'"{document.get("name")}" is checked out by {who} in Procore, so a new version cannot '
        "be added until it is checked in. Ask them to check it in and retry, or upload it "
        "with \"Keep both\".")
