"""Property-based: whatever a server answers, each file ends with a clear outcome.

Hypothesis generates answers (bad JSON, JSON of the wrong shape or types, HTML error pages,
plain text, binary, huge bodies, any status, any content type). The sandbox's ``malformed``
fault sends each one, over real HTTP, in place of Procore's answer to one request. The client
must return data or raise a :class:`ProcoreError` with a short readable message; the engine
must finish the file as done or failed with a plain reason, never with "Unexpected problem"
(an exception nobody expected), a hang, or a second document.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.errors import ProcoreError
from uploader_gui.procore.storage import StorageClient
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import DemoInfo, Fault, Sandbox
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import Destination, DestinationKind, UploadState

from .conftest import FAST_RETRY, FAST_STEP_RETRY, TIMEOUT, MiB, fast_settings

STATUSES = [200, 201, 204, 302, 400, 401, 403, 404, 409, 410, 418, 422, 429, 500, 502, 503]
CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/html",
                 "text/plain", "application/xml", "application/octet-stream", ""]
#: Keys the client and engine look for in Procore's answers, to make near-miss shapes likely.
KEYS = ["uuid", "url", "fields", "segments", "headers", "id", "status", "name", "files",
        "folders", "file_versions", "size", "created_at", "errors", "error", "message"]

# Strings that cannot be taken for a web address, so a fabricated "storage link" never makes
# the test reach for the network.
plain_text = st.text(alphabet=st.characters(blacklist_characters=":/"), max_size=40)
#: Storage links no client can use (none of them reaches for the network).
bad_links = st.sampled_from(["", "abc", "ftp://x/y", "http://[::1", "http://", "//h/x",
                             "http://h:port/x", "file:///etc/passwd"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | plain_text
    | bad_links,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(KEYS) | plain_text, inner, max_size=5),
    max_leaves=12)
near_miss = st.dictionaries(st.sampled_from(KEYS), json_values, min_size=1, max_size=6)
# An upload answer that is right in every way but its storage links.
bad_upload = st.fixed_dictionaries({
    "uuid": st.just("01BADLINK"), "url": bad_links,
    "fields": st.dictionaries(plain_text, plain_text, max_size=3),
    "segments": st.lists(st.fixed_dictionaries({"url": bad_links, "headers": st.just({})}),
                         min_size=1, max_size=2)})


def _html(title: str, text: str) -> str:
    return f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{text}</h1>"


bodies = st.one_of(
    json_values.map(json.dumps),
    near_miss.map(json.dumps),
    bad_upload.map(json.dumps),
    near_miss.map(json.dumps).flatmap(
        lambda text: st.integers(0, max(0, len(text) - 1)).map(lambda cut: text[:cut])),
    st.builds(_html, plain_text, plain_text),
    plain_text,
    st.binary(max_size=300),
    st.sampled_from([1, 3]).map(lambda mib: "<p>" + "x" * (mib * MiB)),
    st.sampled_from([1, 3]).map(lambda mib: json.dumps({"errors": "y" * (mib * MiB)})),
)
answers = st.fixed_dictionaries({"status": st.sampled_from(STATUSES),
                                 "content_type": st.sampled_from(CONTENT_TYPES),
                                 "body": bodies})

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[Sandbox, DemoInfo, Path]]:
    with tempfile.TemporaryDirectory(prefix="malformed-") as tmp, \
            Sandbox(Path(tmp) / "sandbox") as sandbox:
        yield sandbox, sandbox.seed_demo(), Path(tmp)


def assert_readable(error: ProcoreError) -> None:
    message = error.message
    assert isinstance(message, str) and message.strip(), repr(error)
    assert len(message) <= 600, message
    for bad in ("Traceback", "Exception", "<html", "<p>", "Bearer"):
        assert bad not in message, message


def _client(sandbox: Sandbox, demo: DemoInfo) -> ProcoreClient:
    return ProcoreClient(sandbox.api_url, StaticTokenProvider(sandbox.issue_token(demo.user_id)),
                         retry=FAST_RETRY, timeout=TIMEOUT)


CALLS = ["create", "show", "patch", "associate", "folders", "api"]


@given(answer=answers, target=st.sampled_from(CALLS))
@PROPERTY
def test_client_turns_any_answer_into_data_or_a_clear_error(
        running: tuple[Sandbox, DemoInfo, Path], answer: dict[str, Any], target: str) -> None:
    sandbox, demo, _ = running
    scope = Scope(demo.company_id, demo.project_ids[0])
    with _client(sandbox, demo) as client:
        uuid = client.create_upload(scope, {"response_filename": "a.pdf", "size": 1})["uuid"]
        sandbox.faults.clear()
        fault = sandbox.faults.add(Fault("malformed", target, variant="body", **answer))
        call = {
            "create": lambda: client.create_upload(scope, {"response_filename": "a.pdf"}),
            "show": lambda: client.show_upload(scope, uuid),
            "patch": lambda: client.complete_upload(
                scope, uuid, [{"size": 1, "sha256": "a" * 64, "etag": "e1"}]),
            "associate": lambda: client.create_file(scope, uuid, "a.pdf", None),
            "folders": lambda: client.root_folder(scope),
            "api": lambda: client.projects(demo.company_id),
        }[target]
        try:
            result = call()
        except ProcoreError as exc:
            assert_readable(exc)
        else:
            assert isinstance(result, (dict, list))
        finally:
            sandbox.faults.clear()
        assert fault.fired == 1


#: The requests each kind of file makes (a small file is never PATCHed, has no parts).
STEPS = [("create", False), ("create", True), ("patch", True), ("associate", False),
         ("associate", True), ("storage_put", True), ("storage_post", False)]


def _upload_answer(link: str) -> dict[str, Any]:
    body = {"uuid": "01BADLINK", "url": link, "fields": {"key": "k"},
            "segments": [{"url": link, "headers": {}}] * 2}
    return {"status": 201, "content_type": "application/json", "body": json.dumps(body)}


@given(answer=answers, step=st.sampled_from(STEPS))
@example(answer=_upload_answer("http://[::1"), step=("create", False))
@example(answer=_upload_answer("http://[::1"), step=("create", True))
@settings(PROPERTY, max_examples=45)
def test_engine_finishes_each_file_plainly_whatever_the_answer(
        running: tuple[Sandbox, DemoInfo, Path], answer: dict[str, Any],
        step: tuple[str, bool]) -> None:
    target, segmented = step
    sandbox, demo, tmp = running
    path = tmp / ("model.ifc" if segmented else "note.txt")
    if not path.exists():
        path.write_bytes(bytes(range(256)) * ((5 * MiB + 256) // 256 if segmented else 40))
    project = demo.project_ids[0]
    before = {d["id"] for d in sandbox.documents(project_id=project)}
    sandbox.faults.clear()
    fault = sandbox.faults.add(Fault("malformed", target, variant="body", **answer))
    with tempfile.TemporaryDirectory(prefix="journal-") as jdir:
        journal = Journal.open(Path(jdir) / "journal.sqlite3")
        engine = UploadEngine(_client(sandbox, demo), journal, fast_settings(),
                              storage=StorageClient(TIMEOUT), step_retry=FAST_STEP_RETRY)
        try:
            dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, project)
            [item] = engine.add([path], dest).items
            item = engine.run(item.id, TransferControl())
        finally:
            engine.close()
            engine.client.close()
            engine.storage.close()
            journal.close()
            sandbox.faults.clear()
    assert fault.fired == 1
    added = [d for d in sandbox.documents(project_id=project) if d["id"] not in before]
    assert item.state in (UploadState.DONE, UploadState.FAILED, UploadState.WAITING_SIGN_IN)
    assert len(added) <= 1, "a second document"
    if item.state is UploadState.DONE:
        if added:
            assert sandbox.document_bytes(added[0]["id"]) == path.read_bytes()
    else:
        assert item.error and not item.error.startswith("Unexpected problem"), item.error
        assert_readable(ProcoreError(item.error))
        assert added == []
