"""What the queue tells the person about an add and about last time's uploads, in plain words."""

from __future__ import annotations

from typing import Protocol

from uploader_gui.domain import Rejected, UploadItem
from uploader_gui.transfer.scan import renamed_note


class AddOutcome(Protocol):
    items: list[UploadItem]
    rejected: list[Rejected]
    duplicates: list[UploadItem]


def describe_add(result: AddOutcome) -> str:
    """One or two sentences about what an add did, for the notice line."""
    parts = []
    if result.items:
        n = len(result.items)
        parts.append(f"{n} file{'s' if n != 1 else ''} added to the queue.")
    renamed = [(i.path.name, note) for i in result.items
               if (note := renamed_note(i.path.name, i.name))]
    if renamed:
        name, note = renamed[0]
        more = f" ({len(renamed) - 1} more names changed too)" if len(renamed) > 1 else ""
        parts.append(f"{name} goes into Procore {note}.{more}")
    if result.duplicates:
        n = len(result.duplicates)
        parts.append(f"{n} file{'s were' if n != 1 else ' was'} already in the queue for "
                     "this place, so not added again.")
    folders = getattr(result, "folders", [])  # empty folders created, as a copy does
    if folders:
        n = len(folders)
        parts.append(f"{n} empty folder{'s' if n != 1 else ''} created in Procore.")
    left_out = getattr(result, "left_out", [])
    if left_out:
        n = len(left_out)
        names = ", ".join(p.name for p in left_out[:3]) + (", …" if n > 3 else "")
        parts.append(f"{n} system file{'s' if n != 1 else ''} left out ({names}): Windows, "
                     "macOS and Office make these by themselves. Drop one on its own to upload "
                     "it anyway.")
    if result.rejected:
        first = result.rejected[0]
        others = len(result.rejected) - 1
        text = f"Not added: {first.path.name or first.path} — {first.reason}"
        if others:
            text += f" (and {others} more)"
        parts.append(text)
    return " ".join(parts) or "Nothing to add: the folder holds no files."


def start_up_notice(continuing: int, paused: int) -> str:
    """What the start-up does with last time's uploads ("" when there were none)."""
    parts = []
    if continuing:
        parts.append(f"Continuing {continuing} unfinished upload"
                     f"{'s' if continuing != 1 else ''} from last time.")
    if paused:
        parts.append(f"{paused} upload{'s' if paused != 1 else ''} you paused "
                     f"{'stay' if paused != 1 else 'stays'} paused: select "
                     f"{'them' if paused != 1 else 'it'} and choose Resume when you are ready.")
    return " ".join(parts)
