"""Turning HTTP answers from Procore and its storage into data or typed errors.

Procore's error bodies come in several shapes (see the API notes); storage answers S3 XML;
proxies and gateways answer HTML pages. Whatever came back, the person sees one short,
plain sentence, preferably the server's own words, and never a secret.
"""

from __future__ import annotations

import email.utils
import html
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import requests

from uploader_gui.procore import errors
from uploader_gui.procore.redact import redact

log = logging.getLogger(__name__)

#: Error bodies are read up to this many bytes: enough for any real message, and a
#: misbehaving server cannot make the client hold megabytes of HTML.
MAX_ERROR_BODY = 64 * 1024
#: A successful answer larger than this is not one of Procore's (its biggest pages are a few
#: hundred kilobytes): reading on would only fill memory.
MAX_ANSWER = 16 * 1024 * 1024
#: Messages shown to people are cut at this length.
MAX_MESSAGE = 500
_FIRST_LINE = 160

_DEFAULT_MESSAGES = {
    400: "Procore did not accept the request.",
    401: "Procore did not accept the sign-in. Please sign in again.",
    403: "You do not have permission to do this in Procore.",
    404: "Procore could not find this item, or you do not have access to it.",
    409: "Procore reported a conflict with another change. Please try again.",
    410: "This upload is no longer available in Procore and has to start again.",
    422: "Procore did not accept the request.",
    429: "Procore is receiving too many requests from you. Please wait a moment.",
}

_EXPIRED_CODES = {"ExpiredToken", "TokenRefreshRequired"}
#: A body that starts with a tag is markup even without <html> (a fragment from a proxy).
_MARKUP = re.compile(r"<[A-Za-z!/][^>]*>")


def read_limited(response: requests.Response, limit: int = MAX_ERROR_BODY) -> bytes:
    """At most ``limit`` bytes of a streamed response's body; the response is closed after."""
    body = bytearray()
    try:
        for chunk in response.iter_content(chunk_size=16 * 1024):
            body += chunk
            if len(body) >= limit:
                del body[limit:]
                break
    except (requests.RequestException, OSError) as exc:
        # A body that breaks off still tells the status; what arrived is enough to explain it.
        log.debug("error body broke off: %s", redact(str(exc)))
    finally:
        response.close()
    return bytes(body)


def read_answer(response: requests.Response) -> None:
    """Read a streamed successful answer's body, at most :data:`MAX_ANSWER` bytes.

    Afterwards ``response.content`` holds it. A body that breaks off raises requests' own
    error (the caller may try again); one that is too large raises BadResponse.
    """
    body = bytearray()
    for chunk in response.iter_content(chunk_size=64 * 1024):
        body += chunk
        if len(body) > MAX_ANSWER:
            response.close()
            raise errors.BadResponse(
                "Procore sent an answer far larger than expected (over "
                f"{MAX_ANSWER // (1024 * 1024)} MB); the uploader stopped reading it.",
                status=response.status_code)
    response._content = bytes(body)  # what response.content returns from now on


def parse_json(response: requests.Response) -> Any:
    """The JSON of a successful answer (``{}`` when empty); BadResponse when it is not JSON."""
    body = response.content
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested too deep to read
        raise errors.BadResponse(
            "Procore sent an answer the uploader could not read "
            f"(HTTP {response.status_code}: {first_line(body) or 'not data'}).",
            status=response.status_code) from None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date), None if absent."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        log.debug("unreadable Retry-After %r ignored", value)
        return None
    return max(0.0, when.timestamp() - now)


