"""Uploads through the real engine to a sandbox that injects faults, over real sockets.

The client's timeouts and waits are short so a stalled answer times out in about a second and
a matrix of faults runs in well under two minutes; nothing else is replaced.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from uploader_gui.config import Settings
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.procore.storage import StorageClient
from uploader_gui.procore.tokens import StaticTokenProvider, TokenProvider
from uploader_gui.sandbox import DemoInfo, Sandbox
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import Destination, DestinationKind, ProgressEvent, UploadItem

MiB = 1024 * 1024
#: Below the segment threshold: one presigned POST.
SMALL = 300 * 1024 + 7
#: Three segments of 5 MiB (storage's minimum part size), the last one 3 bytes.
SEGMENTED = 10 * MiB + 3
#: Seconds a stalled answer is waited for (connect, read).
TIMEOUT = (2.0, 1.0)
FAST_RETRY = RetryPolicy(attempts=6, base_delay=0.05, max_delay=0.3)
#: The engine's waits before trying a failed create / complete / attach again, shortened.
FAST_STEP_RETRY = RetryPolicy(attempts=3, base_delay=0.1, max_delay=0.2, jitter_floor=0.5)


def fast_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"segment_threshold_mib": 5, "segment_size_mib": 5,
                              "parallel_segments": 3, "parallel_files": 2}
    values.update(overrides)
    return Settings(**values)


@dataclass
class Rig:
    """A sandbox with demo data, and the parts a person's upload goes through."""

    sandbox: Sandbox
    demo: DemoInfo
    tmp: Path
    engines: list[UploadEngine] = field(default_factory=list)
    events: list[ProgressEvent] = field(default_factory=list)

    @property
    def destination(self) -> Destination:
        return Destination(DestinationKind.PROJECT_FOLDER, self.demo.company_id,
                           self.demo.project_ids[0], label="Main Street Tower / Documents")

    def token(self) -> StaticTokenProvider:
        uid = self.demo.user_id
        return StaticTokenProvider(self.sandbox.issue_token(uid), identity=str(uid))

    def engine(self, tokens: TokenProvider | None = None, settings: Settings | None = None,
               journal: Path | None = None) -> UploadEngine:
        client = ProcoreClient(self.sandbox.api_url, tokens or self.token(), retry=FAST_RETRY,
                               timeout=TIMEOUT)
        engine = UploadEngine(client, Journal.open(journal or self.tmp / "journal.sqlite3"),
                              settings or fast_settings(), storage=StorageClient(TIMEOUT),
                              step_retry=FAST_STEP_RETRY)
        self.engines.append(engine)
        return engine

    def write(self, name: str, size: int) -> tuple[Path, bytes]:
        data = os.urandom(size)
        path = self.tmp / name
        path.write_bytes(data)
        return path, data

    def upload(self, engine: UploadEngine, paths: list[Path]) -> list[UploadItem]:
        added = engine.add(paths, self.destination)
        assert added.rejected == [] and added.duplicates == []
        return [engine.run(item.id, TransferControl(), self.events.append)
                for item in added.items]

    def documents(self) -> list[dict[str, Any]]:
        return self.sandbox.documents(project_id=self.demo.project_ids[0])

    def close(self) -> None:
        for engine in self.engines:
            engine.close()
            engine.journal.close()
            engine.client.close()
            engine.storage.close()


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """``make_rig(faults=..., **sandbox_options)`` starts a sandbox and seeds its demo data."""
    rigs: list[tuple[Rig, Sandbox]] = []

    def make(**options: Any) -> Rig:
        sandbox = Sandbox(data_dir=tmp_path / f"sandbox-{len(rigs)}", **options).start()
        rig = Rig(sandbox, sandbox.seed_demo(), tmp_path)
        rigs.append((rig, sandbox))
        return rig

    yield make
    for rig, sandbox in rigs:
        rig.close()
        sandbox.stop()
