"""The storage client: sends file bytes to the presigned storage links Procore hands out.

Bodies are streamed from disk in 1 MiB blocks with a known length (Content-Length, never
chunked), so a file of any size uploads in constant memory. The storage session carries no
``Authorization`` header and no cookies, and never follows a redirect.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import requests

from uploader_gui.procore import errors
from uploader_gui.procore.abort import StopHooks, watching
from uploader_gui.procore.deadline import request_deadline
from uploader_gui.procore.http import USER_AGENT, build_session, network_error
from uploader_gui.procore.responses import read_limited, storage_error

log = logging.getLogger(__name__)

#: Bytes read from disk at a time.
CHUNK = 1024 * 1024
OCTET_STREAM = "application/octet-stream"
#: Seconds a storage request may take beyond what sending its bytes at MIN_RATE takes.
DEADLINE = 120.0
#: Bytes per second the deadline allows for the slowest line still worth waiting for.
MIN_RATE = 16 * 1024

OnBytes = Callable[[int], None]
ShouldStop = Callable[[], bool]
Fields = Mapping[str, str] | Iterable[tuple[str, str]] | Iterable[list[str]]


class _FileRange:
    """``size`` bytes of the file at ``path`` starting at ``offset``."""

    def __init__(self, path: Path, offset: int, size: int) -> None:
        self.path = path
        self.offset = offset
        self.size = size


class StreamingBody:
    """A request body made of byte strings and file ranges, read lazily block by block.

    requests sees a file-like object with a length, so it sets Content-Length and hands the
    object to urllib3, which calls :meth:`read` until it returns ``b""``. Each call reads at
    most :data:`CHUNK` bytes; ``on_bytes`` hears of every file byte handed out, and
    ``should_stop`` is asked before every block.
    """

    def __init__(self, parts: list[bytes | _FileRange], *, on_bytes: OnBytes | None = None,
                 should_stop: ShouldStop | None = None) -> None:
        self._parts = [p for p in parts if (len(p) if isinstance(p, bytes) else p.size) > 0]
        self._length = sum(len(p) if isinstance(p, bytes) else p.size for p in self._parts)
        self._on_bytes = on_bytes
        self._should_stop = should_stop
        self._index = 0
        self._position = 0  # within the current part
        self._handle: Any = None

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        while block := self.read(CHUNK):
            yield block

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (at most one block, even for -1); ``b""`` at the end."""
        limit = CHUNK if size is None or size < 0 else min(size, CHUNK)
        if limit == 0 or self._index >= len(self._parts):
            # Everything went out: stopping now would only throw away a complete request.
            return b""
        if self._should_stop is not None and self._should_stop():
            raise errors.Cancelled()
        part = self._parts[self._index]
        if isinstance(part, bytes):
            block = part[self._position:self._position + limit]
        else:
            block = self._read_file(part, min(limit, part.size - self._position))
        self._position += len(block)
        if self._position >= (len(part) if isinstance(part, bytes) else part.size):
            self._index += 1
            self._position = 0
            self._close_file()
        if not isinstance(part, bytes) and self._on_bytes is not None:
            self._on_bytes(len(block))
        return block

    def _read_file(self, part: _FileRange, size: int) -> bytes:
        try:
            if self._handle is None:
                self._handle = open(part.path, "rb")  # noqa: SIM115 - closed when the part ends
                self._handle.seek(part.offset)
            block: bytes = self._handle.read(size)
        except OSError as exc:
            self.close()
            raise errors.SourceFileError(
                f"The file {part.path.name} could not be read: {exc.strerror or exc}.") from None
        if len(block) < size:
            self.close()
            raise errors.SourceFileError(
                f"The file {part.path.name} got shorter while it was being uploaded.")
        return block

    def _close_file(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def close(self) -> None:
        self._close_file()


def _quote(value: str) -> str:
    # The escaping browsers use in multipart headers (WHATWG HTML form encoding).
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart_parts(fields: list[tuple[str, str]], filename: str, content_type: str,
                    boundary: str) -> tuple[bytes, bytes]:
    """The bytes before and after the file's content in a ``multipart/form-data`` body.

    Every field goes in the given order, then the part ``file`` (S3 ignores fields after it).
    """
    dash = f"--{boundary}\r\n".encode("ascii")
    head = bytearray()
    for name, value in fields:
        head += dash
        head += f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
        head += str(value).encode("utf-8") + b"\r\n"
    head += dash
    head += (f'Content-Disposition: form-data; name="file"; filename="{_quote(filename)}"\r\n'
             f"Content-Type: {content_type}\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode("ascii")
    return bytes(head), tail


def _field_list(fields: Fields) -> list[tuple[str, str]]:
    pairs = fields.items() if isinstance(fields, Mapping) else fields
    out: list[tuple[str, str]] = []
    for pair in pairs:
        name, value = pair
        out.append((str(name), str(value)))
    return out


class StorageClient:
    """Sends bytes to storage links (S3 presigned POST forms and segment PUTs). Thread-safe.

    It does not retry by itself: a retry must read the bytes from disk again, so the caller
    repeats the whole call (``RetryPolicy.run`` from :mod:`uploader_gui.procore.http` does it).
    """

    def __init__(self, timeout: tuple[float, float] = (10, 120), *,
                 session: requests.Session | None = None,
                 user_agent: str = USER_AGENT, https_only: bool = False,
                 deadline: float | None = DEADLINE, min_rate: float = MIN_RATE) -> None:
        self._timeout = timeout
        #: Seconds a request has to be answered in full, plus one for every ``min_rate`` bytes
        #: it sends (a slow line is given its time; a server dripping its answer is not).
        self.deadline = deadline
        self.min_rate = min_rate
        #: Refuse links that are not https (set for every Procore but a local sandbox): the
        #: file's bytes must not cross the network in the clear.
        self.https_only = https_only
        self._own_session = session is None
        self._session = session or build_session(user_agent=user_agent)

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def post_form(self, url: str, fields: Fields, path: Path | str, filename: str,
                  on_bytes: OnBytes | None = None,
                  should_stop: ShouldStop | None = None,
                  stop_hooks: StopHooks | None = None) -> None:
        """POST the file as ``multipart/form-data``, ``fields`` first; any 2xx is success.

        ``should_stop`` is asked between blocks; ``stop_hooks`` (a TransferControl) also cuts
        off the connection at once when the upload stops while the network is stuck.
        """
        path = Path(path)
        pairs = _field_list(fields)
        content_type = next((v for k, v in pairs if k.lower() == "content-type"), OCTET_STREAM)
        boundary = f"procore-uploader-{secrets.token_hex(16)}"
        head, tail = multipart_parts(pairs, filename, content_type, boundary)
        size = _file_size(path)
        body = StreamingBody([head, _FileRange(path, 0, size), tail], on_bytes=on_bytes,
                             should_stop=should_stop)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        self._send("POST", url, headers, body, stop_hooks)

    def put_segment(self, url: str, headers: Mapping[str, str], path: Path | str, offset: int,
                    size: int, on_bytes: OnBytes | None = None,
                    should_stop: ShouldStop | None = None,
                    stop_hooks: StopHooks | None = None) -> str:
        """PUT ``size`` bytes of the file from ``offset``; returns the ETag without quotes."""
        path = Path(path)
        sent = {str(k): str(v) for k, v in headers.items()}
        declared = next((v for k, v in sent.items() if k.lower() == "content-length"), None)
        if declared is not None and declared.strip() != str(size):
            raise ValueError(f"segment size {size} differs from its content-length {declared}")
        for key in [k for k in sent if k.lower() == "content-type"]:
            del sent[key]
        sent["Content-Type"] = OCTET_STREAM
        body = StreamingBody([_FileRange(path, offset, size)], on_bytes=on_bytes,
                             should_stop=should_stop)
        response_headers = self._send("PUT", url, sent, body, stop_hooks)
        etag = (response_headers.get("ETag") or "").strip().strip('"')
        if not etag:
            raise errors.BadResponse(
                "The storage service accepted a part of the file but did not confirm it "
                "(no ETag in its answer).")
        return etag

    def _send(self, method: str, url: str, headers: dict[str, str], body: StreamingBody,
              stop_hooks: StopHooks | None = None
              ) -> requests.structures.CaseInsensitiveDict[str]:
        limit = None if self.deadline is None else self.deadline + len(body) / self.min_rate
        with watching(stop_hooks), request_deadline(limit) as timer:
            try:
                where = f"the storage service ({_storage_host(url)})"
                if self.https_only and urlsplit(url).scheme != "https":
                    raise errors.BadResponse(
                        "Procore gave a storage link that is not secure (plain http), so the "
                        "file was not sent. Please try again later.")
                response = self._session.request(
                    method, url, data=body, headers=headers, timeout=self._timeout,
                    allow_redirects=False, stream=True)
                answer = read_limited(response)
            except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                    requests.exceptions.MissingSchema):
                # Trying again cannot help, and it is not the internet connection's fault.
                raise _unusable_link() from None
            except requests.RequestException as exc:
                if timer is not None and timer.expired:
                    raise errors.NetworkError(
                        f"The storage service ({_storage_host(url)}) did not finish answering "
                        f"within {timer.seconds:.0f} seconds.") from None
                raise network_error(exc, where) from None
            finally:
                body.close()
        if 200 <= response.status_code < 300:
            return response.headers
        error = storage_error(response.status_code, response.headers, answer)
        log.info("storage answered %s to %s: %s", response.status_code, method, error.code)
        raise error


def _unusable_link() -> errors.BadResponse:
    return errors.BadResponse("Procore gave a storage link the uploader cannot use, so the file "
                              "was not sent. Please try again later.")


def _storage_host(url: str) -> str:
    """The host of a storage link; BadResponse for anything but an http(s) address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # an unbalanced IPv6 bracket, a port that is not a number
        raise _unusable_link() from None
    if parts.scheme not in ("http", "https") or not host:
        raise _unusable_link()
    return host


def _file_size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError as exc:
        raise errors.SourceFileError(
            f"The file {path.name} could not be read: {exc.strerror or exc}.") from None
