"""What to tell the person while Procore's rate limit slows the uploads down.

Procore allows a number of API calls an hour (and in short bursts); past it, it answers 429
with a time to wait, and the client's :class:`~uploader_gui.procore.http.Pacer` holds every
request until then. Without a word the uploads would just seem stuck. The window shows this
text in its status bar and the command line prints it once per hold.
"""

from __future__ import annotations

import time
from typing import NamedTuple, Protocol

#: Holds shorter than this pass unmentioned (a brief spacing is not news).
MENTION_AFTER = 3.0
#: Spacing between requests from which "going more slowly" is worth saying.
MENTION_INTERVAL = 1.0
#: Holds at least this long are the hourly limit: said with the time they end.
LONG_HOLD = 120.0


class Paced(Protocol):
    @property
    def holding_for(self) -> float: ...

    @property
    def interval(self) -> float: ...

    @property
    def spacing_for(self) -> float: ...


class PaceNotice(NamedTuple):
    #: "holding" (nothing is sent until a time) or "spacing" (requests go out slowly).
    kind: str
    text: str
    #: The sentence gives the clock time the hold ends.
    says_until: bool = False
    #: The sentence ends by saying nothing needs to be done.
    reassures: bool = False


def pace_notice(pacer: Paced | None) -> PaceNotice | None:
    """What to say of the pacer's state now, or None when nothing is held back."""
    if pacer is None:
        return None
    holding = pacer.holding_for
    if holding >= LONG_HOLD:
        until = _clock_time(holding)
        return PaceNotice("holding", "Procore's limit on requests per hour has been reached. "
                          f"Files wait until {until} (about {duration_words(holding)}) and then "
                          "continue by themselves; nothing needs to be done.",
                          says_until=True, reassures=True)
    if holding >= MENTION_AFTER:
        return PaceNotice("holding", "Procore asked the app to slow down (too many requests in "
                          "a short time). Uploads continue by themselves in about "
                          f"{duration_words(holding)}.")
    spacing = pacer.spacing_for
    if pacer.interval >= MENTION_INTERVAL and spacing > 0:
        return PaceNotice("spacing", "Procore's limit on requests per hour is nearly used up, "
                          "so files are added more slowly until about "
                          f"{_clock_time(spacing)}, when it resets.")
    return None


def _clock_time(seconds_from_now: float) -> str:
    """The local time ``seconds_from_now`` on, as "14:05"."""
    return time.strftime("%H:%M", time.localtime(time.time() + seconds_from_now))


def duration_words(seconds: float) -> str:
    """A wait in words: "40 seconds", "20 minutes", "1 hour 10 minutes"."""
    if seconds < 90:
        whole = max(1, round(seconds))
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    hours, rest = divmod(minutes, 60)
    return f"{hours} hour{'s' if hours != 1 else ''} {rest} minutes" if rest else \
        f"{hours} hour{'s' if hours != 1 else ''}"
