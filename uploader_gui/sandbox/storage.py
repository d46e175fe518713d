"""The sandbox's S3-like storage server: presigned part PUTs and policy-signed form POSTs.

Bodies stream to disk in 1 MiB chunks while being hashed; nothing holds a whole file in memory.
Errors are S3 XML: ``<Error><Code>..</Code><Message>..</Message></Error>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from . import signing
from .api_uploads import BUCKET
from .faults import Fault, custom_answer
from .http_common import CHUNK, ConnectionDropped, SandboxHandler
from .multipart import MultipartError, MultipartReader, boundary_of
from .records import Segment, Upload

logger = logging.getLogger(__name__)

STATUS_CODES = {400: "InvalidRequest", 403: "AccessDenied", 404: "NoSuchKey",
                409: "OperationAborted", 500: "InternalError", 501: "NotImplemented",
                503: "SlowDown"}
STATUS_MESSAGES = {500: "We encountered an internal error. Please try again.",
                   503: "Please reduce your request rate."}
#: Form fields the policy never has to cover.
UNCOVERED_FIELDS = frozenset({"policy", "x-amz-signature", "file"})
PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                  "X-Amz-SignedHeaders", "X-Amz-Signature")

class S3Error(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class StorageHandler(SandboxHandler):
    """Answers storage requests on the storage port."""

    server_version = "AmazonS3"
    sys_version = ""

    # -- plumbing --------------------------------------------------------------------------

    def send_s3_error(self, error: S3Error) -> None:
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{escape(error.code)}</Code>"
                f"<Message>{escape(error.message)}</Message>"
                f"<RequestId>{os.urandom(8).hex().upper()}</RequestId></Error>").encode()
        self.send_bytes(error.status, {"Content-Type": "application/xml"}, body)

    def _fail_before_body(self, error: S3Error, length: int | None) -> None:
        """Answer an error found before the body was read: read the body off the wire first
        (so the client sees the answer, not a reset), unless its length is unknown."""
        if length is None:
            self.close_connection = True
        else:
            self.drain(length)
        self.send_s3_error(error)

    def _guarded(self, work: Any) -> None:
        self.begin_request()
        try:
            work()
        except ConnectionDropped:
            self.close_connection = True
            if self._answered_status is None:
                self.finish_request_log(0)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            logger.exception("The storage failed on %s %s", self.command, self.split.path)
            self.close_connection = True
            if self._answered_status is None:
                self.send_s3_error(S3Error(500, "InternalError",
                                           "We encountered an internal error. Please try again."))

    def _body_length(self) -> int | None:
        if self.is_chunked():
            return None
        return self.content_length()

    def _pre_fault(self, target: str, length: int | None) -> tuple[bool, bool]:
        """Apply a before-the-work fault. Returns (answered, reset_halfway)."""
        fault = self.server.faults.pick({"status", "reset", "stall", "malformed", "drip"},
                                        {target})
        if fault is None:
            return False, False
        if fault.kind == "drip":
            if length is None:
                self.close_connection = True
            else:
                self.drain(length)
            self.drip(float(fault.params["seconds"]), b"", {"ETag": '"dripped"'})
            return True, False
        if fault.kind == "stall":
            self.wait(float(fault.params["seconds"]))
            return False, False
        if fault.kind == "reset":
            return False, True
        self._fail_before_body(self._fault_error(fault), length) if fault.kind == "status" \
            else self._send_malformed(fault, length)
        return True, False

    def _fault_error(self, fault: Fault) -> S3Error:
        status = int(fault.params["status"])
        return S3Error(status, STATUS_CODES.get(status, "InternalError"),
                       STATUS_MESSAGES.get(status, "The sandbox was told to fail this request."))

    def _send_malformed(self, fault: Fault, length: int | None) -> None:
        if length is None:
            self.close_connection = True
        else:
            self.drain(length)
        variant = fault.params["variant"]
        if variant == "body":
            self.send_bytes(*custom_answer(fault))
        elif variant == "huge":
            size = int(fault.params["size"])
            self.send_bytes(500, {"Content-Type": "text/html"}, b"<p>" + b"x" * max(0, size - 3))
        else:
            self.send_bytes(503, {"Content-Type": "text/html"},
                            b"<html><body><h1>503 Service Unavailable</h1></body></html>")

    def _after_fault(self, target: str) -> None:
        fault = self.server.faults.pick({"delay_after_commit"}, {target})
        if fault is not None:
            self.wait(float(fault.params["seconds"]))

    def _split_key(self) -> tuple[str, str]:
        path = self.split.path
        bucket, _, key = path.lstrip("/").partition("/")
        return bucket, key

    # -- routes ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._guarded(lambda: self._fail_before_body(
            S3Error(403, "AccessDenied", "Access Denied"), self._body_length()))

    def do_DELETE(self) -> None:
        self.do_GET()

    def do_PUT(self) -> None:
        self._guarded(self._put)

    def do_POST(self) -> None:
        self._guarded(self._post)

    # -- presigned part PUT ----------------------------------------------------------------

    def _put(self) -> None:
        length = self._body_length()
        try:
            upload, segment = self._check_put(length)
        except S3Error as error:
            if error.status == 411:
                self.close_connection = True
                self.send_s3_error(error)
            else:
                self._fail_before_body(error, length)
            return
        assert length is not None
        answered, reset = self._pre_fault("storage_put", length)
        if answered:
            return
        with self.state.lock:
            part_lock = upload.part_lock(segment.number)
        with part_lock:
            with self.state.lock:
                # A part being replaced is not stored until its new bytes check out.
                segment.stored_md5 = None
            md5 = self._receive_part(upload, segment, length, reset)
            if md5 is None:
                return
            with self.state.lock:
                if upload.status != "complete" and upload.uuid in self.state.uploads:
                    segment.stored_md5 = md5
        self._after_fault("storage_put")
        self.send_bytes(200, {"ETag": f'"{md5}"'}, b"")

    def _check_put(self, length: int | None) -> tuple[Upload, Segment]:
        if "Authorization" in self.headers:
            raise S3Error(400, "InvalidArgument", "Only one auth mechanism allowed; only the "
                          "X-Amz-Algorithm query parameter or the Authorization header "
                          "should be specified")
        if length is None:
            raise S3Error(411, "MissingContentLength",
                          "You must provide the Content-Length HTTP header.")
        bucket, key = self._split_key()
        if bucket != BUCKET:
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist")
        pairs = parse_qsl(self.split.query, keep_blank_values=True)
        query = dict(pairs)
        if len(query) != len(pairs):
            raise S3Error(400, "InvalidArgument", "A query parameter appears more than once")
        missing = [p for p in PRESIGN_PARAMS if p not in query]
        if missing:
            raise S3Error(400, "AuthorizationQueryParametersError",
                          f"Query-string authentication requires {', '.join(missing)}")
        if query["X-Amz-Algorithm"] != signing.ALGORITHM:
            raise S3Error(400, "AuthorizationQueryParametersError",
                          "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        try:
            signed_at = signing.parse_amz_date(query["X-Amz-Date"])
            expires = int(query["X-Amz-Expires"])
        except ValueError:
            raise S3Error(400, "AuthorizationQueryParametersError",
                          "X-Amz-Date or X-Amz-Expires is malformed") from None
        if self.state.now() > signed_at + expires:
            raise S3Error(403, "AccessDenied", "Request has expired")
        signed_names = query["X-Amz-SignedHeaders"].lower().split(";")
        for name in self.headers.keys():
            if name.lower().startswith("x-amz-") and name.lower() not in signed_names:
                raise S3Error(403, "AccessDenied", "There were headers present in the request "
                              "which were not signed")
        signed_values: dict[str, str] = {}
        for name in signed_names:
            value = self.headers.get(name)
            if value is None:
                raise S3Error(403, "SignatureDoesNotMatch", "The request signature we "
                              "calculated does not match the signature you provided. Check "
                              f"your key and signing method. (The signed header {name} is "
                              "missing.)")
            signed_values[name] = value
        expected = signing.sign_request(self.state.secret, "PUT", self.split.path, query,
                                        signed_values)
        if not signing.constant_equal(expected, query["X-Amz-Signature"]):
            raise S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated "
                          "does not match the signature you provided. Check your key and "
                          "signing method.")
        content_md5 = self.headers.get("Content-MD5")
        if content_md5 is not None:
            try:
                if len(base64.b64decode(content_md5, validate=True)) != 16:
                    raise ValueError
            except (ValueError, binascii.Error):
                raise S3Error(400, "InvalidDigest",
                              "The Content-MD5 you specified was invalid.") from None
        with self.state.lock:
            uuid = key.rsplit("/", 1)[-1]
            upload = self.state.uploads.get(uuid)
            if upload is None or upload.key != key or upload.segments is None \
                    or upload.s3_upload_id != query.get("uploadId") or upload.status == "complete":
                raise S3Error(404, "NoSuchUpload", "The specified upload does not exist. The "
                              "upload ID may be invalid, or the upload may have been aborted or "
                              "completed.")
            try:
                number = int(query.get("partNumber", ""))
            except ValueError:
                number = 0
            if not 1 <= number <= len(upload.segments):
                raise S3Error(400, "InvalidArgument",
                              "Part number must be an integer between 1 and 10000, inclusive")
            segment = upload.segments[number - 1]
        if length != segment.size:
            raise S3Error(400, "InvalidArgument", "Content-Length does not match the part size")
        return upload, segment

    def _receive_part(self, upload: Upload, segment: Segment, length: int,
                      reset: bool) -> str | None:
        """Write the body in place at the part's offset; md5 hex, or None once answered."""
        sha256 = hashlib.sha256()
        md5 = hashlib.md5()
        buffer = memoryview(bytearray(CHUNK))
        limit = length // 2 if reset else length
        received = 0
        pace = self._pace("storage_put")
        fd = os.open(self.state.assembly_path(upload.uuid), os.O_WRONLY)
        try:
            while received < limit:
                n = self.read_into(buffer[:min(CHUNK, limit - received)])
                if n == 0:
                    break
                pace(n)
                chunk = buffer[:n]
                sha256.update(chunk)
                md5.update(chunk)
                os.pwrite(fd, chunk, segment.offset + received)
                received += n
        finally:
            os.close(fd)
        if reset:
            self.drop_connection()
            return None
        if received < length:
            self.close_connection = True
            self.send_s3_error(S3Error(400, "IncompleteBody", "You did not provide the number "
                                       "of bytes specified by the Content-Length HTTP header"))
            return None
        if sha256.hexdigest() != self.headers.get("x-amz-content-sha256", "").lower():
            self.send_s3_error(S3Error(400, "XAmzContentSHA256Mismatch", "The provided "
                                       "'x-amz-content-sha256' header does not match what was "
                                       "computed."))
            return None
        content_md5 = self.headers.get("Content-MD5")
        if content_md5 is not None and base64.b64decode(content_md5) != md5.digest():
            self.send_s3_error(S3Error(400, "BadDigest", "The Content-MD5 you specified did "
                                       "not match what we received."))
            return None
        return md5.hexdigest()

    def _pace(self, target: str) -> Callable[[int], None]:
        """With a ``slow`` fault, a function that holds the reading back to its rate."""
        fault = self.server.faults.pick({"slow"}, {target})
        if fault is None:
            return lambda n: None
        rate = max(1.0, float(fault.params["rate"]))
        started = time.monotonic()
        taken = 0

        def pace(n: int) -> None:
            nonlocal taken
            taken += n
            ahead = taken / rate - (time.monotonic() - started)
            if ahead > 0:
                self.wait(ahead)

        return pace

    # -- policy-signed form POST -----------------------------------------------------------

    def _post(self) -> None:
        length = self._body_length()
        if "Authorization" in self.headers:
            self._fail_before_body(S3Error(400, "InvalidArgument", "Bucket POST must not carry "
                                           "an Authorization header"), length)
            return
        if length is None:
            self.close_connection = True
            self.send_s3_error(S3Error(411, "MissingContentLength",
                                       "You must provide the Content-Length HTTP header."))
            return
        bucket, key = self._split_key()
        if bucket != BUCKET or key:
            self._fail_before_body(S3Error(404, "NoSuchBucket",
                                           "The specified bucket does not exist"), length)
            return
        boundary = boundary_of(self.headers.get("Content-Type", ""))
        if boundary is None:
            self._fail_before_body(S3Error(412, "PreconditionFailed", "Bucket POST must be of "
                                           "the enclosure-type multipart/form-data"), length)
            return
        answered, reset = self._pre_fault("storage_post", length)
        if answered:
            return
        remaining = length // 2 if reset else length

        def read(n: int) -> bytes:
            nonlocal remaining
            if remaining <= 0:
                if reset:
                    raise _HalfwayReset()
                return b""
            data = self.rfile.read(min(n, remaining))
            self._bytes_received += len(data)
            remaining -= len(data)
            if not data:
                raise ConnectionDropped("The client closed the connection mid-body")
            return data

        temp = self.state.new_incoming_path()
        try:
            try:
                outcome = self._receive_form(read, boundary, temp, bucket)
            except _HalfwayReset:
                self.drop_connection()
                return
            except MultipartError as exc:
                self.close_connection = True
                self.send_s3_error(S3Error(
                    400, "MalformedPOSTRequest",
                    f"The body of your POST request is not well-formed multipart/form-data. {exc}"))
                return
            self.drain(remaining)
            if isinstance(outcome, S3Error):
                self.send_s3_error(outcome)
                return
            status, headers = outcome
            self._after_fault("storage_post")
            body = b""
            if status == 201:
                body = (f"<PostResponse><Bucket>{BUCKET}</Bucket><Key>{escape(key)}</Key>"
                        f"<ETag>{headers['ETag']}</ETag></PostResponse>").encode()
            self.send_bytes(status, headers, body)
        finally:
            temp.unlink(missing_ok=True)

    def _receive_form(self, read: Any, boundary: bytes, temp: Any,
                      bucket: str) -> S3Error | tuple[int, dict[str, str]]:
        reader = MultipartReader(read, boundary)
        fields: dict[str, str] = {}
        while (part := reader.next_part()) is not None:
            name = part.name.lower()
            if name == "file":
                break
            if name in fields:
                reader.read_value()
                return S3Error(400, "InvalidArgument", f"The field {part.name} appears twice")
            fields[name] = reader.read_value().decode("utf-8", "replace")
        else:
            return S3Error(400, "InvalidArgument",
                           "POST requires exactly one file upload per request.")
        problem = self._check_policy(fields, bucket)
        sha256 = hashlib.sha256()
        md5 = hashlib.md5()
        size = 0
        with open(temp, "wb") as handle:
            def sink(chunk: memoryview) -> None:
                nonlocal size
                size += len(chunk)
                if problem is None:
                    sha256.update(chunk)
                    md5.update(chunk)
                    handle.write(chunk)

            reader.stream_body(sink)
        if reader.next_part() is not None:
            # Real S3 ignores fields after the file; refusing them catches clients that
            # put the file anywhere but last.
            return S3Error(400, "InvalidArgument", "The file must be the last field of the form; "
                           "fields after it are not accepted.")
        if problem is not None:
            return problem
        low, high = self._length_range(fields)
        if size > high:
            return S3Error(400, "EntityTooLarge",
                           "Your proposed upload exceeds the maximum allowed size")
        if size < low:
            return S3Error(400, "EntityTooSmall",
                           "Your proposed upload is smaller than the minimum allowed size")
        return self._store_posted(fields, temp, size, md5.hexdigest(), sha256.hexdigest())

    def _length_range(self, fields: dict[str, str]) -> tuple[int, int]:
        document = signing.decode_policy(fields["policy"])
        for condition in document["conditions"]:  # type: ignore[attr-defined]
            if isinstance(condition, list) and condition and condition[0] == "content-length-range":
                return int(condition[1]), int(condition[2])
        return 0, signing.MAX_OBJECT_SIZE

    def _check_policy(self, fields: dict[str, str], bucket: str) -> S3Error | None:
        policy = fields.get("policy")
        if policy is None:
            return S3Error(403, "AccessDenied", "Bucket POST must contain a field named 'policy'.")
        try:
            document = signing.decode_policy(policy)
            expiration = signing.parse_policy_expiration(str(document["expiration"]))
        except ValueError as exc:
            return S3Error(400, "InvalidPolicyDocument", str(exc))
        date = fields.get("x-amz-date", "")
        signature = fields.get("x-amz-signature", "")
        if fields.get("x-amz-algorithm") != signing.ALGORITHM or not date or not signature:
            return S3Error(400, "InvalidArgument", "Bucket POST must contain x-amz-algorithm "
                           "AWS4-HMAC-SHA256, x-amz-date and x-amz-signature")
        if not signing.constant_equal(signing.sign_policy(self.state.secret, policy, date),
                                      signature):
            return S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated "
                           "does not match the signature you provided. Check your key and "
                           "signing method.")
        if self.state.now() > expiration:
            return S3Error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        covered: set[str] = set()
        conditions: list[Any] = document["conditions"]  # type: ignore[assignment]
        for condition in conditions:
            failed = self._condition_failed(condition, fields, bucket, covered)
            if failed:
                return S3Error(403, "AccessDenied",
                               f"Invalid according to Policy: Policy Condition failed: {failed}")
        for name in fields:
            if name not in UNCOVERED_FIELDS and not name.startswith("x-ignore-") \
                    and name not in covered:
                return S3Error(403, "AccessDenied",
                               f"Invalid according to Policy: Extra input fields: {name}")
        return None

    @staticmethod
    def _condition_failed(condition: Any, fields: dict[str, str], bucket: str,
                          covered: set[str]) -> str | None:
        """A description of the failed condition, or None when it holds."""
        if isinstance(condition, dict):
            items = list(condition.items())
            if len(items) != 1:
                return str(condition)
            name, expected = items[0]
            op = "eq"
        elif isinstance(condition, list) and len(condition) == 3:
            op, name, expected = condition
            if op == "content-length-range":
                return None
            name = str(name).lstrip("$")
        else:
            return str(condition)
        name = str(name).lower()
        if name == "bucket":
            actual: str | None = bucket
        else:
            covered.add(name)
            actual = fields.get(name)
        if op == "eq" and actual == expected:
            return None
        if op == "starts-with" and actual is not None and actual.startswith(str(expected)):
            return None
        return f'["{op}", "${name}", "{expected}"]'

    def _store_posted(self, fields: dict[str, str], temp: Any, size: int, md5: str,
                      sha256: str) -> S3Error | tuple[int, dict[str, str]]:
        key = fields["key"]
        state = self.state
        with state.lock:
            upload = state.uploads.get(key.rsplit("/", 1)[-1])
            if upload is None or upload.key != key or upload.segments is not None:
                return S3Error(403, "AccessDenied", "This upload no longer exists.")
            if upload.associated:
                return S3Error(403, "AccessDenied", "This upload has already been used.")
            os.replace(temp, state.object_path(upload.uuid))
            upload.status = "complete"
            upload.size = size
            upload.md5 = md5
            upload.sha256 = sha256
        status = {"200": 200, "201": 201}.get(fields.get("success_action_status", ""), 204)
        return status, {"ETag": f'"{md5}"', "Location": f"{self.server.storage_url}/{BUCKET}/{key}"}


class _HalfwayReset(Exception):
    """A reset fault has read its half of the body."""
