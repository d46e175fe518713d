"""Fault injection: each kind, the after/times/probability controls, and the spec strings."""

from __future__ import annotations

import hashlib
import time

import pytest
import requests

from uploader_gui.sandbox import Fault, FaultPlan, FaultSpecError, Sandbox, parse_fault_spec

from .raw_client import Api, s3_code


def test_status_fault_fires_times_then_stops(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", "create", times=2, status=503))
    first, second, third = (api.create_upload() for _ in range(3))
    assert first.status_code == second.status_code == 503
    assert first.headers["Retry-After"] == "1"
    assert first.json() == {"errors": "Service Unavailable"}
    assert third.status_code == 201
    # Other routes are untouched.
    assert api.get("/rest/v1.0/me").status_code == 200


def test_after_skips_the_first_requests(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", "api", times=1, after=1, status=500))
    assert [api.get("/rest/v1.0/me").status_code for _ in range(3)] == [200, 500, 200]


def test_429_without_retry_after_gives_the_reset_time(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", "show", status=429, retry_after=None, reset=4))
    uuid = api.create_upload().json()["uuid"]
    answer = api.get(f"{api.uploads_path}/{uuid}")
    assert answer.status_code == 429
    assert "Retry-After" not in answer.headers
    assert answer.headers["X-Rate-Limit-Remaining"] == "0"
    assert 3 <= int(answer.headers["X-Rate-Limit-Reset"]) - sandbox.state.now() <= 5


def test_token_status_fault_refuses_the_token(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", "token", status=401))
    refused = api.get("/rest/v1.0/me")
    assert refused.status_code == 401
    assert refused.json() == {"errors": "The access token is invalid"}
    assert api.get("/rest/v1.0/me").status_code == 200


def test_token_dies_after_n_calls(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("token_expire_after_calls", "token", calls=2))
    codes = [api.get("/rest/v1.0/me").status_code for _ in range(4)]
    assert codes == [200, 200, 401, 401]
    fresh = sandbox.issue_token(api.demo.user_id)
    assert api.get("/rest/v1.0/me", token=fresh).status_code == 200


def test_storage_status_fault_is_s3_xml(api: Api, sandbox: Sandbox,
                                        two_parts: list[bytes]) -> None:
    sandbox.faults.add(Fault("status", "storage_put", status=503))
    created = api.create_segmented(two_parts)
    refused = api.put_part(created["segments"][1], b"Z")
    assert refused.status_code == 503
    assert s3_code(refused) == "SlowDown"
    assert api.put_part(created["segments"][1], b"Z").status_code == 200


def test_reset_drops_a_part_halfway(api: Api, sandbox: Sandbox, two_parts: list[bytes]) -> None:
    sandbox.faults.add(Fault("reset", "storage_put"))
    created = api.create_segmented(two_parts)
    with pytest.raises(requests.ConnectionError):
        api.put_part(created["segments"][0], two_parts[0])
    [record] = [r for r in sandbox.request_log if r.server == "storage"]
    assert 0 < record.bytes_received < len(two_parts[0])
    again = api.put_part(created["segments"][0], two_parts[0])
    assert again.status_code == 200


def test_reset_drops_a_form_post(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("reset", "storage_post"))
    upload = api.create_upload().json()
    with pytest.raises(requests.ConnectionError):
        api.post_form(upload, b"x" * 2_000_000)
    assert api.get(f"{api.uploads_path}/{upload['uuid']}").json()["status"] == "ready"
    assert api.post_form(upload, b"x" * 2_000_000).status_code == 204


def test_reset_on_the_api_drops_the_connection(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("reset", "folders"))
    with pytest.raises(requests.ConnectionError):
        api.get("/rest/v1.0/folders", params={"project_id": api.project_id})


def test_stall_makes_the_client_time_out(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("stall", "api", seconds=30))
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        api.session.get(api.sb.api_url + "/rest/v1.0/me", headers=api.headers(), timeout=0.3)
    assert time.monotonic() - started < 5
    # Stopping the sandbox must not wait the stall out: the fixture's stop() ends this test.


def test_delay_after_commit_does_the_work_first(api: Api, sandbox: Sandbox,
                                                two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    etags = [api.put_part(s, d).headers["ETag"] for s, d in zip(created["segments"], two_parts, strict=True)]
    sandbox.faults.add(Fault("delay_after_commit", "patch", seconds=30))
    with pytest.raises(requests.Timeout):
        api.session.patch(f"{api.sb.api_url}{api.uploads_path}/{created['uuid']}",
                          json={"segments": [dict(s, etag=e) for s, e in zip(
                              [{k: g[k] for k in ("size", "sha256", "md5")}
                               for g in created["segments"]], etags, strict=True)]},
                          headers=api.headers(), timeout=0.5)
    shown = api.get(f"{api.uploads_path}/{created['uuid']}")
    assert shown.json()["status"] == "complete"


def test_delay_after_commit_on_storage(api: Api, sandbox: Sandbox,
                                       two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    sandbox.faults.add(Fault("delay_after_commit", "storage_put", seconds=30))
    with pytest.raises(requests.Timeout):
        api.storage.put(created["segments"][1]["url"], data=b"Z",
                        headers=created["segments"][1]["headers"], timeout=0.5)
    segments = api.sb.state.uploads[created["uuid"]].segments
    assert segments is not None
    assert segments[1].stored_md5 == hashlib.md5(b"Z").hexdigest()


def test_expire_links_after(api: Api, sandbox: Sandbox, two_parts: list[bytes]) -> None:
    sandbox.faults.add(Fault("expire_links_after", "create", seconds=5))
    created = api.create_segmented(two_parts)
    assert "X-Amz-Expires=5&" in created["segments"][0]["url"]
    sandbox.advance_clock(6)
    refused = api.put_part(created["segments"][1], b"Z")
    assert refused.status_code == 403
    assert "Request has expired" in refused.text
    # Only the first signing was shortened.
    normal = api.create_upload().json()
    sandbox.advance_clock(60)
    assert api.post_form(normal, b"ok").status_code == 204


def test_gone_on_patch(api: Api, sandbox: Sandbox, two_parts: list[bytes]) -> None:
    sandbox.faults.add(Fault("gone", "patch"))
    created = api.create_segmented(two_parts)
    answer = api.complete(created["uuid"], ["0" * 32, "0" * 32])
    assert answer.status_code == 410
    assert "errors" in answer.json()


@pytest.mark.parametrize("variant, status, content_type", [
    ("json", 200, "application/json"), ("html", 502, "text/html"), ("huge", 500, "text/html")])
def test_malformed_answers(api: Api, sandbox: Sandbox, variant: str, status: int,
                           content_type: str) -> None:
    sandbox.faults.add(Fault("malformed", "create", variant=variant, size=2_000_000))
    answer = api.create_upload()
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == content_type
    with pytest.raises(ValueError):
        answer.json()
    if variant == "huge":
        assert len(answer.content) == 2_000_000


def test_probability_is_repeatable_for_a_seed() -> None:
    def run(seed: int) -> list[bool]:
        plan = FaultPlan([Fault("status", "api", times=None, probability=0.5)], seed=seed)
        return [plan.pick({"status"}, {"api"}) is not None for _ in range(40)]

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert 5 < sum(first) < 35


def test_spec_string_builds_the_plan() -> None:
    plan = parse_fault_spec(
        "seed=7,create:status=503*2,storage_put:reset*1,patch:gone,storage_put:stall=30@p0.1,"
        "show:status=429/retry_after=none/after=3")
    assert plan.seed == 7
    faults = plan.faults
    assert [(f.target, f.kind) for f in faults] == [
        ("create", "status"), ("storage_put", "reset"), ("patch", "gone"),
        ("storage_put", "stall"), ("show", "status")]
    assert faults[0].params["status"] == 503 and faults[0].times == 2
    assert faults[2].times == 1
    assert faults[3].params["seconds"] == 30 and faults[3].probability == 0.1
    assert faults[3].times is None
    assert faults[4].params["retry_after"] is None and faults[4].after == 3


@pytest.mark.parametrize("spec, words", [
    ("create:explode", "Unknown fault kind"),
    ("nowhere:status=500", "Unknown fault target"),
    ("create status", "Cannot understand"),
    ("seed=abc", "whole number"),
    ("patch:gone=3", "takes no value"),
    ("create:status=200", "4xx or 5xx"),
    ("create:malformed=xml", "variant"),
])
def test_spec_errors_are_clear(spec: str, words: str) -> None:
    with pytest.raises(FaultSpecError, match=words):
        parse_fault_spec(spec)


def test_sandbox_takes_a_spec_string(tmp_path: object) -> None:
    with Sandbox(faults="seed=3,api:status=502") as sb:
        demo = sb.seed_demo()
        client = Api(sb, demo, sb.issue_token(demo.user_id))
        try:
            assert client.get("/rest/v1.0/me").status_code == 502
            assert client.get("/rest/v1.0/me").status_code == 200
        finally:
            client.close()


def test_clear_removes_faults(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", "api", times=None, status=500))
    assert api.get("/rest/v1.0/me").status_code == 500
    sandbox.faults.clear()
    assert api.get("/rest/v1.0/me").status_code == 200


def test_request_log_says_when_each_request_arrived_and_was_answered(
        api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("stall", "api", seconds=0.4))
    before = sandbox.state.now()
    api.get("/rest/v1.0/me")
    api.get("/rest/v1.0/me")
    after = sandbox.state.now()
    stalled, quick = [r for r in sandbox.request_log if r.path == "/rest/v1.0/me"]
    assert before <= stalled.received_at <= quick.received_at <= after
    # The stall sits between arrival and answer; the second request had none.
    assert stalled.answered_at - stalled.received_at >= 0.4
    assert quick.answered_at - quick.received_at < 0.4
    assert quick.received_at >= stalled.answered_at


def test_storage_requests_are_timestamped_too(api: Api, sandbox: Sandbox,
                                              two_parts: list[bytes]) -> None:
    upload = api.create_segmented(two_parts)
    assert api.put_part(upload["segments"][0], two_parts[0]).status_code == 200
    [put] = [r for r in sandbox.request_log if r.server == "storage"]
    assert 0 < put.received_at <= put.answered_at <= sandbox.state.now()


def test_malformed_body_answers_exactly_what_was_given(api: Api, sandbox: Sandbox,
                                                       two_parts: list[bytes]) -> None:
    sandbox.faults.add(Fault("malformed", "create", variant="body", body='{"uuid": 7}'))
    sandbox.faults.add(Fault("malformed", "storage_put", variant="body", status=404,
                             body=b"<p>gone</p>", content_type="text/html"))
    answer = api.create_upload()
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.content == b'{"uuid": 7}'
    upload = api.create_segmented(two_parts)
    stored = api.put_part(upload["segments"][0], two_parts[0])
    assert (stored.status_code, stored.content) == (404, b"<p>gone</p>")
    assert stored.headers["Content-Type"] == "text/html"
    # Each fired once; the next requests are answered normally.
    assert api.put_part(upload["segments"][0], two_parts[0]).status_code == 200


def test_malformed_body_status_must_be_an_answer() -> None:
    with pytest.raises(FaultSpecError, match="200 to 599"):
        Fault("malformed", "create", variant="body", status=100)


@pytest.mark.parametrize("spec", ["create:status=429/retry_after=1@p0.5",
                                  "storage_put:stall=soon", "api:status=503/reset=later"])
def test_a_parameter_that_is_not_a_number_is_refused(spec: str) -> None:
    # "/retry_after=1@p0.5" puts the probability inside the value; accepting it would send
    # "Retry-After: 1@p0.5" and fire the fault once instead of at random.
    with pytest.raises(FaultSpecError, match="must be a number"):
        parse_fault_spec(spec)


def test_slow_storage_takes_the_body_at_its_rate(api: Api, sandbox: Sandbox,
                                                 two_parts: list[bytes]) -> None:
    import time

    created = api.create_segmented(two_parts)
    sandbox.faults.add(Fault("slow", "storage_put", rate=10 * 1024 * 1024))
    started = time.monotonic()
    assert api.put_part(created["segments"][0], two_parts[0]).status_code == 200
    took = time.monotonic() - started
    assert took >= 0.45  # 5 MiB at 10 MiB/s
    started = time.monotonic()
    assert api.put_part(created["segments"][1], two_parts[1]).status_code == 200
    assert time.monotonic() - started < took  # fired once: the next part is not held back
