"""Secrets never reach messages or logs."""

from __future__ import annotations

import io
import logging

import pytest

from uploader_gui.procore.redact import RedactingFilter, redact


@pytest.mark.parametrize(("text", "expected"), [
    ("Authorization: Bearer eyJhbGciOi.abc-def_123", "Authorization: Bearer [redacted]"),
    ("authorization: bearer abc/def+ghi==", "authorization: bearer [redacted]"),
    ("GET /cb?code=AbC123&state=xyz", "GET /cb?code=[redacted]&state=xyz"),
    ("grant_type=refresh_token&refresh_token=r1&client_secret=s3cr3t&client_id=pub",
     "grant_type=refresh_token&refresh_token=[redacted]&client_secret=[redacted]&client_id=pub"),
    ('{"access_token": "a1", "refresh_token":"r2", "expires_in": 5400}',
     '{"access_token": "[redacted]", "refresh_token":"[redacted]", "expires_in": 5400}'),
    ("https://s3/b/k?X-Amz-Credential=AK&X-Amz-Signature=deadbeef",
     "https://s3/b/k?X-Amz-Credential=AK&X-Amz-Signature=[redacted]"),
    ("error_code=AccessDenied postcode=1234", "error_code=AccessDenied postcode=1234"),
    ("name has already been taken", "name has already been taken"),
])
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_filter_redacts_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.procore.redact")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        logger.info("token %s for %s", "Bearer tok-1", "me")
        try:
            raise RuntimeError("refresh failed for refresh_token=tok-2")
        except RuntimeError:
            logger.exception("sign-in broke, access_token=tok-3")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "tok-" not in output
    assert "token Bearer [redacted] for me" in output
    assert "refresh_token=[redacted]" in output
    assert "RuntimeError" in output
