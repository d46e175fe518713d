"""The access token stays secret through a whole faulty run of the real command line.

``procore-uploader upload -v`` runs as a process against a sandbox that resets, expires links,
answers 410, sends HTML pages and refuses one file. Afterwards the token must be nowhere but
in the API requests that needed it: not in storage requests, standard output or error, the
log file, the journal (with its WAL), nor any error text shown for a file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from uploader_gui.sandbox import Sandbox

MiB = 1024 * 1024
FAULTS = ("seed=3,create:expire_links_after=0,storage_put:reset,storage_post:status=500,"
          "patch:gone,create:malformed=html/after=2,associate:status=422/after=3")


def test_token_appears_only_in_api_requests(tmp_path: Path) -> None:
    home = tmp_path / "home"
    drop = tmp_path / "drop"
    drop.mkdir()
    # Files from 16 MiB up are sent in segments.
    (drop / "big.ifc").write_bytes(os.urandom(16 * MiB + 1))
    for n in range(4):
        (drop / f"small-{n}.pdf").write_bytes(os.urandom(20_000 + n))
    with Sandbox(tmp_path / "sandbox", faults=FAULTS) as sandbox:
        demo = sandbox.seed_demo()
        token = sandbox.issue_token(demo.user_id)
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PROCORE_")}
        environ.update(PROCORE_ACCESS_TOKEN=token, PROCORE_UPLOADER_HOME=str(home),
                       PROCORE_API_BASE=sandbox.api_url)
        result = subprocess.run(
            [sys.executable, "-m", "uploader_gui", "upload", str(drop), "-v", "--json",
             "--project-id", str(demo.project_ids[0]), "--segment-size", "5", "--jobs", "2"],
            env=environ, capture_output=True, text=True, timeout=180, check=False)
        log = sandbox.request_log
        fired = {f"{f.target}:{f.kind}": f.fired for f in sandbox.faults.faults}

    # The run met its faults and one file was refused, so error paths were taken.
    assert all(fired.values()), fired
    assert result.returncode == 1, result.stderr
    finished = [json.loads(line) for line in result.stdout.splitlines()
                if json.loads(line)["event"] == "finished"]
    assert sorted(e["state"] for e in finished) == ["done"] * 4 + ["failed"]

    api = [r for r in log if r.server == "api"]
    storage = [r for r in log if r.server == "storage"]
    assert api and all(r.authorization_sent for r in api)
    assert storage and not any(r.authorization_sent for r in storage)

    places = {"stdout": result.stdout.encode(), "stderr": result.stderr.encode()}
    written = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name.startswith("procore-uploader.log") for p in written)
    assert any(p.name.endswith("-wal") or p.suffix == ".sqlite3" for p in written)
    for path in written:
        places[str(path.relative_to(home))] = path.read_bytes()
    leaks = [where for where, data in places.items() if token.encode() in data]
    assert leaks == []
