"""The journal, settings and log files are readable by the user only, their folders too."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from uploader_gui import config, logsetup
from uploader_gui.config import Settings
from uploader_gui.journal.store import Journal

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PROCORE_UPLOADER_HOME", str(tmp_path / "home"))
    # A lax umask, as some desktops set: the files must still come out private.
    old = os.umask(0o002)
    yield tmp_path / "home"
    os.umask(old)


@pytest.fixture
def log_handler(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[logging.Handler]:
    monkeypatch.setattr(logsetup, "_configured", False)
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    logsetup.configure()
    [handler] = [h for h in root.handlers if h not in before]
    yield handler
    root.removeHandler(handler)
    handler.close()
    root.setLevel(level)


def test_folders_are_private(home: Path) -> None:
    for folder in (config.data_dir(), config.config_dir(), config.log_dir()):
        assert mode(folder) == 0o700, folder


def test_journal_and_its_wal_files_are_private(home: Path) -> None:
    path = config.data_dir() / "journal.sqlite3"
    journal = Journal.open(path)
    try:
        journal.items()
        files = sorted(path.parent.glob("journal.sqlite3*"))
        assert {f.name for f in files} >= {"journal.sqlite3", "journal.sqlite3-wal"}
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        journal.close()


def test_settings_file_is_private(home: Path) -> None:
    path = config.config_dir() / "settings.json"
    Settings().save(path)
    assert mode(path) == 0o600


def test_log_file_stays_private_after_a_rollover(log_handler: logging.Handler,
                                                 home: Path) -> None:
    path = config.log_dir() / logsetup.LOG_FILE_NAME
    logging.getLogger("uploader_gui.test").warning("first file")
    assert mode(path) == 0o600
    assert isinstance(log_handler, logging.handlers.RotatingFileHandler)
    log_handler.doRollover()
    logging.getLogger("uploader_gui.test").warning("second file")
    assert mode(path) == 0o600
    assert mode(path.with_name(path.name + ".1")) == 0o600
    assert "second file" in path.read_text(encoding="utf-8")


def test_a_log_file_left_readable_is_made_private(home: Path) -> None:
    path = config.log_dir() / logsetup.LOG_FILE_NAME
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o644)
    handler = logsetup.PrivateRotatingFileHandler(path, encoding="utf-8")
    try:
        handler.emit(logging.makeLogRecord({"msg": "new", "levelno": logging.INFO}))
    finally:
        handler.close()
    assert mode(path) == 0o600
    assert path.read_text(encoding="utf-8") == "old\nnew\n"
