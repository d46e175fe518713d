"""A streaming multipart/form-data reader: parts are read one by one and bodies are passed on in
chunks, so a file of hundreds of megabytes never sits in memory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message

CHUNK = 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class PartInfo:
    name: str
    filename: str | None
    content_type: str | None


def boundary_of(content_type: str) -> bytes | None:
    """The boundary of a ``multipart/form-data`` Content-Type, or None for any other type."""
    message = Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary or len(boundary) > 200:
        return None
    return boundary.encode("latin-1")


class MultipartReader:
    """Reads parts from ``read(n)``, a function returning at most n bytes and b"" at the end."""

    def __init__(self, read: Callable[[int], bytes], boundary: bytes) -> None:
        self._read = read
        self._buf = bytearray()
        self._eof = False
        self._dash = b"--" + boundary
        self._body_end = b"\r\n--" + boundary
        self._done = False
        self._skip_preamble()

    def _fill(self) -> None:
        if self._eof:
            raise MultipartError("The form data ends before its closing boundary")
        chunk = self._read(CHUNK)
        if not chunk:
            self._eof = True
            raise MultipartError("The form data ends before its closing boundary")
        self._buf += chunk

    def _skip_preamble(self) -> None:
        while True:
            if self._buf.startswith(self._dash):
                del self._buf[:len(self._dash)]
                return
            index = self._buf.find(self._body_end)
            if index >= 0:
                del self._buf[:index + len(self._body_end)]
                return
            if len(self._buf) > MAX_HEADER_BYTES:
                raise MultipartError("No multipart boundary found at the start of the form data")
            self._fill()

    def next_part(self) -> PartInfo | None:
        """Headers of the next part, or None after the closing boundary."""
        if self._done:
            return None
        while len(self._buf) < 2:
            self._fill()
        if self._buf[:2] == b"--":
            self._done = True
            return None
        # Transport padding (spaces or tabs) may sit between the boundary and its line break.
        while True:
            end = self._buf.find(b"\r\n")
            if end >= 0:
                break
            if len(self._buf) > MAX_HEADER_BYTES:
                raise MultipartError("A multipart boundary line is too long")
            self._fill()
        if self._buf[:end].strip(b" \t"):
            raise MultipartError("Unexpected bytes after a multipart boundary")
        del self._buf[:end + 2]
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self._buf) > MAX_HEADER_BYTES:
                raise MultipartError("The headers of a form part are too long")
            self._fill()
        raw_headers = bytes(self._buf[:end]).decode("utf-8", "replace")
        del self._buf[:end + 4]
        message = Message()
        for line in raw_headers.split("\r\n"):
            header, sep, value = line.partition(":")
            if not sep:
                raise MultipartError("A form part has a malformed header line")
            message[header.strip()] = value.strip()
        if message.get("content-disposition") is None:
            raise MultipartError("A form part has no Content-Disposition")
        name = message.get_param("name", header="content-disposition")
        filename = message.get_param("filename", header="content-disposition")
        if not isinstance(name, str):
            raise MultipartError("A form part has no name")
        content_type = message.get("content-type")
        return PartInfo(name, filename if isinstance(filename, str) else None,
                        str(content_type) if content_type is not None else None)

    def stream_body(self, sink: Callable[[memoryview], None]) -> None:
        """Pass the current part's bytes to ``sink`` in chunks, up to the next boundary."""
        keep = len(self._body_end) - 1
        while True:
            index = self._buf.find(self._body_end)
            if index >= 0:
                with memoryview(self._buf) as view:
                    if index:
                        sink(view[:index])
                del self._buf[:index + len(self._body_end)]
                return
            if len(self._buf) > keep:
                cut = len(self._buf) - keep
                with memoryview(self._buf) as view:
                    sink(view[:cut])
                del self._buf[:cut]
            self._fill()

    def read_value(self, limit: int = 64 * 1024) -> bytes:
        """The current part's body as bytes; MultipartError when longer than ``limit``."""
        collected = bytearray()

        def sink(chunk: memoryview) -> None:
            if len(collected) + len(chunk) > limit:
                raise MultipartError("A form field is too long")
            collected.extend(chunk)

        self.stream_body(sink)
        return bytes(collected)


def parse_small_form(body: bytes, boundary: bytes) -> dict[str, list[str]]:
    """Every field of a small multipart form, parse_qs style (file parts are read as text)."""
    position = 0

    def read(n: int) -> bytes:
        nonlocal position
        chunk = body[position:position + n]
        position += len(chunk)
        return chunk

    reader = MultipartReader(read, boundary)
    fields: dict[str, list[str]] = {}
    while (part := reader.next_part()) is not None:
        value = reader.read_value(limit=1024 * 1024)
        fields.setdefault(part.name, []).append(value.decode("utf-8", "replace"))
    return fields
