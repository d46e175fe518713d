"""Events the upload workers sent just before the window shut down are still queued after it:
they must not start background work on the runner that is gone."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import documents_destination, make_item
from uploader_gui.domain import UploadState
from uploader_gui.gui.signals import emit
from uploader_gui.transfer.queue import Idle, ItemChanged

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_a_batch_ending_after_shutdown_is_not_acted_on(qtbot: QtBot, make_window: Any,
                                                       demo: Any, tmp_path: Path) -> None:
    window = make_window(destination=documents_destination(demo, "Drawings")).window
    # The remembered destination is listed: a finished batch would list it again.
    qtbot.waitUntil(lambda: "Drawings" in window.destination_bar.contents.title.text(),
                    timeout=10_000)
    done = dataclasses.replace(make_item(1, tmp_path), state=UploadState.DONE)
    bridge = window.queue._bridge
    emit(bridge.happened, ItemChanged(done, ended=True))  # queued, as from a worker
    emit(bridge.happened, Idle())
    assert window.shutdown(10_000)
    qtbot.wait(50)  # the queued events are delivered now; an exception fails the test
