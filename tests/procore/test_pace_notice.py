"""What the person is told while Procore's rate limit holds the uploads back (a real Pacer,
its clock moved by hand)."""

from __future__ import annotations

import time

from uploader_gui.procore.http import Pacer
from uploader_gui.procore.pace_notice import pace_notice

from .conftest import FakeClock, limits


def test_nothing_is_said_while_requests_flow(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock.time)
    assert pace_notice(pacer) is None
    assert pace_notice(None) is None
    pacer.hold(2.0)  # a short hold is not news
    assert pace_notice(pacer) is None


def test_a_hold_says_when_uploads_continue_and_ends_with_it(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock.time)
    pacer.hold(100.0)
    notice = pace_notice(pacer)
    assert notice is not None and notice.kind == "holding"
    assert "slow down" in notice.text and "about 2 minutes" in notice.text
    clock.sleep(90.0)
    notice = pace_notice(pacer)
    assert notice is not None and "about 10 seconds" in notice.text
    clock.sleep(10.0)
    assert pace_notice(pacer) is None


def test_an_exhausted_limit_holds_until_its_reset(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock.time)
    pacer.observe(limits(clock, 3600, 0, 40))
    notice = pace_notice(pacer)
    assert notice is not None and "about 40 seconds" in notice.text


def test_a_nearly_used_up_limit_says_files_go_more_slowly_until_the_reset(
        clock: FakeClock) -> None:
    pacer = Pacer(clock=clock.time)
    pacer.observe(limits(clock, 3600, 20, 600))  # 20 calls left for 10 minutes: one every 30 s
    assert pacer.spacing_until == clock.time() + 600
    assert pacer.spacing_for == 600
    expected = {time.strftime("%H:%M", time.localtime(time.time() + 600 + d)) for d in (0, 5)}
    notice = pace_notice(pacer)
    assert notice is not None and notice.kind == "spacing"
    assert "nearly used up" in notice.text
    assert any(f"until about {hhmm}" in notice.text for hhmm in expected), notice.text
    clock.sleep(240.0)  # four minutes on, six are left until the same reset
    assert pacer.spacing_for == 360
    expected = {time.strftime("%H:%M", time.localtime(time.time() + 360 + d)) for d in (0, 5)}
    notice = pace_notice(pacer)
    assert notice is not None
    assert any(f"until about {hhmm}" in notice.text for hhmm in expected), notice.text


def test_spacing_is_not_mentioned_once_its_reset_has_passed(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock.time)
    pacer.observe(limits(clock, 3600, 20, 600))
    clock.sleep(601.0)
    assert pacer.spacing_until == 0 and pacer.spacing_for == 0
    assert pace_notice(pacer) is None


def test_the_hourly_limit_says_until_when_and_is_waited_for(clock: FakeClock) -> None:
    """Procore: "pause requests until after X-Rate-Limit-Reset, then resume" -- the hourly
    reset can be most of an hour away: the hold lasts that long and says the time it ends."""
    pacer = Pacer(clock=clock.time)
    pacer.observe(limits(clock, 3600, 0, 50 * 60))
    assert pacer.holding_for == 50 * 60
    expected = {time.strftime("%H:%M", time.localtime(time.time() + 50 * 60 + d))
                for d in (0, 5)}
    notice = pace_notice(pacer)
    assert notice is not None and notice.kind == "holding"
    assert any(f"until {hhmm}" in notice.text for hhmm in expected), notice.text
    assert "about 50 minutes" in notice.text and "continue by themselves" in notice.text
    clock.sleep(50 * 60)
    assert pace_notice(pacer) is None
