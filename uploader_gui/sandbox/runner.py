"""Running the sandbox in the foreground for ``procore-uploader sandbox`` (Ctrl-C stops it)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .faults import parse_fault_spec
from .sandbox import Sandbox

logger = logging.getLogger(__name__)


def describe(sandbox: Sandbox, token: str, project_id: int, folder_path: str) -> str:
    """What a person needs to point the uploader at a running sandbox."""
    return "\n".join([
        "Procore sandbox is running.",
        f"  API:     {sandbox.api_url}",
        f"  Sign-in: {sandbox.login_url}",
        f"  Storage: {sandbox.storage_url}",
        f"  Files:   {sandbox.data_dir}",
        "",
        f"Demo access token (valid {sandbox.state.token_lifetime // 60} minutes):",
        f"  {token}",
        "",
        "Try an upload:",
        # One line, so it pastes into any shell (and scripts can read it back).
        f"  PROCORE_ACCESS_TOKEN={token} procore-uploader upload --api-base {sandbox.api_url} "
        f'--login-base {sandbox.login_url} --project-id {project_id} --folder "{folder_path}" '
        "FILE...",
        "",
        "Press Ctrl-C to stop.",
    ])


def run_forever(port: int | None = None, data_dir: str | Path | None = None,
                faults_spec: str | None = None, *, ready: Callable[[Sandbox], Any] | None = None,
                stop_event: threading.Event | None = None) -> None:
    """Start the sandbox with demo data, print how to use it, and serve until Ctrl-C.

    ``port`` is the API port; storage listens on the next one. ``ready`` and ``stop_event``
    let a caller (a test) see the running sandbox and end the loop without a signal.
    """
    faults = parse_fault_spec(faults_spec) if faults_spec else None
    if data_dir is not None:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(data_dir, faults=faults, seed=faults.seed if faults else 0,
                      api_port=port or 0, storage_port=(port + 1) if port else 0)
    stop = stop_event or threading.Event()
    previous: Any = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        with sandbox:
            demo = sandbox.seed_demo()
            token = sandbox.issue_token(demo.user_id)
            print(describe(sandbox, token, demo.project_ids[0], "Drawings/Architectural"),
                  flush=True)
            if ready is not None:
                ready(sandbox)
            while not stop.wait(0.5):
                pass
            print("Stopping the sandbox...", flush=True)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
