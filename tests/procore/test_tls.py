"""TLS is always verified, against the operating system's trust store (truststore)."""

from __future__ import annotations

from pathlib import Path

import pytest

from uploader_gui.procore import errors
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.procore.storage import StorageClient

from .conftest import FakeClock, FakeTokens, ScriptedServer


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
