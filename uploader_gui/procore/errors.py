"""Typed errors for Procore API and storage answers, each carrying a message a person can read."""

from __future__ import annotations


class ProcoreError(Exception):
    """Base of every error the client raises.

    ``message`` is what the person is shown (the server's own words where it gave any);
    ``retryable`` says whether trying the same request again later can succeed.
    """

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class NetworkError(ProcoreError):
    """The server could not be reached, the connection broke, or it did not answer in time."""

    retryable = True


class BadResponse(ProcoreError):
    """The server answered something we cannot understand (bad JSON, missing fields, HTML page)."""


class AuthError(ProcoreError):
    """401: the access token is invalid or expired, or the sign-in is no longer valid."""


class SignInRequired(AuthError):
    """The person has to sign in again (no token, or the refresh token was rejected)."""


class PermissionDenied(ProcoreError):
    """403 from the API: the user may not do this."""


class NotFound(ProcoreError):
    """404: the thing does not exist, or the user cannot see it."""


class Gone(ProcoreError):
    """410: the upload is no longer available and must be started again."""


class Conflict(ProcoreError):
    """409."""


class ValidationFailed(ProcoreError):
    """400 or 422: the server refused the request's content; ``fields`` holds per-field messages."""

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None,
                 status: int | None = None, code: str | None = None) -> None:
        super().__init__(message, status=status, code=code)
        self.fields = fields or {}


class RateLimited(ProcoreError):
    """429: too many requests; ``retry_after`` seconds to wait."""

    retryable = True


class ServerError(ProcoreError):
    """5xx: a failure on the server's side that may pass."""

    retryable = True


class StorageError(ProcoreError):
    """An error answer from the storage service (S3 XML); ``code`` is the S3 error code."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, status=status, code=code, retry_after=retry_after)
        self.retryable = status is not None and (status >= 500 or code in {
            "RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable"})


class LinkExpired(StorageError):
    """403 from storage because the presigned link's hour has passed: a new link is needed."""


class SourceFileError(ProcoreError):
    """The file being sent could not be read to the end, or it shrank while it was being sent."""


class Cancelled(Exception):
    """The person cancelled (or paused) the transfer; not an error to show."""
