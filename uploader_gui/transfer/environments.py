"""Which Procore an upload belongs to, and how to speak of uploads kept for another one.

Project, folder and album ids mean nothing on another Procore (production, the monthly
sandbox, a local sandbox): an upload is tied to the API address it was queued for, and only an
engine for that address lists, continues or runs it.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def api_key(api_base: str) -> str:
    """The form of an API address kept with each upload: scheme and host, lower case."""
    parts = urlsplit(api_base.strip())
    if not parts.scheme or not parts.netloc:
        return api_base.strip().rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def shown(api_base: str) -> str:
    """The address for people: its host, or words for uploads that do not say."""
    if not api_base:
        return "a Procore this list did not record (queued by an earlier version)"
    return urlsplit(api_base).netloc or api_base


def elsewhere_note(api_base: str) -> str:
    return (f"This file was queued for another Procore ({shown(api_base)}); it is sent only "
            "when the uploader is used with that Procore.")


#: How the command line's person continues uploads queued by an earlier version here.
ADOPT_BY_COMMAND = (" To continue those queued by an earlier version here, run "
                    "'procore-uploader resume --adopt-older'.")
#: The window's button that does the same, and its message's words for it.
ADOPT_BUTTON = "Continue them here"
ADOPT_BY_BUTTON = (" To send those queued by an earlier version to this Procore, "
                   f"press {ADOPT_BUTTON}.")


def waiting_elsewhere(counts: dict[str, int], adopt_hint: str = ADOPT_BY_COMMAND) -> str | None:
    """One sentence about unfinished uploads kept for other Procores (None when there are none);
    ``adopt_hint`` follows when some were queued by an earlier version."""
    if not counts:
        return None
    parts = [f"{n} for {shown(base)}" for base, n in sorted(counts.items())]
    total = sum(counts.values())
    text = (f"{total} unfinished upload{'s' if total != 1 else ''} "
            f"{'wait' if total != 1 else 'waits'} for another Procore ({'; '.join(parts)}); "
            "they continue when the uploader is used with that Procore.")
    if "" in counts:
        text += adopt_hint
    return text


def adopted_notice(count: int) -> str:
    """Said once uploads queued by an earlier version were given to this Procore."""
    if count == 0:
        return "No upload queued by an earlier version was left to continue."
    return (f"{count} upload{'s' if count != 1 else ''} queued by an earlier version "
            f"{'continue' if count != 1 else 'continues'} here.")
