"""Test configuration shared by every test."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from uploader_gui.sandbox import DemoInfo, Sandbox

# Real widgets, no display: Qt draws offscreen unless a test starts Xvfb itself.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def display() -> Iterator[str]:
    """A private Xvfb server; its number is chosen by Xvfb itself (-displayfd)."""
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x900x24",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not report its display"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A running sandbox (API and storage on 127.0.0.1) with its data in the test's folder."""
    with Sandbox(data_dir=tmp_path / "sandbox") as sb:
        yield sb


@pytest.fixture
def demo(sandbox: Sandbox) -> DemoInfo:
    """The sandbox's demo company, projects, folders, album and users."""
    return sandbox.seed_demo()
