"""Answers turned into typed errors: every error shape, S3 XML, pages, huge bodies."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator

import pytest
import requests

from uploader_gui.procore import errors
from uploader_gui.procore.http import build_session
from uploader_gui.procore.responses import (
    MAX_ERROR_BODY,
    api_error,
    first_line,
    parse_retry_after,
    read_limited,
    server_wait,
    storage_error,
)

from .conftest import Reply, ScriptedServer

NOW = 1_700_000_000.0


@pytest.mark.parametrize(("body", "message"), [
    (b'{"errors": {"name": ["has already been taken"]}}', "name has already been taken"),
    (b'{"errors": {"base": ["Folder is locked"], "name": ["is too long", "is bad"]}}',
     "Folder is locked; name is too long; name is bad"),
    (b'{"errors": "Missing Procore-Company-Id header!"}', "Missing Procore-Company-Id header!"),
    (b'{"errors": ["one", "two"]}', "one; two"),
    (b'{"error": "Upload not found"}', "Upload not found"),
    (b'{"error": "invalid_grant", "error_description": "The refresh token is invalid"}',
     "The refresh token is invalid"),
    (b'{"message": "Segments are not complete"}', "Segments are not complete"),
    ((b'{"error": {"code": "invalid", "message": "Invalid segments", '
     b'"details": [{"field": "etag", "message": "is missing"}]}}'),
     "Invalid segments; etag is missing"),
    (b'{"error": {"code": "invalid", "message": "Bad request", "details": {"size": ["too big"]}}}',
     "Bad request; size too big"),
    (b'"just a string"', "just a string"),
])
def test_json_error_shapes(body: bytes, message: str) -> None:
    error = api_error(422, {}, body)
    assert isinstance(error, errors.ValidationFailed)
    assert error.message == message


def test_error_object_code_and_detail_fields_are_kept() -> None:
    error = api_error(400, {}, b'{"error": {"code": "bad_size", "message": "Bad", '
                               b'"details": {"size": ["too big"]}}}')
    assert isinstance(error, errors.ValidationFailed)
    assert error.code == "bad_size" and error.fields == {"size": ["too big"]}


@pytest.mark.parametrize(("status", "kind"), [
    (401, errors.AuthError), (403, errors.PermissionDenied), (404, errors.NotFound),
    (409, errors.Conflict), (410, errors.Gone), (429, errors.RateLimited),
    (500, errors.ServerError), (503, errors.ServerError), (418, errors.ProcoreError),
])
def test_statuses_map_to_error_types(status: int, kind: type[errors.ProcoreError]) -> None:
    error = api_error(status, {}, b'{"error": "server words"}')
    assert type(error) is kind
    if status >= 500:  # the server's words, said to be Procore's problem
        assert error.message == (f"Procore had a problem on its side (HTTP {status}: server "
                                 "words). Please try again later.")
    else:
        assert error.message == "server words"
    assert error.status == status


def test_retry_hints_only_for_429_and_503() -> None:
    headers = {"Retry-After": "12"}
    assert api_error(429, headers, b"{}", now=NOW).retry_after == 12
    assert api_error(503, headers, b"{}", now=NOW).retry_after == 12
    assert api_error(500, headers, b"{}", now=NOW).retry_after is None


def test_bad_json_and_pages_are_bad_responses_with_one_line() -> None:
    error = api_error(404, {}, b"<html><head><title>404 Not Found</title></head>"
                               b"<body><h1>Not Found</h1>" + b"x" * 10000 + b"</body></html>")
    assert type(error) is errors.BadResponse
    assert error.message == "Procore answered with an unexpected page (HTTP 404: 404 Not Found)."
    error = api_error(400, {}, b'{"errors": {"name": [')  # cut off
    assert type(error) is errors.BadResponse
    assert "HTTP 400" in error.message and len(error.message) < 200


def test_gateway_page_on_5xx_stays_retryable() -> None:
    error = api_error(502, {}, b"<html><body>\n\n<h1>502 Bad Gateway</h1>\n<hr>nginx</body></html>")
    assert type(error) is errors.ServerError and error.retryable
    assert error.message == ("Procore had a problem on its side (HTTP 502: 502 Bad Gateway). "
                             "Please try again later.")


def test_first_line_of_pages_and_text() -> None:
    assert first_line(b"<!doctype html><html><body><script>var a=1;</script>\n<p>Sign in"
                      b" &amp; continue</p></body></html>") == "Sign in & continue"
    assert first_line(b"\n\n  plain   words \nsecond") == "plain words"
    assert len(first_line(b"y" * 5000)) <= 160


def test_markup_fragment_without_html_tag_loses_its_tags() -> None:
    # A proxy's bare fragment is still markup: the person sees its text, not its tags.
    assert first_line(b"<p>Upstream timed out</p><p>more</p>") == "Upstream timed out"
    error = api_error(500, {}, b"<p>" + b"x" * 3000)
    assert "<p>" not in error.message and error.message.startswith("Procore had a problem")
    assert first_line(b"1 < 2 and 3 > 2") == "1 < 2 and 3 > 2"


def test_long_messages_are_cut() -> None:
    error = api_error(422, {}, b'{"error": "' + b"z" * 5000 + b'"}')
    assert len(error.message) <= 500


@pytest.mark.parametrize(("xml", "kind", "code"), [
    (b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
     errors.LinkExpired, "AccessDenied"),
    ((b"<Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired."
     b"</Message></Error>"), errors.LinkExpired, "AccessDenied"),
    (b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
     errors.StorageError, "AccessDenied"),
    ((b"<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
     b"does not match</Message></Error>"), errors.StorageError, "SignatureDoesNotMatch"),
])
def test_s3_errors(xml: bytes, kind: type[errors.StorageError], code: str) -> None:
    error = storage_error(403, {}, b'<?xml version="1.0" encoding="UTF-8"?>\n' + xml)
    assert type(error) is kind
    assert error.code == code and not error.retryable


def test_storage_errors_without_xml() -> None:
    error = storage_error(502, {}, b"<html><title>Bad Gateway</title></html>")
    assert error.retryable and error.code is None
    assert error.message == "The storage service had a problem (HTTP 502): Bad Gateway."
    refused = storage_error(400, {}, b"")
    assert refused.message == "The storage service refused the upload (HTTP 400)."


def test_retry_after_forms() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after(email.utils.formatdate(NOW + 90, usegmt=True), NOW) == 90
    assert parse_retry_after(email.utils.formatdate(NOW - 90, usegmt=True), NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert server_wait({"X-Rate-Limit-Reset": str(int(NOW) + 40)}, NOW) == 40
    assert server_wait({"Retry-After": "5", "X-Rate-Limit-Reset": str(int(NOW) + 40)}, NOW) == 5
    assert server_wait({}, NOW) is None


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with build_session() as s:
        yield s


def test_huge_error_body_is_read_only_up_to_the_limit(server: ScriptedServer,
                                                      session: requests.Session) -> None:
    server.route = lambda seen: Reply(500, b"E" * (8 * 1024 * 1024))
    response = session.get(server.url, stream=True, timeout=5)
    body = read_limited(response)
    assert len(body) == MAX_ERROR_BODY
    error = api_error(response.status_code, response.headers, body)
    assert isinstance(error, errors.ServerError) and len(error.message) <= 500
