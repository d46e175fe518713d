"""``procore-uploader login / whoami / logout`` as separate processes against the sandbox,
with a file keyring; afterwards no token, code or secret appears in any log or output."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from uploader_gui.sandbox import DemoInfo, Sandbox
from uploader_gui.sandbox import oauth as sandbox_oauth


@pytest.fixture
def cli_env(tmp_path: Path, isolated_home: Path, sandbox: Sandbox) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PROCORE_")}
    environ.update({
        "PROCORE_UPLOADER_HOME": str(isolated_home),
        "PROCORE_CLIENT_ID": sandbox_oauth.DEMO_CLIENT_ID,
        "PROCORE_CLIENT_SECRET": sandbox_oauth.DEMO_CLIENT_SECRET,
        "PROCORE_REDIRECT_URI": sandbox_oauth.OOB,
        # A real keyring backend that keeps its file under the test's folder.
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "BROWSER": "true",  # never a real browser from a test
    })
    return environ


def _cli(environ: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "uploader_gui", *args], env=environ, check=False,
                          input=stdin, capture_output=True, text=True, timeout=60)


def _allow_in_browser(url: str) -> str:
    """Open the sign-in page, press Allow, and read the code Procore shows."""
    with requests.Session() as browser:
        page = browser.get(url, timeout=10)
        fields = {k: html.unescape(v)
                  for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}
        fields["decision"] = "allow"
        origin = url.split("/oauth/")[0]
        answer = browser.post(f"{origin}/oauth/authorize", data=fields, timeout=10)
    found = re.search(r'id="code">([^<]+)<', answer.text)
    assert found, answer.text
    return html.unescape(found.group(1))


def test_login_whoami_logout_and_no_secret_anywhere(cli_env: dict[str, str], sandbox: Sandbox,
                                                    demo: DemoInfo, isolated_home: Path,
                                                    tmp_path: Path) -> None:
    base = ["--api-base", sandbox.api_url]
    login = subprocess.Popen([sys.executable, "-m", "uploader_gui", "login", "--oob", *base],
                             env=cli_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert login.stdout is not None
        url = ""
        printed = []
        while not url:
            line = login.stdout.readline()
            assert line, "login ended before showing the sign-in address"
            printed.append(line)
            if line.startswith("http"):
                url = line.strip()
        code = _allow_in_browser(url)
        out, err = login.communicate(code + "\n", timeout=60)
    finally:
        if login.poll() is None:
            login.kill()
            login.wait()
    assert login.returncode == 0, err
    assert "Signed in to" in out and "Dana Rivera" in out

    whoami = _cli(cli_env, "whoami", *base)
    assert whoami.returncode == 0, whoami.stderr
    assert "Dana Rivera" in whoami.stdout and str(demo.user_id) in whoami.stdout

    with sandbox.state.lock:
        secrets_seen = set(sandbox.state.tokens) | set(
            sandbox.state.extensions["oauth"].refresh_tokens)
    secrets_seen |= {code, sandbox_oauth.DEMO_CLIENT_SECRET}
    assert len(secrets_seen) >= 4

    logout = _cli(cli_env, "logout", *base)
    assert logout.returncode == 0, logout.stderr
    assert "Signed out Dana Rivera" in logout.stdout
    after = _cli(cli_env, "whoami", *base)
    assert after.returncode == 1
    assert "You are not signed in. Run 'procore-uploader login'." in after.stderr
    assert sandbox_oauth.counters(sandbox.state)["revoke"] == 2

    logs = list((isolated_home / "logs").glob("*"))
    assert logs, "the command line wrote no log file"
    assert any("Signed in as user" in p.read_text() for p in logs)
    texts = [p.read_text(errors="replace") for p in logs]
    texts += ["".join(printed), out, err, whoami.stdout, whoami.stderr, logout.stdout,
              logout.stderr, after.stdout, after.stderr]
    for secret in secrets_seen:
        for text in texts:
            assert secret not in text


def test_service_account_login_from_the_command_line(cli_env: dict[str, str],
                                                     sandbox: Sandbox, demo: DemoInfo) -> None:
    base = ["--api-base", sandbox.api_url]
    refused = _cli(cli_env, "login", "--service-account", *base)
    assert refused.returncode == 1
    assert "--company-id" in refused.stderr and "Traceback" not in refused.stderr
    login = _cli(cli_env, "login", "--service-account", "--company-id", str(demo.company_id),
                 *base)
    assert login.returncode == 0, login.stderr
    assert "as the service account" in login.stdout
    whoami = _cli(cli_env, "whoami", *base)
    assert whoami.returncode == 0 and "Service Account" in whoami.stdout
    # The saved sign-in keeps the company: uploading as the service account works too.
    f = Path(cli_env["PROCORE_UPLOADER_HOME"]) / "svc.txt"
    f.write_text("from the service account")
    upload = _cli(cli_env, "upload", str(f), "--project-id", str(demo.project_ids[0]), *base)
    assert upload.returncode == 0, upload.stdout + upload.stderr
    assert [d["name"] for d in sandbox.documents(project_id=demo.project_ids[0])] == ["svc.txt"]


def test_login_without_client_settings_says_what_to_do(cli_env: dict[str, str],
                                                       sandbox: Sandbox) -> None:
    del cli_env["PROCORE_CLIENT_ID"], cli_env["PROCORE_CLIENT_SECRET"]
    login = _cli(cli_env, "login", "--oob", "--api-base", sandbox.api_url)
    assert login.returncode == 1
    assert "Ask your administrator" in login.stderr
    assert "Traceback" not in login.stderr
