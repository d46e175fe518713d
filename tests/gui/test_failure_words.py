"""Every error the window can show is in office language with a next step: the test walks the
error types the Procore client, the storage client, the network layer, sign-in and the engine
produce (built by their own code from server-like answers), then real failures from the sandbox
in the window, and checks that no text shows a raw code, a command, or a server phrase alone."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination, make_item
from uploader_gui.auth.session import NOT_SIGNED_IN
from uploader_gui.gui.failure_words import explain
from uploader_gui.gui.queue_columns import COL_STATUS
from uploader_gui.gui.queue_model import QueueModel
from uploader_gui.procore.http import RetryPolicy, network_error
from uploader_gui.procore.responses import api_error, storage_error
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox.faults import Fault
from uploader_gui.sandbox.storage import STATUS_CODES
from uploader_gui.procore.errors import SignInRequired
from uploader_gui.transfer.model import UploadState

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

#: An HTTP status, an S3-style code (two or more capitalised words run together), a command.
RAW = re.compile(r"\b[1-5]\d\d\b|\bHTTP\b|\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b|procore-uploader"
                 r"|PROCORE_|Run '")
NEXT_STEP = ("Choose", "Ask", "Check", "Add", "Wait", "Close", "Rename")


def _shown_part(text: str) -> str:
    """What the person reads before the details (which may quote the server)."""
    return text.split("Details:")[0]


def check_plain(shown: str, raw: str) -> None:
    part = _shown_part(shown)
    assert not RAW.search(part), f"raw text shown: {part!r} (from {raw!r})"
    assert any(step in part for step in NEXT_STEP), f"no next step in {part!r}"
    server = raw.strip().rstrip(".")
    assert not server or server not in part or len(part) > len(server) + 20, \
        f"the server's phrase alone: {part!r}"


def _api_bodies(status: int) -> list[bytes]:
    return [json.dumps({"errors": "Forbidden" if status == 403 else "Something failed"}).encode(),
            json.dumps({"message": "Name can't be blank", "errors": {"name": ["can't be blank"]}}
                       ).encode(),
            b"<html><head><title>Access denied</title></head><body>Blocked</body></html>",
            b""]


def _storage_answers() -> list[tuple[int, bytes]]:
    def xml(code: str, message: str) -> bytes:
        return (f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>{message}</Message>"
                "</Error>").encode()

    answers = [(status, xml(code, "Something failed")) for status, code in STATUS_CODES.items()]
    answers += [
        (403, xml("SignatureDoesNotMatch", "The request signature we calculated does not match "
                  "the signature you provided. Check your key and signing method.")),
        (403, xml("AccessDenied", "Request has expired")),
        (403, xml("AccessDenied", "Invalid according to Policy: Policy expired.")),
        (400, xml("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed "
                  "object size.")),
        (404, xml("NoSuchUpload", "The specified upload does not exist.")),
        (503, xml("SlowDown", "Please reduce your request rate.")),
        (502, b"<html><body>Bad Gateway</body></html>"),
    ]
    return answers


def _engine_and_auth_texts() -> list[str]:
    texts = [NOT_SIGNED_IN, "Unexpected problem: 'NoneType' object has no attribute 'get'",
             "The file was moved, renamed or deleted before it finished uploading.",
             "The file changed since it was added. It keeps changing; upload it again once it "
             "is saved and closed.",
             "The file could not be read: Permission denied."]
    try:
        StaticTokenProvider.from_environment()
    except SignInRequired as exc:
        texts.append(exc.message)
    for exc in (requests.exceptions.SSLError("bad cert"),
                requests.exceptions.ProxyError("no"),
                requests.exceptions.ConnectTimeout("slow"),
                requests.exceptions.ReadTimeout("slow"),
                requests.exceptions.ConnectionError("reset")):
        texts.append(network_error(exc, "api.procore.com").message)
    return texts


def every_error_text() -> list[str]:
    texts = []
    for status in (301, 400, 401, 403, 404, 405, 409, 410, 413, 422, 429, 500, 502, 503, 504):
        for body in _api_bodies(status):
            texts.append(api_error(status, {}, body).message)
    for status, body in _storage_answers():
        texts.append(storage_error(status, {}, body).message)
    texts += _engine_and_auth_texts()
    return texts


def test_every_error_type_has_an_office_language_sentence_and_a_next_step(
        tmp_path: Path) -> None:
    texts = every_error_text()
    assert len(texts) > 80
    model = QueueModel()
    try:
        items = []
        for number, text in enumerate(texts, 1):
            item = make_item(number, tmp_path, state=UploadState.FAILED)
            item.error = text
            items.append(item)
        model.add_items(items)
        for row, text in enumerate(texts):
            why = explain(text)
            check_plain(str(why), text)
            status = model.data(model.index(row, COL_STATUS))
            check_plain(status + " " + why.next_step, text)
            tip = model.data(model.index(row, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
            check_plain(tip, text)
    finally:
        model.stop()


def test_waiting_rows_tell_the_window_user_to_sign_in_not_to_run_a_command(
        tmp_path: Path) -> None:
    model = QueueModel()
    try:
        item = make_item(1, tmp_path, state=UploadState.WAITING_SIGN_IN)
        item.error = NOT_SIGNED_IN
        model.add_items([item])
        tip = model.data(model.index(0, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
        check_plain(tip, NOT_SIGNED_IN)
        assert "Sign in at the top right" in tip
    finally:
        model.stop()


FAULTS = [
    Fault("status", "associate", status=403, times=None),
    Fault("status", "associate", status=422, times=None),
    Fault("status", "create", status=404, times=None),
    Fault("status", "create", status=500, times=None),
    Fault("status", "storage_post", status=403, times=None),
    Fault("status", "storage_post", status=400, times=None),
    Fault("malformed", "create", variant="html", times=None),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f"{f.target}-{f.kind}")
def test_real_failures_in_the_window_read_plainly(
        fault: Fault, qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any,
        tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo, "Drawings"),
                                     retry=RetryPolicy(attempts=1, base_delay=0.01,
                                                       max_delay=0.02))
    window = parts.window
    sandbox.faults.add(fault)
    f = tmp_path / "A-101.pdf"
    f.write_bytes(os.urandom(3000))
    window.add_paths([f])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1
                    and window.model.item_at(0).state.finished, timeout=30_000)
    item = window.model.item_at(0)
    assert item.state is UploadState.FAILED, item.error
    raw = item.error or ""
    status = window.model.data(window.model.index(0, COL_STATUS))
    tip = window.model.data(window.model.index(0, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
    why = explain(raw, item)
    check_plain(status + " " + why.next_step, raw)
    check_plain(tip, raw)
    if window.notice_label.isVisible():
        assert not RAW.search(window.notice_label.text())
