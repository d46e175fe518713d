"""The pacer: spacing requests when the rate limit runs low, holding every thread after a 429."""

from __future__ import annotations

import threading
import time

from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.http import RELEASE_GAP, Pacer

from .conftest import FakeClock, FakeTokens, Reply, ScriptedServer, limits


def test_no_spacing_while_plenty_remains(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock.time, sleep=clock.sleep)
    pacer.observe(limits(clock, 3600, 400, 600))
    assert [pacer.wait() for _ in range(5)] == [0.0] * 5
    assert clock.sleeps == []


def test_low_remaining_spreads_requests_until_the_reset(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock.time, sleep=clock.sleep)
    pacer.observe(limits(clock, 3600, 300, 600))  # under 10 %: 300 requests for 600 s
    assert pacer.interval == 2.0
    waits = [pacer.wait() for _ in range(4)]
    assert waits == [0.0, 2.0, 2.0, 2.0]
    pacer.observe(limits(clock, 3600, 3000, 500))  # the window reset: full speed again
    assert pacer.interval == 0.0
    assert pacer.wait() == 0.0


def test_nothing_remaining_holds_until_the_reset(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock.time, sleep=clock.sleep)
    pacer.observe(limits(clock, 25, 0, 8))
    assert pacer.wait() == 8.0
    assert pacer.wait() == 0.0


def test_exhausted_hourly_limit_holds_at_most_max_hold(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock.time, sleep=clock.sleep, max_hold=900)
    pacer.observe(limits(clock, 3600, 0, 3000))
    assert pacer.holding_for == 900
    assert pacer.wait() == 900
    assert pacer.holding_for == 0


def test_hold_is_never_shortened(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock.time, sleep=clock.sleep)
    pacer.hold(10)
    pacer.hold(3)
    assert pacer.wait() == 10.0


def test_threads_held_back_are_let_go_one_by_one(clock: FakeClock) -> None:
    # Sleeps that do not move the clock: every wait() below stands for a thread that arrived
    # during the hold and sleeps through it side by side with the others.
    slept: list[float] = []
    pacer = Pacer(clock=clock.time, sleep=slept.append)
    pacer.hold(10)
    waits = [pacer.wait() for _ in range(4)]
    assert waits == [10.0, 10.0 + RELEASE_GAP, 10.0 + 2 * RELEASE_GAP, 10.0 + 3 * RELEASE_GAP]
    assert min(waits) >= 10.0, "none goes before the hold ends"
    clock.now += 20  # long after the hold: no gaps
    assert [pacer.wait() for _ in range(3)] == [0.0, 0.0, 0.0]


def test_a_hold_during_a_wait_extends_it() -> None:
    pacer = Pacer()
    pacer.hold(0.2)
    started = time.monotonic()
    worker = threading.Thread(target=pacer.wait)
    worker.start()
    time.sleep(0.05)
    pacer.hold(0.4)  # another thread met a 429 while the first one waited
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert time.monotonic() - started >= 0.42


def test_429_holds_every_thread_of_every_client_sharing_the_pacer(
        server: ScriptedServer) -> None:
    answered_429: list[float] = []

    def route(seen):  # type: ignore[no-untyped-def]
        if not answered_429:
            answered_429.append(time.monotonic())
            return Reply(429, {"message": "Too many requests"}, {"Retry-After": "1"})
        return Reply(200, {"id": 1})

    server.route = route
    pacer = Pacer()
    first = ProcoreClient(server.url, FakeTokens("a"), pacer=pacer)
    second = ProcoreClient(server.url, FakeTokens("b"), pacer=pacer)
    failures: list[BaseException] = []

    def call(client: ProcoreClient) -> None:
        try:
            client.me()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    try:
        leader = threading.Thread(target=call, args=(first,))
        leader.start()
        while not answered_429:
            time.sleep(0.01)
        time.sleep(0.2)  # the 429 has been seen; these threads start during the hold
        others = [threading.Thread(target=call, args=(c,)) for c in (first, second, second)]
        for thread in others:
            thread.start()
        for thread in [leader, *others]:
            thread.join(timeout=10)
        assert not any(t.is_alive() for t in [leader, *others])
    finally:
        first.close()
        second.close()
    assert failures == []
    later = [s.at - answered_429[0] for s in server.requests[1:]]
    assert len(later) == 4
    # Nothing was sent before the server's second was over (a little slack for clocks).
    assert min(later) >= 0.95, later
