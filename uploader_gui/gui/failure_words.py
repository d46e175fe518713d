"""Why an upload did not go, in the app's own words with what to do next.

The journal keeps the server's own text (or the app's sentence) as an upload's ``error``. The
window never shows that text alone: it picks the app's sentence for the kind of failure and keeps
the server's words as details, for "Copy details" and the tooltip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from uploader_gui.transfer.model import UploadItem

#: Link addresses carry signatures in their query; details never copy them.
_QUERY = re.compile(r"(https?://[^\s?\"'<>]+)\?[^\s\"'<>]*")


@dataclass(frozen=True)
class Explanation:
    """What went wrong (one sentence) and what to do about it."""

    #: The app's own sentence.
    what: str
    #: The next step for the person.
    next_step: str
    #: The server's words (or the app's internal text) for support; may be empty.
    details: str = ""

    def __str__(self) -> str:
        return f"{self.what} {self.next_step}"


def _folder(item: UploadItem | None) -> str:
    if item is None:
        return "this folder"
    label = item.where.split(" / ")[-1] if item.where else ""
    return label or "this folder"


def _has(text: str, *needles: str) -> bool:
    low = text.casefold()
    return any(n.casefold() in low for n in needles)


#: The app's own sentences (engine and scanner): already plain; the next step is added.
_OWN = (
    (("moved, renamed or deleted",), "Add the file again from where it is now."),
    (("keeps changing",), "Close the file in the program that has it open, then choose Retry."),
    (("could not be read",), "Check that the file opens on this computer, then choose Retry."),
    (("changed since it was added", "changed while it was being uploaded"),
     "Choose Retry to upload its latest saved version."),
    (("is uploading this file right now",), "Wait for it to finish; nothing to do here."),
)


def explain(error: str | None, item: UploadItem | None = None) -> Explanation:
    """The app's sentence and next step for an upload's ``error`` text."""
    raw = (error or "").strip()
    details = scrub(raw)
    folder = _folder(item)
    for needles, step in _OWN:
        if _has(raw, *needles):
            return Explanation(_first_sentence(raw), step)
    if _has(raw, "procore-uploader login", "sign in", "signed in", "sign-in", "unauthorized",
            "invalid_grant", "401"):
        return Explanation("Procore asked you to sign in again.",
                           "Choose Sign in at the top right; the upload continues afterwards.",
                           details)
    if _has(raw, "forbidden", "permission", "not authorized", "accessdenied", "access denied",
            "403"):
        return Explanation(f"You don't have permission to add files to {folder}.",
                           "Ask your Procore administrator for access to it, or choose another "
                           "folder, then choose Retry.", details)
    if _has(raw, "signaturedoesnotmatch", "signing method", "request has expired",
            "expired", "invalidaccesskeyid", "link"):
        return Explanation("Procore's file storage did not accept the upload link.",
                           "Choose Retry: the app asks Procore for a new link and continues.",
                           details)
    if _has(raw, "gone", "410", "nosuchupload"):
        return Explanation("Procore stopped waiting for this upload to finish.",
                           "Choose Retry to send the file again.", details)
    if _has(raw, "not found", "404", "does not exist", "nosuchbucket", "nosuchkey"):
        return Explanation(f"{folder} is no longer in Procore (it may have been moved or "
                           "deleted).",
                           "Choose another folder on the left and add the file again.", details)
    if _has(raw, "already exists", "conflict", "409", "has already been taken"):
        return Explanation(f"A file with this name is already in {folder}.",
                           "Rename the file on this computer, or add it again and choose "
                           "\"Upload as a new version\".", details)
    if _has(raw, "too large", "entitytoolarge", "too small", "entitytoosmall"):
        return Explanation("Procore did not accept the file's size.",
                           "Check that the file is complete, then choose Retry; if it fails "
                           "again, choose Copy details for your Procore administrator.", details)
    if _has(raw, "too many", "429", "rate limit", "slowdown", "slow down"):
        return Explanation("Procore asked the app to slow down and the upload ran out of "
                           "tries.", "Choose Retry in a few minutes.", details)
    if _has(raw, "certificate", "ssl", "tls"):
        return Explanation("The connection to Procore could not be checked as safe (a "
                           "security certificate problem on this network).",
                           "Ask your IT support to look at this computer's connection, then "
                           "choose Retry.", details)
    if _has(raw, "connection", "timed out", "timeout", "unreachable", "network",
            "name resolution", "reset"):
        return Explanation("Procore could not be reached.",
                           "Check the internet connection, then choose Retry.", details)
    if _has(raw, "500", "502", "503", "504", "internal", "unavailable", "bad gateway",
            "server error", "internalerror", "unexpected answer", "not json", "malformed",
            "invalid json"):
        return Explanation("Procore had a problem on its side.",
                           "Choose Retry in a few minutes.", details)
    if _has(raw, "422", "400", "invalid", "unprocessable", "can't be blank", "is not allowed",
            "validation", "bad request"):
        return Explanation("Procore did not accept this file as it was sent.",
                           "Check the file's name, then choose Retry; if it fails again, "
                           "choose Copy details for your Procore administrator.", details)
    return Explanation("The upload did not go through.",
                       "Choose Retry; if it fails again, choose Copy details and send them to "
                       "your Procore administrator.", details)


def _first_sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def scrub(text: str) -> str:
    """``text`` with link queries (signatures, tokens) left out."""
    return _QUERY.sub(r"\1?…", text)


def details_for(items: list[UploadItem]) -> str:
    """What "Copy details" puts on the clipboard: each failed file, where, why; no secrets."""
    lines = []
    for item in items:
        why = explain(item.error, item)
        lines.append(f"{item.name}\n  from: {item.path}\n  to: {item.where}\n  {why}")
        if why.details:
            lines.append(f"  details: {why.details}")
    return "\n".join(lines)
