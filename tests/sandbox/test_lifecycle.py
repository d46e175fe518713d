"""Starting and stopping the sandbox, its demo data, and running it in the foreground."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

import pytest
import requests

from uploader_gui.sandbox import Sandbox, run_forever


def test_stop_ends_keep_alive_connections_and_threads() -> None:
    before = set(threading.enumerate())
    sb = Sandbox().start()
    data_dir = sb.data_dir
    demo = sb.seed_demo()
    session = requests.Session()
    headers = {"Authorization": f"Bearer {sb.issue_token(demo.user_id)}"}
    for _ in range(3):
        assert session.get(sb.api_url + "/rest/v1.0/me", headers=headers, timeout=5).ok
    # One connection carried all three requests (HTTP/1.1 keep-alive).
    adapter = session.get_adapter(sb.api_url)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    pools = adapter.poolmanager.pools
    assert [pools[key].num_connections for key in pools.keys()] == [1]
    sb.stop()
    session.close()
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == []
    assert not data_dir.exists()


def test_given_data_dir_is_kept(tmp_path: Path) -> None:
    with Sandbox(tmp_path / "kept") as sb:
        sb.seed_demo()
    assert (tmp_path / "kept" / "objects").is_dir()


def test_given_ports_are_used(tmp_path: Path) -> None:
    with Sandbox(tmp_path / "a") as first:
        port = int(first.api_url.rsplit(":", 1)[1])
    with Sandbox(tmp_path / "b", api_port=port) as second:
        assert second.api_url == f"http://127.0.0.1:{port}"
        assert second.login_url == second.api_url


def test_urls_need_a_running_sandbox() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = Sandbox().api_url


def test_demo_data_is_realistic(sandbox: Sandbox) -> None:
    demo = sandbox.seed_demo()
    assert demo.company_name == "Demo Construction Co."
    assert len(demo.project_ids) == 3
    assert sandbox.state.projects[demo.project_ids[0]].name == "Main Street Tower"
    assert {"Drawings", "Drawings/Architectural", "Specifications", "Photos"} <= set(
        demo.folder_ids)
    assert sandbox.state.albums[demo.album_id].name == "Site Progress"
    assert demo.other_user_id != demo.user_id
    assert sandbox.state.demo_user_id == demo.user_id


def test_request_log_records_without_secrets(sandbox: Sandbox) -> None:
    demo = sandbox.seed_demo()
    token = sandbox.issue_token(demo.user_id)
    requests.get(sandbox.api_url + "/rest/v1.0/me", headers={"Authorization": f"Bearer {token}"},
                 timeout=5)
    [record] = sandbox.request_log
    assert (record.server, record.method, record.path, record.status) == (
        "api", "GET", "/rest/v1.0/me", 200)
    assert record.authorization_sent is True
    assert token not in repr(record)
    sandbox.clear_request_log()
    assert sandbox.request_log == []


def test_run_forever_prints_how_to_use_it(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    seen: list[str] = []

    def ready(sb: Sandbox) -> None:
        seen.extend([sb.api_url, sb.storage_url])
        token = sb.issue_token(sb.state.demo_user_id or 0)
        answer = requests.get(sb.api_url + "/rest/v1.0/me",
                              headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.json()["name"] == "Dana Rivera"
        stop.set()

    worker = threading.Thread(target=run_forever,
                              kwargs={"data_dir": tmp_path / "data", "faults_spec": "seed=1",
                                      "ready": ready, "stop_event": stop})
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    out = capsys.readouterr().out
    assert seen and seen[0] in out and seen[1] in out
    assert "procore-uploader upload" in out
    assert "Press Ctrl-C to stop." in out


def test_a_failing_oauth_module_answers_500_not_a_dropped_connection(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from uploader_gui.sandbox import oauth

    def broken(*args: object) -> tuple[int, dict[str, str], bytes]:
        raise RuntimeError("boom")

    monkeypatch.setattr(oauth, "handle", broken)
    answer = requests.post(sandbox.login_url + "/oauth/token", data={"grant_type": "x"}, timeout=5)
    assert answer.status_code == 500
    assert answer.json() == {"errors": "Internal Server Error"}


def test_oauth_module_gets_the_request(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from uploader_gui.sandbox import oauth

    seen: dict[str, object] = {}

    def record(state: object, method: str, path: str, query: object, form: object,
               headers: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        seen.update(state=state, method=method, path=path, query=query, form=form,
                    auth=headers.get("Authorization"), lower=headers.get("authorization"))
        return 200, {"Content-Type": "application/json"}, b'{"ok": true}'

    monkeypatch.setattr(oauth, "handle", record)
    answer = requests.post(sandbox.login_url + "/oauth/token?x=1",
                           data={"grant_type": "client_credentials"},
                           auth=("client", "secret"), timeout=5)
    assert answer.json() == {"ok": True}
    assert seen["state"] is sandbox.state
    assert (seen["method"], seen["path"]) == ("POST", "/oauth/token")
    assert seen["query"] == {"x": ["1"]}
    assert seen["form"] == {"grant_type": ["client_credentials"]}
    assert seen["auth"] == seen["lower"] and str(seen["auth"]).startswith("Basic ")
