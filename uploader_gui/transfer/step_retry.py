"""Waiting out a brief run of failures on creating, completing or attaching an upload.

The client repeats what is safe to repeat a few times within seconds; a Procore outage of half
a minute outlasts that. Before a file is marked Failed, the engine tries the step again after
each of :data:`STEP_WAITS`, each wait drawn between half and all of its value ("equal jitter":
files that failed together do not come back together, and the tries still span at least
:func:`shortest_span` seconds). Every step continues from the journal, so nothing is sent twice.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

#: Seconds before each new try of a step that failed for a passing reason (5xx, 429).
STEP_WAITS: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0, 32.0)


def jittered(wait: float, draw: Callable[[], float] = random.random) -> float:
    """A wait between half and all of ``wait``."""
    return wait / 2 + (wait / 2) * draw()


def shortest_span(waits: Sequence[float]) -> float:
    """The least time the tries can span: every wait drawn at its lowest."""
    return sum(w / 2 for w in waits)
