"""Removing secrets (tokens, client secrets, OAuth codes, link signatures) from text and logs."""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

REDACTED = "[redacted]"

# "Bearer <token>" wherever it appears (headers echoed in errors, debug dumps).
_BEARER = re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9\-._~+/]+=*")

# key=value (query strings, form bodies) and "key": "value" (JSON) for secret keys. The
# lookbehind keeps "error_code=" or "postcode=" intact while "code=" (the OAuth code) goes.
_SECRET_KEYS = (r"access_token|refresh_token|client_secret|id_token|password"
                r"|x-amz-signature|x-amz-security-token|signature")
_KEY_VALUE = re.compile(
    r"(?i)(?<![A-Za-z0-9_\-])(" + _SECRET_KEYS + r"|code)(=)([^&\s\"'<>,;]+)")
_JSON_VALUE = re.compile(
    r"(?i)([\"'](?:" + _SECRET_KEYS + r")[\"']\s*:\s*[\"'])([^\"']*)([\"'])")


def redact(text: str) -> str:
    """``text`` with every bearer token and secret value replaced by ``[redacted]``."""
    if not text:
        return text
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _JSON_VALUE.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from each record's message and traceback.

    Install it on the handlers (a filter on a handler sees records of every logger):
    ``handler.addFilter(RedactingFilter())``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            # The message is final now; formatting it again with args would fail.
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when set, so the redacted traceback is what gets written.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
