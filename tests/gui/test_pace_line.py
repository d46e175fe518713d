"""While Procore's limit holds uploads back, the line says until when (a clock time) and how many
files wait, instead of "until it resets" alone."""

from __future__ import annotations

import time

from uploader_gui.gui.pace_line import pace_line


class Pacer:
    def __init__(self, holding_for: float = 0.0, interval: float = 0.0,
                 spacing_for: float = 0.0) -> None:
        self.holding_for = holding_for
        self.interval = interval
        self.spacing_for = spacing_for


def test_a_hold_says_the_clock_time_and_how_many_wait() -> None:
    """A short hold (Procore asked to slow down) says "in about 2 minutes"; the line adds the
    clock time."""
    now = time.mktime((2026, 12, 4, 14, 2, 30, 0, 0, -1))
    text = pace_line(Pacer(holding_for=100), 820, now=now)
    assert "in about 2 minutes (at 14:04)" in text, text
    assert "820 files wait for it; nothing needs doing." in text


def test_a_long_hold_names_its_time_once_even_across_a_minute() -> None:
    """The hourly limit's sentence names the time itself; the line does not add a second one,
    even when its own reading of the clock falls in the next minute."""
    later = time.time() + 60
    text = pace_line(Pacer(holding_for=50 * 60), 3, now=later)
    assert text.count(":") == 1 and "(at " not in text, text


def test_spacing_says_how_many_wait_and_nothing_when_free() -> None:
    assert "3 files wait" in pace_line(Pacer(interval=30, spacing_for=600), 3)
    assert pace_line(Pacer(), 5) == ""
    assert pace_line(None, 5) == ""


def test_the_hourly_limit_line_says_its_time_and_what_to_do_once() -> None:
    """The hourly limit's own sentence names the time and says nothing needs doing; the line
    adds only how many files wait."""
    text = pace_line(Pacer(holding_for=50 * 60), 12)
    assert "until " in text and "(at " not in text, text
    assert text.count("nothing needs") == 1, text
    assert "12 files wait for it." in text
