"""StorageClient against a scripted S3 stand-in: body layout, headers, errors, cancelling."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from uploader_gui.procore import errors
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.procore.storage import CHUNK, StorageClient

from .conftest import FakeClock, Reply, ScriptedServer

S3_EXPIRED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
              b"<Message>Request has expired</Message><RequestId>1</RequestId></Error>")


@pytest.fixture
def storage() -> Iterator[StorageClient]:
    with StorageClient(timeout=(2, 10)) as client:
        yield client


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "Plan A.pdf"
    path.write_bytes(os.urandom(3 * CHUNK + 12345))
    return path


def parse_form(body: bytes, content_type: str) -> list[email.message.EmailMessage]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    return list(message.iter_parts())  # type: ignore[arg-type]


def test_post_form_layout_fields_in_order_then_file(storage: StorageClient,
                                                    server: ScriptedServer,
                                                    data_file: Path) -> None:
    server.route = lambda seen: Reply(204)
    fields = [("key", "companies/7/UU"), ("Content-Type", "application/pdf"),
              ("Content-Disposition", 'inline; filename="Plan A.pdf"'), ("policy", "eyJ=="),
              ("x-amz-signature", "abcd")]
    progress: list[int] = []
    storage.post_form(f"{server.url}/bucket", fields, data_file, "Plan A.pdf", progress.append,
                      lambda: False)
    seen = server.requests[0]
    assert seen.method == "POST" and seen.path == "/bucket"
    assert not seen.chunked
    assert int(seen.headers["content-length"]) == seen.length
    parts = parse_form(seen.body or b"", seen.headers["content-type"])
    names = [p.get_param("name", header="content-disposition") for p in parts]
    assert names == ["key", "Content-Type", "Content-Disposition", "policy", "x-amz-signature",
                     "file"]
    values = [p.get_payload(decode=True) for p in parts[:-1]]
    assert values == [b"companies/7/UU", b"application/pdf", b'inline; filename="Plan A.pdf"',
                      b"eyJ==", b"abcd"]
    file_part = parts[-1]
    assert file_part.get_filename() == "Plan A.pdf"
    assert file_part.get_content_type() == "application/pdf"
    assert file_part.get_payload(decode=True) == data_file.read_bytes()
    assert sum(progress) == data_file.stat().st_size
    assert max(progress) <= CHUNK


def test_post_form_defaults_to_octet_stream_and_accepts_a_dict(storage: StorageClient,
                                                               server: ScriptedServer,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    server.route = lambda seen: Reply(201, "<PostResponse/>")
    storage.post_form(server.url, {"key": "k"}, path, 'we"ird\nname.bin')
    parts = parse_form(server.requests[0].body or b"", server.requests[0].headers["content-type"])
    assert parts[-1].get_content_type() == "application/octet-stream"
    assert parts[-1].get_payload(decode=True) == b""
    assert 'filename="we%22ird%0Aname.bin"' in (server.requests[0].body or b"").decode()


def test_storage_never_sends_authorization_or_cookies(storage: StorageClient,
                                                      server: ScriptedServer,
                                                      data_file: Path) -> None:
    server.replies = [Reply(204, b"", {"Set-Cookie": "AWSALB=abc; Path=/"})]
    server.route = lambda seen: Reply(200, b"", {"ETag": '"e1"'})
    storage.post_form(server.url, [("key", "k")], data_file, "a")
    storage.put_segment(server.url, {"content-length": "10"}, data_file, 0, 10)
    for seen in server.requests:
        assert "authorization" not in seen.headers
        assert "cookie" not in seen.headers


def test_put_segment_sends_exact_range_and_headers(storage: StorageClient,
                                                   server: ScriptedServer,
                                                   data_file: Path) -> None:
    offset, size = CHUNK + 7, 2 * CHUNK + 3
    segment = data_file.read_bytes()[offset:offset + size]
    given = {"x-amz-content-sha256": hashlib.sha256(segment).hexdigest(),
             "content-length": str(size), "content-md5": "bWQ1"}
    server.route = lambda seen: Reply(200, b"", {"ETag": '"0123abcd"'})
    progress: list[int] = []
    etag = storage.put_segment(f"{server.url}/part?X-Amz-Signature=s", given, data_file,
                               offset, size, progress.append, lambda: False)
    assert etag == "0123abcd"
    seen = server.requests[0]
    assert seen.method == "PUT" and seen.body == segment and not seen.chunked
    assert seen.headers["content-length"] == str(size)
    assert seen.headers["x-amz-content-sha256"] == given["x-amz-content-sha256"]
    assert seen.headers["content-md5"] == "bWQ1"
    assert seen.headers["content-type"] == "application/octet-stream"
    assert [h for h in seen.header_names if h.startswith("x-amz-")] == ["x-amz-content-sha256"]
    assert seen.header_names.count("content-length") == 1
    assert sum(progress) == size


def test_put_segment_without_etag_is_bad_response(storage: StorageClient,
                                                  server: ScriptedServer,
                                                  data_file: Path) -> None:
    server.route = lambda seen: Reply(200)
    with pytest.raises(errors.BadResponse, match="no ETag"):
        storage.put_segment(server.url, {}, data_file, 0, 100)


def test_expired_link_is_link_expired(storage: StorageClient, server: ScriptedServer,
                                      data_file: Path) -> None:
    server.route = lambda seen: Reply(403, S3_EXPIRED, {"Content-Type": "application/xml"})
    with pytest.raises(errors.LinkExpired) as caught:
        storage.put_segment(server.url, {}, data_file, 0, 100)
    assert caught.value.code == "AccessDenied" and not caught.value.retryable
    assert "Request has expired" in str(caught.value)
    policy_expired = S3_EXPIRED.replace(b"Request has expired", b"Invalid according to Policy: "
                                        b"Policy expired.")
    server.route = lambda seen: Reply(403, policy_expired)
    with pytest.raises(errors.LinkExpired):
        storage.post_form(server.url, [("key", "k")], data_file, "a")


def test_other_s3_errors_keep_their_code(storage: StorageClient, server: ScriptedServer,
                                         data_file: Path) -> None:
    server.route = lambda seen: Reply(400, b"<Error><Code>BadDigest</Code><Message>The Content-MD5 "
                                           b"you specified did not match what we received."
                                           b"</Message></Error>")
    with pytest.raises(errors.StorageError) as caught:
        storage.put_segment(server.url, {}, data_file, 0, 100)
    assert type(caught.value) is errors.StorageError
    assert caught.value.code == "BadDigest" and not caught.value.retryable
    assert "did not match what we received" in str(caught.value)


def test_5xx_and_slowdown_are_retryable(storage: StorageClient, server: ScriptedServer,
                                        data_file: Path) -> None:
    server.replies = [Reply(503, b"<Error><Code>SlowDown</Code><Message>Please reduce your "
                                 b"request rate.</Message></Error>", {"Retry-After": "4"}),
                      Reply(500, b"oops")]
    for expected_code in ("SlowDown", None):
        with pytest.raises(errors.StorageError) as caught:
            storage.put_segment(server.url, {}, data_file, 0, 100)
        assert caught.value.retryable and caught.value.code == expected_code
    assert caught.value.status == 500


def test_redirect_is_not_followed(storage: StorageClient, server: ScriptedServer,
                                  other_server: ScriptedServer, data_file: Path) -> None:
    server.route = lambda seen: Reply(307, b"", {"Location": f"{other_server.url}/elsewhere"})
    with pytest.raises(errors.StorageError, match="HTTP 307"):
        storage.put_segment(server.url, {}, data_file, 0, 100)
    assert other_server.requests == []


def test_should_stop_cancels_between_chunks(storage: StorageClient, server: ScriptedServer,
                                            data_file: Path) -> None:
    sent: list[int] = []
    with pytest.raises(errors.Cancelled):
        storage.put_segment(server.url, {}, data_file, 0, data_file.stat().st_size, sent.append,
                            lambda: sum(sent) >= CHUNK)
    assert sum(sent) == CHUNK
    # The connection that broke off is not reused: the next call works.
    server.route = lambda seen: Reply(200, b"", {"ETag": '"ok"'})
    assert storage.put_segment(server.url, {}, data_file, 0, 10) == "ok"


def test_file_that_shrank_is_a_source_error(storage: StorageClient, server: ScriptedServer,
                                            data_file: Path) -> None:
    with pytest.raises(errors.SourceFileError, match="got shorter"):
        storage.put_segment(server.url, {}, data_file, 0, data_file.stat().st_size + 1)
    missing = data_file.with_name("gone.pdf")
    with pytest.raises(errors.SourceFileError, match="could not be read"):
        storage.post_form(server.url, [], missing, "gone.pdf")


def test_content_length_mismatch_is_refused_before_sending(storage: StorageClient,
                                                           server: ScriptedServer,
                                                           data_file: Path) -> None:
    with pytest.raises(ValueError):
        storage.put_segment(server.url, {"Content-Length": "5"}, data_file, 0, 6)
    assert server.requests == []


def test_retry_policy_resends_the_bytes_from_disk(storage: StorageClient,
                                                  server: ScriptedServer, data_file: Path,
                                                  clock: FakeClock) -> None:
    server.replies = [Reply(500, b"<Error><Code>InternalError</Code></Error>")]
    server.route = lambda seen: Reply(200, b"", {"ETag": '"good"'})
    policy = RetryPolicy(attempts=3, sleep=clock.sleep, clock=clock.time)
    etag = policy.run(lambda: storage.put_segment(server.url, {}, data_file, 5, 1000))
    assert etag == "good"
    expected = data_file.read_bytes()[5:1005]
    assert [s.body for s in server.requests] == [expected, expected]


def test_unreachable_storage_is_a_retryable_network_error(storage: StorageClient,
                                                          data_file: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(errors.NetworkError, match="storage service") as caught:
        storage.put_segment(f"http://127.0.0.1:{port}/", {}, data_file, 0, 10)
    assert caught.value.retryable


@pytest.mark.parametrize("url", ["", "no-scheme", "ftp://host/x", "http://[::1",
                                 "http://host:port/x", "//host/x", "http://"])
def test_unusable_link_is_a_bad_response_not_a_network_problem(storage: StorageClient,
                                                               data_file: Path,
                                                               url: str) -> None:
    # Retrying a link that is not a web address cannot help, nor is the connection to blame.
    with pytest.raises(errors.BadResponse, match="storage link the uploader cannot use") as c:
        storage.put_segment(url, {}, data_file, 0, 10)
    assert not c.value.retryable
    with pytest.raises(errors.BadResponse, match="cannot use"):
        storage.post_form(url, {"key": "k"}, data_file, "a.bin")


def test_netrc_entries_never_reach_storage_or_replace_the_token(
        server: ScriptedServer, data_file: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from uploader_gui.procore.client import ProcoreClient
    from uploader_gui.procore.tokens import StaticTokenProvider

    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    server.route = lambda seen: Reply(200, {"id": 1}, {"ETag": '"e"'})
    with StorageClient() as storage, ProcoreClient(server.url, StaticTokenProvider("tk")) as api:
        storage.put_segment(server.url, {}, data_file, 0, 10)
        api.me()
    to_storage, to_api = server.requests
    assert "authorization" not in to_storage.headers
    assert to_api.headers["authorization"] == "Bearer tk"


def test_stop_after_the_last_block_keeps_the_finished_request(storage: StorageClient,
                                                              server: ScriptedServer,
                                                              data_file: Path) -> None:
    server.route = lambda seen: Reply(200, b"", {"ETag": '"whole"'})
    sent: list[int] = []
    size = 2 * CHUNK
    etag = storage.put_segment(server.url, {}, data_file, 0, size, sent.append,
                               lambda: sum(sent) >= size)
    assert etag == "whole" and sum(sent) == size
