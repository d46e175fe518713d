"""Fixtures for the sandbox tests: a running sandbox with demo data and a raw HTTP client."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from uploader_gui.sandbox import DemoInfo, Sandbox

from .raw_client import MIB5, Api


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(tmp_path / "sandbox") as sb:
        yield sb


@pytest.fixture
def demo(sandbox: Sandbox) -> DemoInfo:
    return sandbox.seed_demo()


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
