"""Single instance: a second launch hands its files to the running window and exits.

Both launches are real processes of ``python -m uploader_gui --demo`` (offscreen Qt); what the
running one did is read from its demo journal and storage folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalSocket
from pytestqt.qtbot import QtBot

from tests.demo_process import demo_env, start, stop, wait_for, wait_until_uploaded
from uploader_gui.gui.single_instance import SingleInstance, decode, encode, server_name

APP = [sys.executable, "-m", "uploader_gui", "--demo"]


def _socket_file(env: dict[str, str], scope: str = "demo") -> Path:
    """The running window's socket, named as the app names it for that environment."""
    return Path(server_name(scope, env))


def test_second_launch_hands_its_file_to_the_running_window(tmp_path: Path) -> None:
    env = demo_env(tmp_path)
    first = start(APP, env)
    try:
        wait_for(_socket_file(env).exists, "the first launch to listen", proc=first)
        doc = tmp_path / "site photo notes.txt"
        doc.write_bytes(b"handed over by the second launch")
        # A relative path, as a shell gives it.
        second = subprocess.run([*APP, doc.name], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        assert second.returncode == 0, second.stdout + second.stderr
        wait_until_uploaded(env, doc, first)
        assert first.poll() is None, "the first window is still open"
    finally:
        code = stop(first)
    assert code == 0
    assert not _socket_file(env).exists(), "the socket is removed at exit"
    assert not list(Path(env["TMPDIR"]).glob("procore-uploader-demo-*")), "demo folder removed"


def test_stale_socket_of_a_crashed_run_is_replaced(tmp_path: Path) -> None:
    env = demo_env(tmp_path)
    crashed = start(APP, env)
    wait_for(_socket_file(env).exists, "the first launch to listen", proc=crashed)
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(30)
    assert _socket_file(env).exists(), "a killed run leaves its socket file behind"
    doc = tmp_path / "after-crash.txt"
    doc.write_bytes(b"uploaded by the next launch")
    again = start([*APP, str(doc)], env)
    try:
        wait_until_uploaded(env, doc, again)  # it did not hand off to the dead socket
        third = subprocess.run(APP, env=env, capture_output=True, timeout=60, check=False)
        assert third.returncode == 0, "a later launch reaches the new window"
    finally:
        assert stop(again) == 0


def test_names_differ_per_scope_and_data_folder(short_tmp: Path) -> None:
    env = {"PROCORE_UPLOADER_HOME": "/a", "TMPDIR": str(short_tmp)}
    demo, production = server_name("demo", env), server_name("https://api.procore.com", env)
    assert demo != production, "a demo never takes the files meant for a real run"
    assert server_name("demo", env) == demo, "the same for every launch"
    assert server_name("demo", {**env, "PROCORE_UPLOADER_HOME": "/b"}) != demo
    private = short_tmp / f"procore-uploader-u{os.getuid()}"
    assert Path(demo).parent == private
    # The user's runtime folder wins; a temporary folder too deep for a socket path is passed.
    assert Path(server_name("demo", {**env, "XDG_RUNTIME_DIR": str(short_tmp / "run")}))\
        .parent == private, "a runtime folder that does not exist is passed over"
    deep = short_tmp / ("d" * 90)
    deep.mkdir()
    assert Path(server_name("demo", {**env, "TMPDIR": str(deep)})).parent.parent == Path("/tmp")


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temporary folder with a short path: a socket path must stay within 100 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="pu-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder)


def test_message_round_trip_and_bad_messages(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert decode(encode([Path("a b.pdf")]).strip()) == [tmp_path / "a b.pdf"]
    for bad in (b"[]", b'{"paths": [1]}', b"not json"):
        with pytest.raises(ValueError):
            decode(bad)


def test_garbage_from_a_client_is_refused_and_nothing_is_added(qtbot: QtBot,
                                                               tmp_path: Path) -> None:
    instance = SingleInstance(f"procore-uploader-test-{os.getpid()}")
    received: list[list[Path]] = []
    instance.paths_received.connect(received.append)
    try:
        assert instance.listen()
        client = QLocalSocket()
        client.connectToServer(instance.name)
        assert client.waitForConnected(5000)
        client.write(b"{broken\n")
        client.flush()
        qtbot.waitUntil(lambda: client.bytesAvailable() > 0 or
                        client.state() == QLocalSocket.LocalSocketState.UnconnectedState,
                        timeout=5000)
        assert bytes(client.readAll().data()) == b"error\n"
        assert received == []
        client.abort()
    finally:
        instance.close()
