"""Fixtures for the sandbox tests: a running sandbox with demo data and a raw HTTP client."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from uploader_gui.sandbox import DemoInfo, Sandbox

from .raw_client import MIB5, Api


@pytest.fixture
def api(sandbox: Sandbox, demo: DemoInfo) -> Iterator[Api]:
    client = Api(sandbox, demo, sandbox.issue_token(demo.user_id))
    yield client
    client.close()


@pytest.fixture
def two_parts() -> list[bytes]:
    """A 5 MiB + 1 byte file as two segments; the last is one byte."""
    first = hashlib.sha256(b"seed").digest() * (MIB5 // 32)
    return [first, b"Z"]
