"""Proxies from the environment are used, through a real proxy process on 127.0.0.1.

On Linux the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) is where proxies are set; on
Windows and macOS requests also reads the system's proxy settings through the same call.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.storage import StorageClient
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import Sandbox

from .conftest import FakeTokens, ScriptedServer

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
              "http_proxy", "https_proxy", "all_proxy", "no_proxy")


class ProxyProcess:
    def __init__(self, log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("proxy_process.py")), str(log)],
            stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def seen(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProxyProcess]:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    running = ProxyProcess(tmp_path / "proxy.log")
    yield running
    running.stop()


def _upload_through(sandbox: Sandbox, tmp_path: Path) -> int:
    """Create an upload with the API and send its bytes to storage, as the engine does;
    returns the project's id."""
    demo = sandbox.seed_demo()
    scope = Scope(demo.company_id, demo.project_ids[0])
    part = tmp_path / "note.txt"
    part.write_bytes(b"through the proxy")
    token = StaticTokenProvider(sandbox.issue_token(demo.user_id))
    with ProcoreClient(sandbox.api_url, token) as client, StorageClient() as storage:
        answer = client.create_upload(scope, {"response_filename": "note.txt", "size": 17})
        storage.post_form(answer["url"], answer["fields"], part, "note.txt")
    return scope.require_project("Uploads")


def test_http_proxy_from_the_environment_carries_api_and_storage(
        proxy: ProxyProcess, sandbox: Sandbox, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    project_id = _upload_through(sandbox, tmp_path)
    targets = [(s["method"], s["target"]) for s in proxy.seen()]
    assert ("POST", f"{sandbox.api_url}/rest/v1.1/projects/{project_id}/uploads") in targets
    assert any(m == "POST" and t.startswith(sandbox.storage_url) for m, t in targets)
    # The storage request went through the proxy without the API's bearer token.
    storage = [s for s in proxy.seen() if s["target"].startswith(sandbox.storage_url)]
    assert storage and all("authorization" not in s["headers"] for s in storage)
    assert [u["status"] for u in sandbox.uploads()] == ["complete"]


def test_no_proxy_sends_directly(proxy: ProxyProcess, sandbox: Sandbox, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _upload_through(sandbox, tmp_path)
    assert proxy.seen() == []
    assert [u["status"] for u in sandbox.uploads()] == ["complete"]


def test_https_goes_through_a_connect_tunnel_with_verification_on(
        proxy: ProxyProcess, tls_server: ScriptedServer, certificate: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    # The server's certificate is trusted through the system store (as in test_tls).
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    with ProcoreClient(tls_server.url, FakeTokens("secret-token")) as client:
        assert client.me() == {"id": 1}
    [tunnel] = proxy.seen()
    assert tunnel["method"] == "CONNECT" and tunnel["target"] == tls_server.url[8:]
    # The proxy sees where, never what: no token in the CONNECT request.
    assert "authorization" not in tunnel["headers"]
    assert tls_server.requests[0].headers["authorization"] == "Bearer secret-token"
