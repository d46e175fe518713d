"""Retries, backoff, server-requested waits and the single token refresh, with a fake clock."""

from __future__ import annotations

import email.utils
import socket
from collections.abc import Iterator

import pytest

from uploader_gui.procore import errors
from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.http import RetryPolicy

from .conftest import FakeClock, FakeTokens, Reply, ScriptedServer

SCOPE = Scope(company_id=7, project_id=42)


def policy(clock: FakeClock, **kw: object) -> RetryPolicy:
    return RetryPolicy(sleep=clock.sleep, clock=clock.time, random=lambda: 1.0,
                       **kw)  # type: ignore[arg-type]


@pytest.fixture
def client(server: ScriptedServer, clock: FakeClock) -> Iterator[ProcoreClient]:
    with ProcoreClient(server.url, FakeTokens("t1"), retry=policy(clock, attempts=4,
                                                                  base_delay=1.0),
                       timeout=(2, 5)) as c:
        yield c


@pytest.fixture
def impatient(server: ScriptedServer, clock: FakeClock) -> Iterator[ProcoreClient]:
    """A client whose read timeout is shorter than the server's scripted delay."""
    with ProcoreClient(server.url, FakeTokens("t1"), retry=policy(clock, attempts=4),
                       timeout=(2, 0.25)) as c:
        yield c


def test_backoff_grows_exponentially_with_full_jitter() -> None:
    fixed = RetryPolicy(base_delay=1.0, max_delay=10.0, jitter=False)
    assert [fixed.backoff(n) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    draws = iter([0.0, 0.25, 0.999])
    jittered = RetryPolicy(base_delay=1.0, max_delay=10.0, random=lambda: next(draws))
    assert [jittered.backoff(3), jittered.backoff(3), jittered.backoff(3)] == [
        0.0, 2.0, pytest.approx(7.992)]


def test_equal_jitter_keeps_half_of_each_wait() -> None:
    draws = iter([0.0, 1.0])
    equal = RetryPolicy(attempts=4, base_delay=2.0, max_delay=32.0, jitter_floor=0.5,
                        random=lambda: next(draws))
    assert [equal.backoff(2), equal.backoff(2)] == [4.0, 8.0]
    assert equal.shortest_span() == 1.0 + 2.0 + 4.0
    assert RetryPolicy(attempts=3).shortest_span() == 0.0, "full jitter may not wait at all"


def test_run_waits_with_the_callers_wait_and_stops_when_it_says() -> None:
    import threading
    import time

    from uploader_gui.transfer.control import TransferControl

    control = TransferControl()
    slept: list[float] = []
    calls: list[int] = []

    def busy() -> None:
        calls.append(1)
        raise errors.StorageError("busy", status=503, code="SlowDown", retry_after=30.0)

    run_policy = RetryPolicy(attempts=5, sleep=slept.append)
    pauser = threading.Timer(0.3, control.pause)
    pauser.start()
    started = time.monotonic()
    try:
        with pytest.raises(errors.Cancelled, match="paused"):
            run_policy.run(busy, check=control.check, wait=control.wait)
    finally:
        pauser.cancel()
        pauser.join()
    assert time.monotonic() - started < 5, "the pause woke the 30 s wait"
    assert calls == [1] and slept == [], "the policy's own sleep was not used"


def test_get_retries_5xx_with_backoff(client: ProcoreClient, server: ScriptedServer,
                                      clock: FakeClock) -> None:
    server.replies = [Reply(500, {}), Reply(502, b"bad gateway"), Reply(504, {})]
    server.route = lambda seen: Reply(200, {"id": 5})
    assert client.folder(SCOPE, 5) == {"id": 5}
    assert len(server.requests) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_get_gives_up_after_the_attempts(client: ProcoreClient, server: ScriptedServer,
                                         clock: FakeClock) -> None:
    server.route = lambda seen: Reply(503, {"error": "Service is under maintenance"})
    with pytest.raises(errors.ServerError, match="under maintenance") as caught:
        client.me()
    assert caught.value.retryable
    assert len(server.requests) == 4


def test_patch_retries_freely(client: ProcoreClient, server: ScriptedServer) -> None:
    server.replies = [Reply(500, {})]
    server.route = lambda seen: Reply(200, {"status": "complete"})
    assert client.complete_upload(
        SCOPE, "U", [{"size": 1, "sha256": "a" * 64, "etag": "e"}]) == {"status": "complete"}
    assert [s.method for s in server.requests] == ["PATCH", "PATCH"]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_post_is_not_repeated_after_a_5xx_that_may_have_acted(
        client: ProcoreClient, server: ScriptedServer, status: int) -> None:
    server.route = lambda seen: Reply(status, {})
    with pytest.raises(errors.ServerError) as caught:
        client.create_file(SCOPE, "U", "a.pdf", None)
    assert caught.value.retryable, "the caller decides whether to try again"
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_creating_an_upload_is_repeated_after_a_5xx(client: ProcoreClient,
                                                    server: ScriptedServer, status: int) -> None:
    # A second upload object does no harm: one that is never attached is invisible and
    # Procore deletes it after a week. Giving up instead would fail the file.
    server.replies = [Reply(status, {}), Reply(status, {})]
    server.route = lambda seen: Reply(201, {"uuid": "U"})
    assert client.create_upload(SCOPE, {"response_filename": "a"}) == {"uuid": "U"}
    assert len(server.requests) == 3


def test_post_is_repeated_after_503_and_429(client: ProcoreClient, server: ScriptedServer,
                                            clock: FakeClock) -> None:
    server.replies = [Reply(503, {}, {"Retry-After": "3"}), Reply(429, {}, {"Retry-After": "2"})]
    server.route = lambda seen: Reply(201, {"uuid": "U"})
    assert client.create_upload(SCOPE, {"response_filename": "a"}) == {"uuid": "U"}
    assert len(server.requests) == 3
    assert clock.sleeps == [3.0, 2.0]


def test_post_read_timeout_is_not_repeated(impatient: ProcoreClient,
                                           server: ScriptedServer) -> None:
    server.route = lambda seen: Reply(201, {"uuid": "U"}, delay=0.6)
    with pytest.raises(errors.NetworkError, match="stopped answering") as caught:
        impatient.create_file(SCOPE, "U", "a.pdf", None)
    assert caught.value.retryable
    assert len(server.requests) == 1


def test_get_read_timeout_is_repeated(impatient: ProcoreClient,
                                      server: ScriptedServer) -> None:
    server.replies = [Reply(200, {"id": 1}, delay=0.6)]
    server.route = lambda seen: Reply(200, {"id": 2})
    assert impatient.me() == {"id": 2}
    assert len(server.requests) == 2


def test_post_is_repeated_when_it_never_connected(clock: FakeClock) -> None:
    # A port that was just free: nothing listens, every connect is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        ProcoreClient(f"http://127.0.0.1:{port}", FakeTokens("t"),
                      retry=policy(clock, attempts=3)) as c,
        pytest.raises(errors.NetworkError, match="Could not connect") as caught,
    ):
        c.create_upload(SCOPE, {"response_filename": "a"})
    assert caught.value.retryable
    assert clock.sleeps == [1.0, 2.0]


