"""The keyring wrapper: a real file backend, no backend at all, a locked one, plain-file opt-in."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import keyring.backends.fail
from keyrings.alt.file import PlaintextKeyring

from uploader_gui.auth.keyring_store import KeyringStore, service_name

from .conftest import BrokenKeyring


def test_service_name_is_one_per_api_host() -> None:
    assert service_name("https://api.procore.com") == "procore-uploader:api.procore.com"
    assert service_name("http://127.0.0.1:8080/") == "procore-uploader:127.0.0.1:8080"


def test_values_round_trip_through_the_file_keyring(file_keyring: PlaintextKeyring) -> None:
    store = KeyringStore("procore-uploader:example")
    store.set("42", "value-one")
    assert store.get("42") == "value-one"
    assert file_keyring.get_password("procore-uploader:example", "42") == "value-one"
    assert store.notice is None and not store.in_memory
    store.delete("42")
    store.delete("42")  # deleting what is gone is fine
    assert store.get("42") is None


def test_no_backend_keeps_values_in_memory_with_a_plain_notice(tmp_path: Path) -> None:
    store = KeyringStore("procore-uploader:example", backend=keyring.backends.fail.Keyring())
    store.set("42", "value-one")

    assert store.in_memory
    assert store.notice is not None and "password store" in store.notice
    assert "until you close the app" in store.notice
    # A second store of the same run (another window part) sees the same values.
    again = KeyringStore("procore-uploader:example",
                         backend=keyring.backends.fail.Keyring())
    assert again.get("42") == "value-one"
    assert again.backend_name == "memory (this run only)"


def test_a_locked_backend_falls_back_to_memory(tmp_path: Path) -> None:
    store = KeyringStore("procore-uploader:locked", backend=BrokenKeyring())
    assert store.get("42") is None
    store.set("42", "value-two")
    assert store.get("42") == "value-two"
    assert store.notice is not None and "it is locked" in store.notice


def test_plain_file_only_when_chosen(tmp_path: Path) -> None:
    chosen = tmp_path / "tokens.json"
    store = KeyringStore("procore-uploader:a", backend=keyring.backends.fail.Keyring(),
                         plaintext_file=chosen)
    store.set("1", "one")
    other = KeyringStore("procore-uploader:b", backend=keyring.backends.fail.Keyring(),
                         plaintext_file=chosen)
    other.set("2", "two")

    assert store.get("1") == "one" and other.get("2") == "two"
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o600
    assert store.notice is not None and str(chosen) in store.notice
    store.delete("1")
    assert store.get("1") is None and other.get("2") == "two"


def test_default_backend_is_looked_up_lazily(file_keyring: PlaintextKeyring) -> None:
    store = KeyringStore("procore-uploader:lazy")
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        store.set("k", "v")  # first use: the backend in place now is the one used
        assert store.in_memory
    finally:
        keyring.set_keyring(file_keyring)
    assert file_keyring.get_password("procore-uploader:lazy", "k") is None
