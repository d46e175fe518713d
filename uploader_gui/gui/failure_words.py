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
_OWN: tuple[tuple[tuple[str, ...], str], ...] = (
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
    for needles, what, step in _rules(folder):
        if _has(raw, *needles):
            return Explanation(what, step, details)
    return Explanation("The upload did not go through.",
                       "Choose Retry; if it fails again, choose Copy details and send them to "
                       "your Procore administrator.", details)


_RETRY_LATER = "Choose Retry in a few minutes."
_ASK_ADMIN = "choose Copy details and send them to your Procore administrator."


def _rules(folder: str) -> tuple[tuple[tuple[str, ...], str, str], ...]:
    """(words in the error, the app's sentence, the next step), first match wins."""
    return (
        (("unexpected page", "redirect"),
         "The Procore address answered with a web page instead of Procore's data (a wrong "
         "address, or a proxy or sign-in portal in the way).",
         "Ask your IT support to check the Procore address in Settings and this network."),
        (("certificate", "secure connection", "ssl"),
         "The connection to Procore could not be checked as safe (a security certificate "
         "problem on this network).",
         "Ask your IT support to look at this computer's connection, then choose Retry."),
        (("proxy",),
         "This network's proxy server did not let the connection to Procore through.",
         "Ask your IT support to check the proxy settings, then choose Retry."),
        (("upload link has expired", "request has expired", "policy expired"),
         "The upload link Procore gave ran out of time.",
         "Choose Retry: the app asks Procore for a new link and continues."),
        (("storage service had a problem",),
         "Procore's file storage had a problem on its side.", _RETRY_LATER),
        (("storage service refused", "signaturedoesnotmatch", "signing method",
          "invalidaccesskeyid"),
         "Procore's file storage did not accept the upload link.",
         "Choose Retry: the app asks Procore for a new link; if it fails again, " + _ASK_ADMIN),
        (("procore-uploader login", "sign in", "signed in", "sign-in", "unauthorized",
          "invalid_grant", "401"),
         "Procore asked you to sign in again.",
         "Choose Sign in at the top right; the upload continues afterwards."),
        (("forbidden", "permission", "not authorized", "access denied", "accessdenied",
          "403"),
         f"You don't have permission to add files to {folder}.",
         "Ask your Procore administrator for access to it, or choose another folder, then "
         "choose Retry."),
        (("gone", "410", "nosuchupload", "no longer exists"),
         "Procore stopped waiting for this upload to finish.",
         "Choose Retry to send the file again."),
        (("not found", "404", "does not exist"),
         f"{folder} is no longer in Procore (it may have been moved or deleted).",
         "Choose another folder on the left and add the file again."),
        (("already exists", "conflict", "409", "has already been taken"),
         f"A file with this name is already in {folder}.",
         "Rename the file on this computer, or add it again and choose \"Upload as a new "
         "version\"."),
        (("too large", "entitytoolarge", "too small", "entitytoosmall"),
         "Procore did not accept the file's size.",
         "Check that the file is complete, then choose Retry; if it fails again, " + _ASK_ADMIN),
        (("too many", "429", "rate limit", "slowdown", "slow down"),
         "Procore asked the app to slow down and the upload ran out of tries.", _RETRY_LATER),
        (("connection", "did not answer", "stopped answering", "timed out", "timeout",
          "unreachable", "network", "name resolution"),
         "Procore could not be reached.",
         "Check the internet connection, then choose Retry."),
        (("500", "502", "503", "504", "internal", "unavailable", "bad gateway",
          "server error", "problem on its side", "not json", "malformed", "invalid json",
          "unexpected answer"),
         "Procore had a problem on its side.", _RETRY_LATER),
        (("422", "400", "invalid", "unprocessable", "can't be blank", "is not allowed",
          "validation", "bad request"),
         "Procore did not accept this file as it was sent.",
         "Check the file's name, then choose Retry; if it fails again, " + _ASK_ADMIN),
    )


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


def disk_problem(exc: BaseException) -> str:
    """Why a file of the app's own could not be written, without error numbers."""
    reason = getattr(exc, "strerror", None) or "the file could not be written"
    return (f"{reason[:1].lower()}{reason[1:]}. Check that the disk has room and try again; "
            "if it keeps happening, ask your IT support.")