def test_429_waits_retry_after_seconds(client: ProcoreClient, server: ScriptedServer,
                                       clock: FakeClock) -> None:
    server.replies = [Reply(429, {}, {"Retry-After": "7", "X-Rate-Limit-Reset": "0"})]
    server.route = lambda seen: Reply(200, {"id": 1})
    client.me()
    assert clock.sleeps == [7.0]


def test_429_waits_retry_after_http_date(client: ProcoreClient, server: ScriptedServer,
                                         clock: FakeClock) -> None:
    when = email.utils.formatdate(clock.time() + 30, usegmt=True)
    server.replies = [Reply(429, {}, {"Retry-After": when})]
    server.route = lambda seen: Reply(200, {"id": 1})
    client.me()
    assert clock.sleeps == [pytest.approx(30.0, abs=1.0)]


def test_429_with_only_rate_limit_reset(client: ProcoreClient, server: ScriptedServer,
                                        clock: FakeClock) -> None:
    reset = int(clock.time()) + 12
    server.replies = [Reply(429, {}, {"X-Rate-Limit-Limit": "3600",
                                      "X-Rate-Limit-Remaining": "0",
                                      "X-Rate-Limit-Reset": str(reset)})]
    server.route = lambda seen: Reply(200, {"id": 1})
    client.me()
    assert sum(clock.sleeps) == pytest.approx(reset - 1_700_000_000.0)
    assert server.requests[1].at >= server.requests[0].at


def test_429_without_hints_backs_off(client: ProcoreClient, server: ScriptedServer,
                                     clock: FakeClock) -> None:
    server.replies = [Reply(429, {}), Reply(429, {})]
    server.route = lambda seen: Reply(200, {"id": 1})
    client.me()
    assert clock.sleeps == [1.0, 2.0]


def test_wait_longer_than_allowed_goes_to_the_caller(server: ScriptedServer,
                                                     clock: FakeClock) -> None:
    server.route = lambda seen: Reply(429, {"message": "Rate limit exceeded"},
                                      {"Retry-After": "3600"})
    with (
        ProcoreClient(server.url, FakeTokens("t"), retry=policy(clock, max_server_wait=600)) as c,
        pytest.raises(errors.RateLimited, match="Rate limit exceeded") as caught,
    ):
        c.me()
    assert caught.value.retry_after == 3600
    assert clock.sleeps == []
    assert len(server.requests) == 1


