"""Per-file progress that only moves forward, with speed and time left."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class ProgressMeter:
    """Bytes sent for one file, shown monotonic and never above the total.

    Each segment (or the single body) reports its own count; a retried segment starts again
    from zero, but what the person sees for it stays at the most it ever reached, so the total
    neither runs backwards nor past 100%. Speed counts every byte actually sent, retries
    included, over the last few seconds.
    """

    WINDOW = 5.0

    def __init__(self, total: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self._clock = clock
        self._lock = threading.Lock()
        self._best: dict[int, int] = {}
        self._current: dict[int, int] = {}
        self._shown = 0
        self._samples: deque[tuple[float, int]] = deque()
        self._sent = 0

    def set_done(self, part: int, size: int) -> None:
        """A part known to be in storage already (resumed upload)."""
        with self._lock:
            self._best[part] = size
            self._update_shown()

    def add(self, part: int, n: int) -> None:
        with self._lock:
            self._current[part] = self._current.get(part, 0) + n
            if self._current[part] > self._best.get(part, 0):
                self._best[part] = self._current[part]
            self._sent += n
            now = self._clock()
            self._samples.append((now, self._sent))
            while self._samples and now - self._samples[0][0] > self.WINDOW:
                self._samples.popleft()
            self._update_shown()

    def restart_part(self, part: int) -> None:
        """The part is being sent again from its first byte."""
        with self._lock:
            self._current[part] = 0

    def reset(self) -> None:
        """Everything is sent again (a new upload); the shown figure still never drops."""
        with self._lock:
            self._current.clear()
            self._best.clear()

    def _update_shown(self) -> None:
        self._shown = min(self.total, max(self._shown, sum(self._best.values())))

    @property
    def done(self) -> int:
        with self._lock:
            return self._shown

    def speed(self) -> float:
        with self._lock:
            if len(self._samples) < 2:
                return 0.0
            (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
            span = max(self._clock() - t0, t1 - t0)
            return (b1 - b0) / span if span > 0 else 0.0

    def eta(self) -> float | None:
        rate = self.speed()
        if rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / rate)