def server_wait(headers: Mapping[str, str], now: float) -> float | None:
    """How long the server asked to hold back: ``Retry-After``, else ``X-Rate-Limit-Reset``."""
    wait = parse_retry_after(headers.get("Retry-After"), now)
    if wait is not None:
        return wait
    reset = headers.get("X-Rate-Limit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            log.debug("unreadable X-Rate-Limit-Reset %r ignored", reset)
    return None


def first_line(body: bytes | str) -> str:
    """The first line of readable text in a body: a page's title, or its first text line."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if _looks_like_html(text) or _MARKUP.match(text.lstrip()):
        title = re.search(r"(?is)<title[^>]*>(.*?)</title>", text)
        if title and title.group(1).strip():
            text = title.group(1)
        else:
            text = re.sub(r"(?is)<(script|style)[^>]*>.*?</\1>", " ", text)
            text = re.sub(r"(?s)<[^>]*>", "\n", text)
        text = html.unescape(text)
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return redact(_cut(line, _FIRST_LINE))
    return ""


def api_error(status: int, headers: Mapping[str, str], body: bytes, *,
              now: float = 0.0) -> errors.ProcoreError:
    """The typed error for a failed Procore API answer."""
    retry_after = server_wait(headers, now) if status in (429, 503) else None
    data, is_json = _load_json(body)
    if not is_json and body.strip() and status < 500 and status != 429:
        # A page instead of data usually means a wrong address, a proxy or a login portal
        # in the way: treating it as "not found" or "forbidden" would mislead the engine.
        return errors.BadResponse(
            f"Procore answered with an unexpected page (HTTP {status}: {first_line(body)}).",
            status=status)
    message, fields, code = _json_message(data) if is_json else (None, {}, None)
    text = _finish(message) or _default_message(status)
    if not is_json and body.strip():
        # A gateway's page on a 5xx or 429: say what happened, quote its first line.
        line = first_line(body)
        if status == 429:
            text = f"{_default_message(429)} (HTTP 429: {line})"
        elif status >= 500:
            text = (f"Procore had a problem on its side (HTTP {status}: {line}). "
                    "Please try again later.")
    if status in (400, 422):
        return errors.ValidationFailed(text, fields=fields, status=status, code=code)
    kind: type[errors.ProcoreError]
    if status == 401:
        kind = errors.AuthError
    elif status == 403:
        kind = errors.PermissionDenied
    elif status == 404:
        kind = errors.NotFound
    elif status == 409:
        kind = errors.Conflict
    elif status == 410:
        kind = errors.Gone
    elif status == 429:
        kind = errors.RateLimited
    elif status == 408:
        # Request Timeout: the server gave up waiting for the request; sending it again is
        # what HTTP says to do.
        kind = errors.ServerError
        text = ("Procore took too long to receive the request (HTTP 408). "
                "It is sent again by itself.")
    elif status >= 500:
        kind = errors.ServerError
        if not message and (is_json or not body.strip()):
            text = f"Procore had a problem on its side (HTTP {status}). Please try again later."
        elif is_json:
            # Its own words ("Internal Server Error") alone would not tell an office worker
            # that the fault is Procore's and that trying later may work.
            text = (f"Procore had a problem on its side (HTTP {status}: {message}). "
                    "Please try again later.")
    elif 300 <= status < 400:
        kind = errors.BadResponse
        text = (f"Procore answered with a redirect (HTTP {status}), which the uploader does not "
                "follow. Check the Procore address in the settings.")
    else:
        kind = errors.ProcoreError
    return kind(text, status=status, code=code, retry_after=retry_after)


def storage_error(status: int, headers: Mapping[str, str], body: bytes, *,
                  now: float = 0.0) -> errors.StorageError:
    """The typed error for a failed storage answer (S3 XML, or anything else)."""
    text = body.decode("utf-8", "replace")
    code = _xml_tag(text, "Code")
    message = _xml_tag(text, "Message")
    retry_after = server_wait(headers, now) if status in (429, 503) else None
    if code is None and message is None and body.strip():
        message = first_line(body)
    detail = _finish(message)
    if _expired(status, code, message):
        return errors.LinkExpired(
            f"The upload link has expired ({detail or 'request has expired'}); "
            "a new link is needed.", status=status, code=code or "AccessDenied")
    if status >= 500:
        summary = f"The storage service had a problem (HTTP {status})"
    else:
        summary = f"The storage service refused the upload (HTTP {status})"
    parts = [p for p in (detail, code) if p]
    text = f"{summary}: {' / '.join(parts)}." if parts else f"{summary}."
    return errors.StorageError(text, status=status, code=code, retry_after=retry_after)


def _expired(status: int, code: str | None, message: str | None) -> bool:
    if code in _EXPIRED_CODES:
        return True
    lowered = (message or "").lower()
    return status == 403 and code in (None, "AccessDenied") and "expired" in lowered


def _xml_tag(text: str, tag: str) -> str | None:
    # A regular expression rather than an XML parser: the body is untrusted, and only two
    # flat tags of S3's <Error> document are needed.
    match = re.search(rf"<{tag}>([^<]*)</{tag}>", text)
    return html.unescape(match.group(1)).strip() if match else None


def _load_json(body: bytes) -> tuple[Any, bool]:
    if not body.strip():
        return None, False
    try:
        return json.loads(body), True
    except (ValueError, RecursionError):
        return None, False


def _json_message(data: Any) -> tuple[str | None, dict[str, list[str]], str | None]:
    """(message, per-field messages, error code) from any of Procore's error shapes."""
    fields: dict[str, list[str]] = {}
    code: str | None = None
    if isinstance(data, str):
        return data, fields, code
    if isinstance(data, list):
        return _join(_strings(data)), fields, code
    if not isinstance(data, dict):
        return None, fields, code
    found: list[str] = []
    errors_value = data.get("errors")
    if isinstance(errors_value, dict):
        fields = _field_map(errors_value)
        found.extend(_field_sentences(fields))
    elif errors_value is not None:
        found.extend(_strings(errors_value))
    error_value = data.get("error")
    if isinstance(error_value, dict):
        raw_code = error_value.get("code")
        code = str(raw_code) if raw_code is not None else None
        if isinstance(error_value.get("message"), str):
            found.append(error_value["message"])
        details = error_value.get("details")
        if isinstance(details, dict):
            more = _field_map(details)
            fields.update(more)
            found.extend(_field_sentences(more))
        elif details is not None:
            found.extend(_strings(details))
    elif isinstance(error_value, str) and not found:
        # OAuth-style answers put the readable part in error_description.
        description = data.get("error_description")
        found.append(description if isinstance(description, str) else error_value)
    if not found and isinstance(data.get("message"), str):
        found.append(data["message"])
    return _join(found), fields, code


def _field_map(value: dict[Any, Any]) -> dict[str, list[str]]:
    return {str(key): _strings(messages) for key, messages in value.items()}


def _field_sentences(fields: dict[str, list[str]]) -> list[str]:
    sentences = []
    for name, messages in fields.items():
        for message in messages:
            if name in ("base", ""):
                sentences.append(message)
            else:
                sentences.append(f"{name.replace('_', ' ')} {message}")
    return sentences


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        out: list[str] = []
        for entry in value:
            out.extend(_strings(entry))
        return out
    if isinstance(value, dict):
        message = value.get("message") or value.get("detail") or value.get("error")
        if isinstance(message, str):
            field = value.get("field") or value.get("attribute")
            return [f"{str(field).replace('_', ' ')} {message}" if field else message]
        return []
    return [str(value)] if value is not None else []


def _join(messages: list[str]) -> str | None:
    cleaned = [" ".join(m.split()) for m in messages if m and m.strip()]
    return "; ".join(dict.fromkeys(cleaned)) or None


def _finish(message: str | None) -> str | None:
    if not message:
        return None
    return redact(_cut(" ".join(message.split()), MAX_MESSAGE))


def _default_message(status: int) -> str:
    return _DEFAULT_MESSAGES.get(
        status, f"Procore answered with an unexpected error (HTTP {status}).")


def _looks_like_html(text: str) -> bool:
    head = text[:512].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<body")) or "<html" in head


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
