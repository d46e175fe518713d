""""Never send a request the server told it to hold back", checked from the server's side.

Files upload in parallel through one engine (as the command line and the window do); when
the sandbox answers 429 or 503 with a time to come back, its request log must show no API
request from any thread arriving before that time. A request already on its way when the
answer left may arrive a moment later: with several files, arrivals within GRACE seconds of
the answer are not counted against the client. With one small file the API requests are
sequential, so nothing can be on its way and no grace is given.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from uploader_gui.sandbox.records import RequestRecord
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.model import UploadState

from .conftest import SMALL, Rig

GRACE = 0.25


def _upload_in_parallel(rig: Rig, count: int) -> None:
    engine = rig.engine()
    paths = [rig.write(f"daily-log-{n}.pdf", SMALL)[0] for n in range(count)]
    added = engine.add(paths, rig.destination)
    with ThreadPoolExecutor(count, thread_name_prefix="file") as pool:
        items = list(pool.map(lambda i: engine.run(i.id, TransferControl()), added.items))
    assert [i.state for i in items] == [UploadState.DONE] * count, [i.error for i in items]
    assert len(rig.documents()) == count


def _violations(rig: Rig, until_of: Callable[[RequestRecord], float],
                grace: float) -> list[str]:
    """API requests that arrived after an answer told the client to wait, before the time."""
    api = [r for r in rig.sandbox.request_log if r.server == "api"]
    found = []
    for answer in (r for r in api if r.status in (429, 503)):
        until = until_of(answer)
        for r in api:
            if answer.answered_at + grace < r.received_at < until:
                found.append(f"{r.method} {r.path} arrived {until - r.received_at:.2f} s early")
    return found


def _told(rig: Rig) -> int:
    return len([r for r in rig.sandbox.request_log if r.server == "api"
                and r.status in (429, 503)])


FILES = [pytest.param(1, 0.0, id="one-file"), pytest.param(4, GRACE, id="four-files")]


@pytest.mark.parametrize(("files", "grace"), FILES)
@pytest.mark.parametrize("spec", [
    "create:status=429*2/retry_after=2",
    "associate:status=429/retry_after=2",
    "create:status=503*2/retry_after=2",
])
def test_retry_after_is_honoured_by_every_thread(make_rig: Callable[..., Rig], spec: str,
                                                 files: int, grace: float) -> None:
    rig = make_rig(faults=spec)
    _upload_in_parallel(rig, files)
    assert _told(rig) >= 1
    # Retry-After counts from when the answer left.
    assert _violations(rig, lambda answer: answer.answered_at + 2, grace) == []


@pytest.mark.parametrize(("files", "grace"), FILES)
def test_rate_limit_reset_alone_is_honoured_by_every_thread(
        make_rig: Callable[..., Rig], files: int, grace: float) -> None:
    rig = make_rig(faults="create:status=429*2/retry_after=none/reset=2")
    _upload_in_parallel(rig, files)
    assert _told(rig) >= 1
    # X-Rate-Limit-Reset is the epoch second the sandbox named, 2 s after the request came
    # (rounded up): nothing may arrive before request time + 2.
    assert _violations(rig, lambda answer: answer.received_at + 2, grace) == []


def test_spike_limit_waits_are_honoured(make_rig: Callable[..., Rig]) -> None:
    """3 calls per 2 s for 6 parallel files: the client must wait for windows to pass. It
    holds back when X-Rate-Limit-Remaining reaches 0; a thread already past the pacer may
    still meet a 429, whose Retry-After (at least 1 s) every thread then honours."""
    rig = make_rig(rate_limit_spike=(3, 2.0))
    _upload_in_parallel(rig, 6)
    api = [r for r in rig.sandbox.request_log if r.server == "api"]
    assert len(api) >= 12
    assert _violations(rig, lambda answer: answer.answered_at + 1, GRACE) == []
