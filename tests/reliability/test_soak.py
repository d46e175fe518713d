"""Soak: many files, about one request in ten failing at random, the spike limit on.

``SOAK_FILES`` sets how many files (100 by default, as CI runs it; 500 by hand) and
``SOAK_SEED`` the seed of the fault plan and of the file sizes. Files are uploaded four at a
time through one engine, as the command line does; a file that still fails after the
engine's own retries is retried once more, as a person presses Retry. At the end every file
must be in Procore exactly once with the exact bytes. The figures are printed (run with -s)
for docs/reliability.md.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from uploader_gui.sandbox.faults import MAIN_PARAM
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.model import UploadState

from .conftest import MiB, Rig

#: Roughly one request in ten meets one of these (probabilities are per matching request).
SOAK_FAULTS = ",".join([
    "create:status=503@p0.04", "create:status=500@p0.03", "create:reset@p0.03",
    "create:status=429@p0.03/retry_after=1", "create:expire_links_after=0@p0.03",
    # Few files are segmented, so their PATCH fails more often to be met at all.
    "patch:status=500@p0.15", "patch:gone@p0.1",
    "associate:status=500@p0.04", "associate:delay_after_commit=3@p0.04",
    "associate:status=429@p0.03/retry_after=none/reset=1",
    "storage_post:reset@p0.05", "storage_post:status=503@p0.04", "storage_post:stall=4@p0.015",
    "storage_put:reset@p0.05", "storage_put:status=500@p0.04", "storage_put:stall=4@p0.015",
])
WORKERS = 4


def _machine() -> str:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "machine.py"
    spec = importlib.util.spec_from_file_location("benchmark_machine", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.describe())


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_soak_every_file_exactly_once(make_rig: Callable[..., Rig]) -> None:
    count = int(os.environ.get("SOAK_FILES", "100"))
    seed = int(os.environ.get("SOAK_SEED", "5"))
    rig = make_rig(faults=f"seed={seed},{SOAK_FAULTS}", rate_limit_spike=(25, 10.0))
    sizes = random.Random(seed)
    folder = rig.tmp / "drop"
    folder.mkdir()
    expected: dict[str, str] = {}
    for n in range(count):
        # One file in 25 is segmented (5 to 11 MiB); the rest 0 to 256 KiB.
        size = sizes.randint(5 * MiB, 11 * MiB) if n % 25 == 12 else sizes.randint(0, 256 * 1024)
        data = sizes.randbytes(size)
        name = f"file-{n:04d}.bin"
        (folder / name).write_bytes(data)
        expected[name] = hashlib.sha256(data).hexdigest()
    engine = rig.engine()
    added = engine.add(sorted(folder.iterdir()), rig.destination)
    assert len(added.items) == count and added.rejected == []

    started = time.monotonic()

    def run(item_id: int) -> UploadState:
        return engine.run(item_id, TransferControl()).state

    with ThreadPoolExecutor(WORKERS, thread_name_prefix="soak") as pool:
        states = list(pool.map(run, [i.id for i in added.items]))
    first_pass_failed = [i.id for i, s in zip(added.items, states, strict=True)
                         if s is not UploadState.DONE]
    for item_id in first_pass_failed:
        engine.retry(item_id)
        run(item_id)
    elapsed = time.monotonic() - started

    items = engine.items()
    not_done = [(i.name, i.state, i.error) for i in items if i.state is not UploadState.DONE]
    docs = rig.documents()
    by_name = Counter(d["name"] for d in docs)
    duplicates = sum(n - 1 for n in by_name.values() if n > 1) + \
        sum(len(d["versions"]) - 1 for d in docs)
    wrong_bytes = [d["name"] for d in docs
                   if d["versions"][-1]["sha256"] != expected.get(d["name"])]
    lost = [name for name in expected if name not in by_name]
    log = rig.sandbox.request_log
    fired: Counter[str] = Counter()
    for fault in rig.sandbox.faults.faults:
        value = fault.params.get(MAIN_PARAM.get(fault.kind, ""), "")
        fired[f"{fault.target}:{fault.kind}" + (f"={value}" if value != "" else "")] += \
            fault.fired
    total_bytes = sum(os.path.getsize(folder / name) for name in expected)
    print(f"\nSOAK files={count} seed={seed} workers={WORKERS} spike=25/10s "
          f"bytes={total_bytes} requests={len(log)} "
          f"api_requests={sum(r.server == 'api' for r in log)} "
          f"refused_429={sum(r.status == 429 for r in log)} "
          f"faults_fired={sum(fired.values())} "
          f"fault_share={sum(fired.values()) / max(1, len(log)):.1%} "
          f"first_pass_failed={len(first_pass_failed)} duplicates={duplicates} "
          f"lost={len(lost)} wrong_bytes={len(wrong_bytes)} seconds={elapsed:.0f}")
    print("SOAK faults by kind:", dict(sorted(fired.items())))
    print("SOAK machine:", _machine())
    assert not_done == []
    assert sum(fired.values()) >= count // 10, "too few faults fired to call this a soak"
    assert duplicates == 0 and lost == [] and wrong_bytes == []
    assert len(docs) == count
    assert len([u for u in rig.sandbox.uploads() if u["associated"]]) == count
