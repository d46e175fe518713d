"""Every fault of the reliability promise × a small and a segmented file, end to end.

Each case starts a sandbox with a fault plan (written as the ``--faults`` spec a person would
type), uploads one file through the real engine and client over real sockets, and checks:

- the fault really happened (a case whose fault never fired proves nothing);
- the end state in the sandbox: exactly one document of that name, one version, the exact
  bytes, exactly one upload associated (no duplicate);
- what the person is told: the item's final state, and for files that could not be uploaded a
  short reason in plain words (no traceback, no class names, no token, no HTML).

Faults that cannot happen to a kind of file (a small file is never PATCHed) are left out of
that kind, and ``docs/reliability.md`` says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from keyrings.alt.file import PlaintextKeyring

from uploader_gui.auth.credentials import ClientCredentials
from uploader_gui.auth.keyring_store import KeyringStore
from uploader_gui.auth.session import login_service_account
from uploader_gui.config import resolve_environment
from uploader_gui.procore.tokens import TokenProvider
from uploader_gui.sandbox import oauth as sandbox_oauth
from uploader_gui.transfer.model import UploadItem, UploadState

from .conftest import SEGMENTED, SMALL, Rig

KINDS = {"small": SMALL, "segmented": SEGMENTED}


@dataclass(frozen=True)
class Case:
    """A fault plan, the kinds of file it applies to, and the sandbox options it needs."""

    id: str
    spec: str
    kinds: tuple[str, ...] = ("small", "segmented")
    sandbox: dict[str, Any] = field(default_factory=dict)
    #: "static" (a fixed token) or "oauth" (a service-account sign-in that renews itself).
    tokens: str = "static"
    #: Faults fired at least this often in all (several faults in a spec may share a request).
    min_fired: int = 1


RECOVERED = [
    Case("create-503", "create:status=503*2"),
    Case("create-500", "create:status=500*2"),
    Case("create-reset", "create:reset"),
    Case("patch-500", "patch:status=500*2", kinds=("segmented",)),
    Case("patch-reset", "patch:reset", kinds=("segmented",)),
    Case("associate-500", "associate:status=500"),
    Case("associate-503", "associate:status=503"),
    Case("storage-put-500", "storage_put:status=500*2", kinds=("segmented",)),
    Case("storage-post-500", "storage_post:status=500*2", kinds=("small",)),
    Case("storage-put-reset-mid-body", "storage_put:reset*2", kinds=("segmented",)),
    Case("storage-post-reset-mid-body", "storage_post:reset*2", kinds=("small",)),
    Case("storage-put-stall", "storage_put:stall=6", kinds=("segmented",)),
    Case("storage-post-stall", "storage_post:stall=6", kinds=("small",)),
    Case("429-retry-after", "create:status=429/retry_after=1,associate:status=429/retry_after=1",
         min_fired=2),
    Case("429-rate-limit-reset-only",
         "create:status=429/retry_after=none/reset=1,associate:status=429/retry_after=none/reset=1",
         min_fired=2),
    Case("503-retry-after", "api:status=503/retry_after=1/after=1"),
    Case("spike-limit", "", sandbox={"rate_limit_spike": (1, 1.0)}),
    Case("token-expires-after-calls", "api:token_expire_after_calls=2", tokens="oauth"),
    Case("links-expire", "create:expire_links_after=0"),
    Case("patch-410-gone", "patch:gone", kinds=("segmented",)),
    Case("association-recorded-answer-late", "associate:delay_after_commit=4"),
]

# Faults that do not pass: the file is not uploaded and the person is told why.
FAILING = [
    Case("create-500-forever", "create:status=500*inf"),
    Case("storage-500-forever", "storage_put:status=500*inf,storage_post:status=500*inf"),
    Case("associate-500-forever", "associate:status=500*inf"),
    Case("patch-410-forever", "patch:gone*inf", kinds=("segmented",)),
    Case("create-answer-not-json", "create:malformed=json*inf"),
    Case("api-html-error-page", "create:malformed=html*inf"),
    Case("api-huge-error-body", "create:malformed=huge*inf/size=3000000"),
    Case("token-refused", "token:status=401*inf"),
]
TOLD = {
    # The server's own words when it gives any (the sandbox says "Internal Server Error").
    "create-500-forever": r"^Procore had a problem on its side \(HTTP 500: Internal Server "
                          r"Error\)\. Please try again later\.$",
    "storage-500-forever": r"storage service had a problem \(HTTP 500\)",
    "associate-500-forever": r"\(HTTP 500: Internal Server Error\)",
    "patch-410-forever": r"kept saying the upload was gone",
    "create-answer-not-json": r"could not read",
    "api-html-error-page": r"HTTP 502: 502 Bad Gateway",
    "api-huge-error-body": r"HTTP 500",
    "token-refused": r"sign in again",
}


def _cells(cases: list[Case]) -> list[Any]:
    return [pytest.param(case, kind, id=f"{case.id}-{kind}") for case in cases
            for kind in case.kinds]


def oauth_tokens(rig: Rig) -> TokenProvider:
    """A real sign-in as the app's service account: on a 401 it fetches a new token."""
    backend = PlaintextKeyring()
    backend.file_path = str(rig.tmp / "keyring.cfg")
    store = KeyringStore("procore-uploader-fault-matrix", backend=backend)
    creds = ClientCredentials(sandbox_oauth.DEMO_CLIENT_ID, sandbox_oauth.DEMO_CLIENT_SECRET)
    return login_service_account(resolve_environment(api_base=rig.sandbox.api_url),
                                 store=store, credentials=creds,
                                 company_id=rig.demo.company_id)


