"""Procore REST client, storage client, typed errors and the rate-limit pacer (no Qt).

The names below are loaded when first used, so importing a light module of this package (the
errors, for the command line's ``--help``) does not import requests.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {"ProcoreClient": "client", "Scope": "client", "Pacer": "http", "RetryPolicy": "http",
          "RedactingFilter": "redact", "StorageClient": "storage"}

__all__ = ["Pacer", "ProcoreClient", "RedactingFilter", "RetryPolicy", "Scope", "StorageClient"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
