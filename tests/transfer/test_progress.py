"""Progress only moves forward and never passes the total, even when segments are re-sent."""

from uploader_gui.transfer.progress import ProgressMeter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_retried_segment_does_not_run_past_total_or_backwards() -> None:
    clock = Clock()
    meter = ProgressMeter(total=200, clock=clock)
    seen = []
    meter.add(0, 80)
    seen.append(meter.done)
    meter.restart_part(0)  # the segment failed and is sent again from its start
    meter.add(0, 30)
    seen.append(meter.done)
    meter.add(0, 70)
    meter.add(1, 100)
    seen.append(meter.done)
    meter.add(1, 50)  # more bytes than the part holds (a retry racing the first try)
    seen.append(meter.done)
    assert seen == sorted(seen), seen
    assert seen[-1] == 200


def test_speed_and_eta() -> None:
    clock = Clock()
    meter = ProgressMeter(total=1000, clock=clock)
    meter.add(0, 100)
    clock.now = 1.0
    meter.add(0, 100)
    assert meter.speed() == 100.0
    assert meter.eta() == 8.0


def test_resumed_parts_count_as_done() -> None:
    meter = ProgressMeter(total=30)
    meter.set_done(0, 10)
    meter.set_done(1, 10)
    assert meter.done == 20
