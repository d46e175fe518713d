"""What the person is told while Procore's rate limit holds the uploads back (a real Pacer,
its clock moved by hand)."""

from __future__ import annotations

from uploader_gui.procore.http import Pacer
from uploader_gui.procore.pace_notice import pace_notice


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_said_while_requests_flow() -> None:
    pacer = Pacer(clock=Clock())
    assert pace_notice(pacer) is None
    assert pace_notice(None) is None
    pacer.hold(2.0)  # a short hold is not news
    assert pace_notice(pacer) is None


def test_a_hold_says_when_uploads_continue_and_ends_with_it() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.hold(125.0)
    notice = pace_notice(pacer)
    assert notice is not None and notice.kind == "holding"
    assert "slow down" in notice.text and "about 2 minutes" in notice.text
    clock.now += 115.0
    notice = pace_notice(pacer)
    assert notice is not None and "about 10 seconds" in notice.text
    clock.now += 10.0
    assert pace_notice(pacer) is None


def test_an_exhausted_limit_holds_until_its_reset() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.observe({"X-Rate-Limit-Limit": "3600", "X-Rate-Limit-Remaining": "0",
                   "X-Rate-Limit-Reset": str(int(clock.now + 40))})
    notice = pace_notice(pacer)
    assert notice is not None and "about 40 seconds" in notice.text


def test_a_nearly_used_up_limit_says_files_go_more_slowly() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    # 20 calls left for the next 10 minutes: one every 30 s.
    pacer.observe({"X-Rate-Limit-Limit": "3600", "X-Rate-Limit-Remaining": "20",
                   "X-Rate-Limit-Reset": str(int(clock.now + 600))})
    notice = pace_notice(pacer)
    assert notice is not None and notice.kind == "spacing"
    assert "nearly used up" in notice.text