def test_401_refreshes_once_and_repeats(server: ScriptedServer, clock: FakeClock) -> None:
    tokens = FakeTokens("old", "new")
    server.route = lambda seen: (Reply(200, {"id": 1})
                                 if seen.headers["authorization"] == "Bearer new"
                                 else Reply(401, {"error": "The access token is invalid"}))
    with ProcoreClient(server.url, tokens, retry=policy(clock)) as c:
        assert c.create_upload(SCOPE, {"response_filename": "a"}) == {"id": 1}
    assert tokens.rejected == ["old"]
    # Before refreshing, /me is asked whether the token itself is refused (it is: refresh);
    # a token /me takes would mean the company refuses the app.
    assert [(s.path, s.headers["authorization"]) for s in server.requests] == [
        ("/rest/v1.1/projects/42/uploads", "Bearer old"), ("/rest/v1.0/me", "Bearer old"),
        ("/rest/v1.1/projects/42/uploads", "Bearer new")]


def test_second_401_is_an_auth_error(server: ScriptedServer, clock: FakeClock) -> None:
    tokens = FakeTokens("old", "new", "newer")
    server.route = lambda seen: Reply(401, {"error": "The access token is invalid"})
    with (
        ProcoreClient(server.url, tokens, retry=policy(clock)) as c,
        pytest.raises(errors.AuthError, match="The access token is invalid"),
    ):
        c.me()
    assert tokens.rejected == ["old"]
    assert len(server.requests) == 2


def test_provider_that_cannot_refresh_asks_for_sign_in(server: ScriptedServer,
                                                       clock: FakeClock) -> None:
    from uploader_gui.procore.tokens import StaticTokenProvider

    server.route = lambda seen: Reply(401, {"error": "The access token is invalid"})
    with (
        ProcoreClient(server.url, StaticTokenProvider("t"), retry=policy(clock)) as c,
        pytest.raises(errors.SignInRequired),
    ):
        c.me()
    assert len(server.requests) == 1


def test_retry_policy_run_retries_only_retryable(clock: FakeClock) -> None:
    calls: list[int] = []
    told: list[tuple[int, float]] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise errors.StorageError("busy", status=503, code="SlowDown",
                                      retry_after=5.0 if len(calls) == 2 else None)
        return "done"

    run_policy = policy(clock, attempts=4)
    assert run_policy.run(flaky, on_retry=lambda n, e, w: told.append((n, w))) == "done"
    assert told == [(1, 1.0), (2, 5.0)]
    assert clock.sleeps == [1.0, 5.0]

    def refused() -> None:
        calls.append(1)
        raise errors.LinkExpired("expired", status=403, code="AccessDenied")

    calls.clear()
    with pytest.raises(errors.LinkExpired):
        run_policy.run(refused)
    assert len(calls) == 1
    with pytest.raises(errors.Cancelled):
        run_policy.run(flaky, should_stop=lambda: True)


def test_answer_that_breaks_off_is_repeated_for_get_only(client: ProcoreClient,
                                                         server: ScriptedServer) -> None:
    server.replies = [Reply(200, {"id": 1, "pad": "x" * 5000}, cut_after=100)]
    server.route = lambda seen: Reply(200, {"id": 2})
    assert client.me() == {"id": 2}
    assert len(server.requests) == 2
    server.replies = [Reply(201, {"id": 3, "pad": "x" * 5000}, cut_after=100)]
    with pytest.raises(errors.NetworkError, match="broke off") as caught:
        client.create_folder(SCOPE, "A", None)
    assert caught.value.retryable
    assert len(server.requests) == 3


def test_408_is_sent_again_even_for_a_post(client: ProcoreClient, server: ScriptedServer,
                                           clock: FakeClock) -> None:
    """408 Request Timeout: the server gave up waiting for the request, so it never acted
    on it; HTTP says to send it again."""
    server.replies = [Reply(408, {"errors": "Request Timeout"})]
    server.route = lambda seen: Reply(201, {"id": 3})
    assert client.create_file(SCOPE, "U", "a.pdf", None) == {"id": 3}
    assert [s.method for s in server.requests] == ["POST", "POST"]
    assert clock.sleeps == [1.0]


def test_folder_listings_ask_only_for_what_is_needed_and_skip_deleted_folders(
        client: ProcoreClient, server: ScriptedServer) -> None:
    server.route = lambda seen: Reply(200, {"id": 1, "folders": [
        {"id": 2, "name": "Drawings"}, {"id": 3, "name": "Old", "is_deleted": True},
        {"id": 4, "name": "Recycle Bin", "is_recycle_bin": True}], "files": []})
    assert [f["name"] for f in client.root_folder(SCOPE, files=False)["folders"]] == ["Drawings"]
    client.folder(SCOPE, 2, latest_only=True)
    client.folder(SCOPE, 2)
    queries = [{k: v[0] for k, v in s.query.items()} for s in server.requests]
    assert queries == [{"project_id": "42", "exclude_files": "true"},
                       {"project_id": "42", "show_latest_file_version_only": "true"},
                       {"project_id": "42"}]