def _run(make_rig: Callable[..., Rig], case: Case, kind: str) -> tuple[Rig, UploadItem, bytes]:
    rig = make_rig(faults=case.spec, **case.sandbox)
    tokens = oauth_tokens(rig) if case.tokens == "oauth" else None
    path, data = rig.write(f"site-report-{kind}.pdf", KINDS[kind])
    [item] = rig.upload(rig.engine(tokens), [path])
    return rig, item, data


def _fired(rig: Rig) -> int:
    return sum(f.fired for f in rig.sandbox.faults.faults)


def assert_plain_words(text: str, rig: Rig) -> None:
    """A sentence for an office worker: no traceback, code names, markup or secret."""
    assert text and len(text) < 600, text
    for bad in ("Traceback", "Error(", "Exception", "requests.", "urllib3", "HTTPConnection",
                "<html", "<p>", "Bearer", "X-Amz-Signature", "None"):
        assert bad not in text, text
    for token in rig.sandbox.state.tokens:
        assert token not in text


@pytest.mark.parametrize(("case", "kind"), _cells(RECOVERED))
def test_fault_is_survived_exactly_once(make_rig: Callable[..., Rig], case: Case,
                                        kind: str) -> None:
    if case.id == "spike-limit":
        # One call per second: every call after the first must wait for the window to pass.
        # The client reads X-Rate-Limit-Remaining: 0 and holds back instead of earning a 429.
        rig = make_rig(**case.sandbox)
        path, data = rig.write(f"site-report-{kind}.pdf", KINDS[kind])
        [item] = rig.upload(rig.engine(), [path])
        api = [r for r in rig.sandbox.request_log if r.server == "api"]
        assert len(api) > 1
        assert [r for r in api if r.status == 429] == []
    else:
        rig, item, data = _run(make_rig, case, kind)
        assert _fired(rig) >= case.min_fired, rig.sandbox.faults.faults
    assert item.state is UploadState.DONE, item.error
    assert item.error is None
    assert item.bytes_done == len(data)
    [doc] = rig.documents()
    assert doc["name"] == item.name and doc["id"] == item.procore_id
    assert len(doc["versions"]) == 1
    assert rig.sandbox.document_bytes(doc["id"]) == data
    associated = [u for u in rig.sandbox.uploads() if u["associated"]]
    assert len(associated) == 1
    assert associated[0]["segmented"] is (kind == "segmented")
    assert all(e.error is None for e in rig.events)
    assert rig.events[-1].state is UploadState.DONE


@pytest.mark.parametrize(("case", "kind"), _cells(FAILING))
def test_fault_that_does_not_pass_is_told_plainly(make_rig: Callable[..., Rig], case: Case,
                                                  kind: str) -> None:
    rig, item, _ = _run(make_rig, case, kind)
    assert _fired(rig) >= 1
    expected = UploadState.WAITING_SIGN_IN if case.id == "token-refused" else UploadState.FAILED
    assert item.state is expected, (item.state, item.error)
    assert item.error is not None
    assert re.search(TOLD[case.id], item.error, re.IGNORECASE), item.error
    assert_plain_words(item.error, rig)
    assert rig.events[-1].state is expected and rig.events[-1].error == item.error
    # Nothing half-made: no document, nothing associated.
    assert rig.documents() == []
    assert not any(u["associated"] for u in rig.sandbox.uploads())


def test_failed_file_goes_through_on_retry_once_the_fault_is_gone(
        make_rig: Callable[..., Rig], tmp_path: Path) -> None:
    """After "failed", Retry uploads the same file once: nothing was lost, nothing doubled."""
    rig = make_rig(faults="associate:status=500*inf")
    path, data = rig.write("handover.pdf", SEGMENTED)
    engine = rig.engine()
    [item] = rig.upload(engine, [path])
    assert item.state is UploadState.FAILED
    rig.sandbox.faults.clear()
    engine.retry(item.id)
    item = engine.run(item.id)
    assert item.state is UploadState.DONE, item.error
    [doc] = rig.documents()
    assert rig.sandbox.document_bytes(doc["id"]) == data
    assert len([u for u in rig.sandbox.uploads() if u["associated"]]) == 1
