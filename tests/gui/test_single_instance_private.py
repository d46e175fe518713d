"""The single-instance socket lives where only this user can reach it, and both ends check
that the process at the other end runs as the same user."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from uploader_gui import local_peers
from uploader_gui.gui.single_instance import SingleInstance, server_name

OTHER_UID = 65534  # "nobody"


def _as_other_user() -> list[str]:
    """A command prefix that runs a system Python as another user (root only)."""
    python = shutil.which("python3", path="/usr/bin:/bin")
    if os.geteuid() != 0 or shutil.which("setpriv") is None or python is None:
        pytest.skip("needs root, setpriv and a system python3 to act as another user")
    return ["setpriv", f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups",
            python]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A short, world-writable folder (sticky, as /tmp is) standing for the shared /tmp."""
    folder = Path(tempfile.mkdtemp(prefix="pu-", dir="/tmp"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder)


def test_without_a_runtime_folder_the_socket_is_in_a_private_folder(shared_tmp: Path) -> None:
    env = {"TMPDIR": str(shared_tmp)}
    name = Path(server_name("production", env))
    assert name.parent != shared_tmp, "never straight in the shared folder"
    info = name.parent.lstat()
    assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    assert stat.S_IMODE(info.st_mode) == 0o700

    name.parent.chmod(0o777)  # opened up since: closed again before use
    assert Path(server_name("production", env)) == name
    assert stat.S_IMODE(name.parent.stat().st_mode) == 0o700

    runtime = shared_tmp / "run"
    runtime.mkdir(mode=0o755)  # a runtime folder others can enter is passed over
    assert Path(server_name("production", {**env, "XDG_RUNTIME_DIR": str(runtime)})).parent \
        == name.parent


def test_a_folder_name_taken_by_another_user_is_not_used(shared_tmp: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to make a folder owned by another user")
    squatted = shared_tmp / f"procore-uploader-u{os.getuid()}"
    squatted.mkdir(mode=0o700)
    os.chown(squatted, OTHER_UID, OTHER_UID)
    link_env = {"TMPDIR": str(shared_tmp)}
    name = Path(server_name("production", link_env))
    assert name.parent != squatted and not str(name).startswith(str(squatted))
    assert local_peers.private_dir(str(name.parent)) or "/" not in str(name)


def test_a_connection_from_another_user_is_refused(qtbot: QtBot, shared_tmp: Path) -> None:
    prefix = _as_other_user()
    path = str(shared_tmp / "open-socket")
    instance = SingleInstance(path)
    assert instance.listen()
    os.chmod(path, 0o777)  # as a socket in a shared folder would be reachable
    received: list[list[Path]] = []
    instance.paths_received.connect(received.append)
    client = textwrap.dedent(f"""
        import socket
        s = socket.socket(socket.AF_UNIX)
        s.connect({path!r})
        s.sendall(b'{{"paths": ["/home/someone/secret.pdf"]}}\\n')
        s.settimeout(10)
        try:
            print(s.recv(10))
        except OSError as exc:
            print("error", exc)
        """)
    try:
        proc = subprocess.Popen([*prefix, "-c", client], stdout=subprocess.PIPE, text=True)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=15_000)
        out = proc.stdout.read() if proc.stdout else ""
        qtbot.wait(200)
        assert received == [], "another user's paths were taken"
        assert "ok" not in out
        # The same user's launch is still served.
        same = subprocess.Popen(["python3", "-c", client.replace(
            "/home/someone/secret.pdf", "/tmp/mine.pdf")], stdout=subprocess.PIPE, text=True)
        qtbot.waitUntil(lambda: same.poll() is not None, timeout=15_000)
        assert "ok" in (same.stdout.read() if same.stdout else "")
        assert received == [[Path("/tmp/mine.pdf")]]
    finally:
        instance.close()


def test_files_are_not_handed_to_another_users_socket(shared_tmp: Path) -> None:
    prefix = _as_other_user()
    path = str(shared_tmp / "squatted-socket")
    got = shared_tmp / "got.txt"
    server = textwrap.dedent(f"""
        import os, socket
        s = socket.socket(socket.AF_UNIX)
        s.bind({path!r})
        os.chmod({path!r}, 0o777)
        s.listen()
        s.settimeout(20)
        conn, _ = s.accept()
        conn.settimeout(5)
        data = b""
        try:
            while b"\\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            conn.sendall(b"ok\\n")
        except OSError:
            pass
        open({str(got)!r}, "wb").write(data or b"nothing")
        """)
    proc = subprocess.Popen([*prefix, "-c", server])
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        handed = SingleInstance(path).hand_off([Path("/tmp/contract.pdf")],
                                               answer_timeout_ms=2000)
        assert handed is False
        proc.wait(30)
        assert got.read_bytes() == b"nothing", "the paths were not sent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
