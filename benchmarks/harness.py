"""What the benchmark scripts share: test files, a sandbox, the command line in a child process
with its peak memory, and ``curl`` as the baseline client."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import Sandbox

MiB = 1024 * 1024

#: Runs the command line and reports its peak RSS (kernel's figure) when it ends.
_CLI_WITH_PEAK = (
    "import resource, sys\n"
    "from uploader_gui.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    "raise SystemExit(code)\n")


def make_file(path: Path, size: int) -> None:
    """``size`` random-looking bytes (each MiB differs, so segments and files differ)."""
    block = os.urandom(MiB)
    salt = os.urandom(8)
    with open(path, "wb") as handle:
        handle.writelines(i.to_bytes(8, "little") + salt + block[16:] for i in range(size // MiB))
        handle.write(os.urandom(size % MiB))


def settle_disk() -> None:
    """Write dirty pages out before a timed step, so none pays for an earlier step's writes.

    Without it, whichever step follows writing the test file runs ~1.5x slower.
    """
    os.sync()


@dataclass
class BenchSandbox:
    """A running sandbox with the demo data, and the environment the command line needs."""

    sandbox: Sandbox
    demo: Any
    env: dict[str, str]
    home: Path
    data: Path

    @property
    def project_id(self) -> int:
        return int(self.demo.project_ids[0])

    def client(self) -> ProcoreClient:
        return ProcoreClient(self.sandbox.api_url,
                             StaticTokenProvider(self.env["PROCORE_ACCESS_TOKEN"]))

    def scope(self) -> Scope:
        return Scope(company_id=self.demo.company_id, project_id=self.project_id)

    @property
    def where(self) -> str:
        """Where the sandbox keeps what it stores, for the printed figures."""
        return "memory (tmpfs)" if self.data.is_relative_to(MEMORY_DIR) else "disk"

    def write_settings(self, **values: object) -> None:
        """Settings the command line will load (the same file a person's settings live in)."""
        path = self.home / "config" / "settings.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")

    def storage_bytes(self) -> int:
        """Body bytes the storage server has read, over every request it has logged."""
        return sum(r.bytes_received for r in self.sandbox.request_log if r.server == "storage")


#: Where the sandbox keeps what it stores when there is room: memory (tmpfs).
MEMORY_DIR = Path("/dev/shm")


def sandbox_data_dir(workdir: Path, name: str, stores: int) -> Path:
    """Where a sandbox that will store ``stores`` bytes keeps them.

    In memory when /dev/shm has room for them and 2 GiB more: the sandbox stands in for S3,
    whose disks are not this machine's. On this machine's disk the first GiB written after a
    large write went at half speed, which made the sandbox, not the client, the slow part.
    """
    if stores and MEMORY_DIR.is_dir():
        free = shutil.disk_usage(MEMORY_DIR).free
        if free > stores + 2 * 1024**3:
            return Path(tempfile.mkdtemp(prefix=f"bench-sandbox-{name}-", dir=MEMORY_DIR))
    return workdir / f"sandbox-{name}"


@contextmanager
def bench_sandbox(workdir: Path, name: str, *, stores: int = 0,
                  **sandbox_args: Any) -> Iterator[BenchSandbox]:
    """A sandbox whose stored files are removed afterwards (see :func:`sandbox_data_dir`)."""
    data = sandbox_data_dir(workdir, name, stores)
    home = workdir / f"home-{name}"
    try:
        with Sandbox(data_dir=data, **sandbox_args) as sb:
            demo = sb.seed_demo()
            env = {**os.environ, "PROCORE_ACCESS_TOKEN": sb.issue_token(demo.user_id),
                   "PROCORE_UPLOADER_HOME": str(home)}
            yield BenchSandbox(sb, demo, env, home, data)
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


@dataclass
class CliRun:
    code: int
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str


def cli_command(args: Sequence[str]) -> list[str]:
    """The command line as a child process that prints its peak RSS at the end."""
    return [sys.executable, "-c", _CLI_WITH_PEAK, *args]


def run_cli(args: Sequence[str], env: dict[str, str], *, check: bool = True) -> CliRun:
    started = time.perf_counter()
    result = subprocess.run(cli_command(args), env=env, capture_output=True, text=True,
                            check=False)
    seconds = time.perf_counter() - started
    if check and result.returncode != 0:
        raise SystemExit(f"procore-uploader {' '.join(args[:1])} failed "
                         f"({result.returncode}): {result.stderr[-2000:]}")
    peak = result.stdout.split("PEAK_KB")[-1].split()
    peak_mb = int(peak[0]) / 1024 if "PEAK_KB" in result.stdout and peak else float("nan")
    return CliRun(result.returncode, seconds, peak_mb, result.stdout, result.stderr)


def curl_path() -> str:
    path = shutil.which("curl")
    if path is None:
        raise SystemExit("curl is needed for the baseline (apt-get install curl)")
    return path


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_curl(requests: Sequence[list[tuple[str, str]]], parallel: int, workdir: Path) -> float:
    """Send every request with one ``curl --parallel`` (connections reused); seconds taken.

    Each request is a list of curl config lines (option, value). Every answer must be 2xx.
    """
    config = workdir / "curl.config"
    with open(config, "w", encoding="utf-8") as out:
        for i, lines in enumerate(requests):
            if i:
                out.write("next\n")
            out.write('silent\nshow-error\noutput = "/dev/null"\n'
                      'write-out = "%{http_code}\\n"\nheader = "Expect:"\n')
            out.writelines(f"{option} = {_quoted(value)}\n" for option, value in lines)
    command = [curl_path(), "--parallel", "--parallel-max", str(parallel),
               "--parallel-immediate", "-K", str(config)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    codes = result.stdout.split()
    bad = [c for c in codes if not c.startswith("2")]
    if result.returncode != 0 or len(codes) != len(requests) or bad:
        raise SystemExit(f"curl baseline failed ({result.returncode}; answers {bad[:5]}): "
                         f"{result.stderr[-1000:]}")
    config.unlink()
    return seconds
