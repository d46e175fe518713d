"""Procore REST client, storage client, typed errors and the rate-limit pacer (no Qt)."""

from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.http import Pacer, RetryPolicy
from uploader_gui.procore.redact import RedactingFilter, redact
from uploader_gui.procore.storage import StorageClient

__all__ = ["Pacer", "ProcoreClient", "RedactingFilter", "RetryPolicy", "Scope", "StorageClient",
           "redact"]
