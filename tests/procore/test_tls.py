"""TLS is always verified, against the operating system's trust store (truststore)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from uploader_gui.procore import errors
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.procore.storage import StorageClient

from .conftest import FakeClock, FakeTokens, Reply, ScriptedServer


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    pem = tmp_path / "server.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(pem), "-out", str(pem)],
                   check=True, capture_output=True, timeout=60)
    return pem


@pytest.fixture
def tls_server(certificate: Path) -> Iterator[ScriptedServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate)
    srv = ScriptedServer(tls=context).start()
    srv.route = lambda seen: Reply(200, {"id": 1}, {"ETag": '"e"'})
    yield srv
    srv.stop()


def test_unknown_certificate_is_refused_and_not_retried(tls_server: ScriptedServer,
                                                        clock: FakeClock,
                                                        tmp_path: Path) -> None:
    retry = RetryPolicy(sleep=clock.sleep, clock=clock.time)
    with (
        ProcoreClient(tls_server.url, FakeTokens("t"), retry=retry) as client,
        pytest.raises(errors.NetworkError, match="could not be verified") as caught,
    ):
        client.me()
    assert not caught.value.retryable
    assert clock.sleeps == [] and tls_server.requests == []
    part = tmp_path / "part.bin"
    part.write_bytes(b"x" * 10)
    with (
        StorageClient() as storage,
        pytest.raises(errors.NetworkError, match="could not be verified"),
    ):
        storage.put_segment(tls_server.url, {}, part, 0, 10)


def test_certificate_in_the_system_store_is_trusted(tls_server: ScriptedServer,
                                                    certificate: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # On Linux the system store is OpenSSL's default; SSL_CERT_FILE points it elsewhere.
    # requests' own bundle (certifi) ignores this variable, so success shows truststore is used.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    with ProcoreClient(tls_server.url, FakeTokens("t")) as client:
        assert client.me() == {"id": 1}
    assert tls_server.requests[0].headers["authorization"] == "Bearer t"
