"""When a slow upload asks Show Upload whether it signs its links again: decided by the links'
age at each part stored (a clock the test holds), never by the time since an earlier
question, so the answer is known before another part starts on links that may have expired."""

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from uploader_gui.transfer import storage_flows
from uploader_gui.transfer.storage_flows import RESIGN_PROBE_AGE, _Pace, _Replan

MiB = 1024 * 1024
CREATED = 1_700_000_000.0
LIFE = 3  # seconds the links live


def _link(signed_at: float, part: int) -> str:
    stamp = datetime.fromtimestamp(signed_at, UTC).strftime("%Y%m%dT%H%M%SZ")
    return (f"https://storage.example/u/abc?partNumber={part}"
            f"&X-Amz-Date={stamp}&X-Amz-Expires={LIFE}&X-Amz-Signature=s{int(signed_at)}")


class FakeClient:
    """Show Upload: the links as first signed, or signed again at the current time."""

    def __init__(self, clock: "Clock", resigns: bool) -> None:
        self.clock, self.resigns, self.shows = clock, resigns, 0

    def show_upload(self, scope: Any, uuid: str) -> dict[str, Any]:
        self.shows += 1
        at = self.clock.now if self.resigns else CREATED
        return {"uuid": uuid, "segments": [{"url": _link(at, n), "headers": {}}
                                           for n in range(1, 13)]}


class Clock:
    def __init__(self) -> None:
        self.now = CREATED

    def __call__(self) -> float:
        return self.now


def _pace(resigns: bool,
          monkeypatch: pytest.MonkeyPatch) -> tuple[_Pace, Any, Clock, FakeClient]:
    clock = Clock()
    # The pace is measured on the same held clock (the module's monotonic time).
    monkeypatch.setattr(storage_flows, "time", SimpleNamespace(monotonic=clock))
    client = FakeClient(clock, resigns)
    saved: list[Any] = []
    rec = SimpleNamespace(
        upload_uuid="abc", upload_created_at=CREATED,
        segments=[SimpleNamespace(index=n - 1, etag=None, size=5 * MiB, url=_link(CREATED, n),
                                  headers={})
                  for n in range(1, 13)])
    ctx = SimpleNamespace(
        rec=rec, clock=clock, client=client, scope=None, resigns=None,
        item=SimpleNamespace(id=1, size=60 * MiB),
        journal=SimpleNamespace(save_links=lambda *a: saved.append(a)))
    pace = _Pace(ctx, rec)  # type: ignore[arg-type]
    return pace, ctx, clock, client


def test_links_too_young_to_tell_are_not_asked_about_and_the_next_part_decides(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve 5 MiB parts, 3 s links, not signed again. Parts stored one second after the
    links were made: too soon to tell (links signed again in the same second are the same),
    so Show Upload is not asked. The parts stored just after two seconds decide at once, in
    the same instant of real time (no wait between questions)."""
    pace, ctx, clock, client = _pace(False, monkeypatch)
    pace.stored(10 * MiB)
    clock.now = CREATED + 1.0
    pace.check(unstarted=50 * MiB, lanes=2)
    pace.check(unstarted=45 * MiB, lanes=2)
    assert client.shows == 0 and ctx.resigns is None
    clock.now = CREATED + RESIGN_PROBE_AGE + 0.05
    with pytest.raises(_Replan) as plan:
        pace.check(unstarted=40 * MiB, lanes=2)
    assert client.shows == 1 and ctx.resigns is False
    assert plan.value.segment_size == 30 * MiB
    assert "too slow" in plan.value.note and "2 larger parts" in plan.value.note


def test_links_signed_again_keep_the_plan_and_are_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pace, ctx, clock, client = _pace(True, monkeypatch)
    pace.stored(10 * MiB)
    clock.now = CREATED + RESIGN_PROBE_AGE + 0.05
    pace.check(unstarted=40 * MiB, lanes=2)  # no _Replan
    assert client.shows == 1 and ctx.resigns is True
    # Parts started from now on use the links signed again, not the round's first ones.
    url, _ = pace.link(ctx.rec.segments[5])
    assert url == _link(clock.now, 6) and url != ctx.rec.segments[5].url
    pace.check(unstarted=35 * MiB, lanes=2)
    assert client.shows == 1, "decided once per round"


def test_parts_that_can_start_in_time_ask_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pace, ctx, clock, client = _pace(False, monkeypatch)
    pace.stored(50 * MiB)
    clock.now = CREATED + 2.0
    pace.check(unstarted=5 * MiB, lanes=2)  # 25 MiB/s so far: the last part starts in time
    assert client.shows == 0 and ctx.resigns is None


def test_the_probe_age_is_longer_than_the_signing_granularity() -> None:
    """X-Amz-Date counts whole seconds: one second is the least age at which links signed
    again must differ; the margin covers the time the first answer took to arrive."""
    assert RESIGN_PROBE_AGE > 1.0
    assert storage_flows.LINK_LIFETIME > 100 * RESIGN_PROBE_AGE
