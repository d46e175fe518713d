"""HTTP plumbing shared by the API and storage clients: sessions, retry policy, rate-limit pacer.

Sessions verify TLS against the operating system's trust store (``truststore``), so a company
proxy that inspects TLS with its own certificate works without turning verification off.
"""

from __future__ import annotations

import http.cookiejar
import logging
import random
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import truststore
import urllib3
from requests.adapters import HTTPAdapter

from uploader_gui import __version__
from uploader_gui.procore import errors
from uploader_gui.procore import abort
from uploader_gui.procore.abort import make_cuttable
from uploader_gui.procore.redact import redact

log = logging.getLogger(__name__)

USER_AGENT = f"procore-uploader/{__version__}"
#: Connections kept per host: enough for every worker thread plus parallel segments.
POOL_SIZE = 16
#: Socket writes of 1 MiB rather than urllib3's 16 KiB: fewer system calls for big uploads,
#: and progress reported per MiB.
SEND_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry something that may succeed later: one request (the API
    client, the storage requests) or one step of an upload (the engine's create / complete /
    attach tries, :mod:`uploader_gui.transfer.step_retry`).

    ``attempts`` counts every try, the first included. Waits grow as ``base_delay * 2**n`` up to
    ``max_delay``; with ``jitter`` each wait is drawn uniformly between ``jitter_floor`` of that
    and all of it (0, the default, is "full jitter"; 0.5 "equal jitter", which keeps a least
    total wait), so many threads that failed together do not come back together. A server that
    asks for a longer wait than ``max_server_wait`` is not waited for: the error goes to the
    caller. Procore's hourly limit can reset up to an hour away ("pause requests until after
    X-Rate-Limit-Reset, then resume"), so the default waits that long and a little more.
    ``sleep``, ``clock`` (wall-clock seconds) and ``random`` can be replaced in tests.
    """

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: bool = True
    jitter_floor: float = 0.0
    max_server_wait: float = 3900.0
    sleep: Callable[[float], None] = field(default=abort.sleep, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (0 for the first retry)."""
        return float(min(self.max_delay, self.base_delay * (2 ** min(retry, 30))))

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first retry)."""
        ceiling = self.ceiling(retry)
        if not self.jitter:
            return ceiling
        return float(ceiling * (self.jitter_floor + (1 - self.jitter_floor) * self.random()))

    def shortest_span(self) -> float:
        """The least time all the retries can take: every wait drawn at its lowest."""
        floor = self.jitter_floor if self.jitter else 1.0
        return sum(self.ceiling(n) * floor for n in range(self.attempts - 1))

    def run(self, operation: Callable[[], Any], *,
            should_stop: Callable[[], bool] | None = None,
            on_retry: Callable[[int, errors.ProcoreError, float], None] | None = None,
            check: Callable[[], None] | None = None,
            wait: Callable[[float], None] | None = None) -> Any:
        """Call ``operation`` until it succeeds, retrying errors marked ``retryable``.

        Waits ``retry_after`` when the error carries one, else the backoff, with ``wait``
        (``sleep`` when not given; an upload passes its control's wait, which wakes and raises
        when it is paused or cancelled). ``on_retry(n, error, wait)`` is told before each wait
        (for example to reset progress); ``should_stop`` is checked before each try and raises
        :class:`errors.Cancelled`; ``check`` is called before each try and after each failure
        and raises what it likes to stop.
        """
        for attempt in range(self.attempts):
            if (should_stop is not None and should_stop()) or abort.current_stopped():
                raise errors.Cancelled()
            if check is not None:
                check()
            try:
                return operation()
            except errors.ProcoreError as exc:
                if check is not None:
                    check()  # a request cut off because the upload stopped: stopped
                if abort.current_stopped():
                    raise errors.Cancelled() from None  # cut off because the upload stopped
                if not exc.retryable or attempt + 1 >= self.attempts:
                    raise
                delay = exc.retry_after if exc.retry_after is not None else self.backoff(attempt)
                if delay > self.max_server_wait:
                    raise
                log.info("request failed (%s); trying again in %.1f s", exc, delay)
                if on_retry is not None:
                    on_retry(attempt + 1, exc, delay)
                (wait or self.sleep)(delay)
        raise AssertionError("attempts must be at least 1")


#: After a hold, waiting threads are let go this many seconds apart.
RELEASE_GAP = 0.25


class Pacer:
    """Spaces requests so a rate limit is not hit, and holds every thread after a 429.

    One pacer is shared by all threads of a client (and may be shared by several clients
    talking to the same account). ``wait()`` before each request; ``observe(headers)`` after
    each answer; ``hold(seconds)`` when the server said to stop sending for a while.
    """

    def __init__(self, *, low_fraction: float = 0.1, max_hold: float = 3900.0,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = abort.sleep) -> None:
        self._low_fraction = low_fraction
        # Procore: "When X-Rate-Limit-Remaining reaches 0, pause requests until after
        # X-Rate-Limit-Reset, then resume" -- up to an hour for the hourly limit. A reset
        # further away than this is not believed (a clock far off): the request goes out.
        self._max_hold = max_hold
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hold_until = 0.0
        # Bumped whenever a hold is extended, so sleepers notice a newer, longer hold.
        self._hold_generation = 0
        self._interval = 0.0
        self._spacing_until = 0.0
        self._next_slot = 0.0
        self._release_next = 0.0

    def wait(self) -> float:
        """Block until this thread may send; returns the seconds waited (for logs and tests)."""
        with self._lock:
            now = self._clock()
            slot = self._slot_locked(now)
            generation = self._hold_generation
        waited = 0.0
        delay = slot - now
        while delay > 0:
            self._sleep(delay)
            waited += delay
            # Another thread may have met a 429 while this one slept: honour the new hold.
            with self._lock:
                if self._hold_generation == generation:
                    break
                generation = self._hold_generation
                now = self._clock()
                delay = self._slot_locked(now) - now
        return waited

    def _slot_locked(self, now: float) -> float:
        """When this thread may send. Threads held back go one by one, RELEASE_GAP apart, so
        the first request after a hold finds out whether the limit has really reset before
        the others follow (all at once they would earn a 429 together)."""
        slot = max(now, self._hold_until)
        if slot > now:
            slot = max(slot, self._release_next)
            self._release_next = slot + RELEASE_GAP
        if self._interval > 0 and slot < self._spacing_until:
            slot = max(slot, self._next_slot)
            self._next_slot = slot + self._interval
        return slot

    def hold(self, seconds: float) -> None:
        """Let no thread send for ``seconds`` from now (never shortens an existing hold)."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            if until > self._hold_until:
                self._hold_until = until
                self._hold_generation += 1
                log.info("Procore asked to hold back requests for %.1f s", seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read ``X-Rate-Limit-*`` headers and space requests when few remain before the reset."""
        try:
            remaining = int(headers["X-Rate-Limit-Remaining"])
            reset = float(headers["X-Rate-Limit-Reset"])
        except (KeyError, ValueError):
            return
        try:
            limit: int | None = int(headers["X-Rate-Limit-Limit"])
        except (KeyError, ValueError):
            limit = None
        with self._lock:
            now = self._clock()
            left = min(reset - now, self._max_hold)
            if left <= 0:
                self._interval = 0.0
                return
            if remaining <= 0:
                # Nothing left: sending before the reset would only earn a 429.
                if now + left > self._hold_until:
                    self._hold_until = now + left
                    self._hold_generation += 1
                return
            if limit is not None and remaining < limit * self._low_fraction:
                interval = left / remaining
                if interval != self._interval:
                    log.info("rate limit low (%d of %d left); one request every %.2f s",
                             remaining, limit, interval)
                self._interval = interval
                self._spacing_until = now + left
            else:
                self._interval = 0.0

    @property
    def holding_until(self) -> float:
        """Wall-clock time (the pacer's clock) when requests may go again; 0 when not holding."""
        with self._lock:
            return self._hold_until if self._hold_until > self._clock() else 0.0

    @property
    def holding_for(self) -> float:
        """Seconds until requests may go again (0 when not holding), e.g. for a status line."""
        with self._lock:
            return max(0.0, self._hold_until - self._clock())

    @property
    def interval(self) -> float:
        """Current spacing between requests in seconds (0 when not spacing)."""
        with self._lock:
            return self._interval

    @property
    def spacing_until(self) -> float:
        """When the spacing ends (the limit's reset, the pacer's clock); 0 when not spacing."""
        with self._lock:
            spacing = self._interval > 0 and self._spacing_until > self._clock()
            return self._spacing_until if spacing else 0.0

    @property
    def spacing_for(self) -> float:
        """Seconds until the spacing ends (0 when not spacing), e.g. for a status line."""
        with self._lock:
            if self._interval <= 0:
                return 0.0
            return max(0.0, self._spacing_until - self._clock())


class _NoCookies(http.cookiejar.CookiePolicy):
    """Neither stores nor sends any cookie: the API uses bearer tokens, storage presigned links."""

    netscape = True
    rfc2965 = False
    hide_cookie2 = True

    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False

    def domain_return_ok(self, domain: str, request: urllib.request.Request) -> bool:
        return False

    def path_return_ok(self, path: str, request: urllib.request.Request) -> bool:
        return False


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


class TrustStoreAdapter(HTTPAdapter):
    """An adapter whose TLS connections verify against the operating system's trust store.

    It also sends request bodies in blocks of :data:`SEND_BLOCK` bytes, and its connections can
    be cut off when an upload stops (:mod:`uploader_gui.procore.abort`).
    """

    def __init__(self, **kwargs: Any) -> None:
        self._ssl_context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        pool_kwargs.setdefault("ssl_context", self._ssl_context)
        pool_kwargs.setdefault("blocksize", SEND_BLOCK)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        make_cuttable(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        # Through an HTTPS proxy the same trust store applies to the tunnelled connection.
        proxy_kwargs.setdefault("ssl_context", self._ssl_context)
        proxy_kwargs.setdefault("blocksize", SEND_BLOCK)
        return make_cuttable(super().proxy_manager_for(proxy, **proxy_kwargs))


class _Session(requests.Session):
    """A session that reads the proxy and CA-bundle settings from the environment once per
    host instead of on every request: requests walks the whole environment (twice) for each
    request, which took about as long as sending a small file's answer on loopback.
    The environment of a running app does not change; a new session reads it again."""

    def __init__(self) -> None:
        super().__init__()
        self._env_settings: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._env_lock = threading.Lock()

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        try:
            where = urllib3.util.parse_url(url)
            key = (where.scheme, where.netloc, tuple(sorted((proxies or {}).items())), stream,
                   verify, cert)
            hash(key)
        except (TypeError, ValueError, urllib3.exceptions.LocationParseError):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        with self._env_lock:
            settings = self._env_settings.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            with self._env_lock:
                self._env_settings[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}


def build_session(*, user_agent: str = USER_AGENT, pool_size: int = POOL_SIZE,
                  headers: Mapping[str, str] | None = None) -> requests.Session:
    """A session for many threads: pooled connections, TLS via the OS trust store, no cookies.

    Proxies come from the environment (``HTTPS_PROXY``, ``NO_PROXY``), as requests does.
    Retries are ours (:class:`RetryPolicy`), so urllib3's own are off.
    """
    session = _Session()
    session.verify = True
    # With no session auth, requests would look up ~/.netrc and add a Basic Authorization
    # header (overriding the bearer token, or reaching storage). An explicit no-op prevents it.
    session.auth = _no_auth
    session.cookies.set_policy(_NoCookies())
    session.headers.clear()
    session.headers["User-Agent"] = user_agent
    session.headers.update(headers or {})
    # One adapter for both schemes: urllib3 drops the TLS settings for plain http itself.
    adapter = TrustStoreAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def surely_not_sent(exc: requests.RequestException) -> bool:
    """Whether a failed request certainly never reached the server (safe to send again).

    True for connect failures and connect timeouts; False for anything that happened after
    the connection was up (a read timeout, a dropped connection), where the server may have
    acted on the request.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, (requests.exceptions.ProxyError, requests.exceptions.SSLError)):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    reason: Any = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (urllib3.exceptions.NewConnectionError,
                               urllib3.exceptions.ConnectTimeoutError,
                               urllib3.exceptions.NameResolutionError))


def network_error(exc: requests.RequestException, what: str) -> errors.NetworkError:
    """A NetworkError in plain words for a failure to talk to ``what`` (a host name)."""
    log.debug("network failure talking to %s: %s", what, redact(str(exc)))
    subject = what[:1].upper() + what[1:]
    if isinstance(exc, requests.exceptions.SSLError):
        error = errors.NetworkError(
            f"The secure connection to {what} could not be verified. If your company's network "
            "inspects secure traffic, its certificate must be installed on this computer.")
        error.retryable = False
        return error
    if isinstance(exc, requests.exceptions.ProxyError):
        return errors.NetworkError(
            f"The proxy server did not let the connection to {what} through. "
            "Check the proxy settings.")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return errors.NetworkError(
            f"{subject} did not answer in time. Check the internet connection.")
    if isinstance(exc, requests.exceptions.Timeout):
        return errors.NetworkError(
            f"{subject} stopped answering in the middle of a request.")
    if surely_not_sent(exc):
        return errors.NetworkError(
            f"Could not connect to {what}. Check the internet connection.")
    return errors.NetworkError(
        f"The connection to {what} broke off. Check the internet connection.")
