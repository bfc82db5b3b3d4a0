"""A server that does not answer, or keeps failing, is reported within seconds.

``timeout`` bounds every wait up to the response headers; only the body's reads get
``idle_timeout``. The default policy retries twice with short waits, as the OpenAI and
Anthropic SDKs do. Over real loopback sockets, both twins.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from loopback import serve, silent

from sse_widget import (
    ConnectError,
    Event,
    HTTPStatusError,
    IdleTimeoutError,
    MockServer,
    Reconnect,
    ReconnectAttempt,
    RetriesExhaustedError,
    StreamError,
    _reconnect,
    aiter_events,
    iter_events,
)
from sse_widget._session import DEFAULT_TIMEOUT


@pytest.fixture(params=["sync", "async"])
def twin(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def run(twin: str, url: str, **kwargs: Any) -> tuple[list[Event], StreamError | None, float]:
    """Read ``url`` to its end: the events, the error, and the seconds it took."""
    events: list[Event] = []
    error: StreamError | None = None
    start = time.monotonic()
    if twin == "sync":
        try:
            events.extend(iter_events(url, **kwargs))
        except StreamError as exc:
            error = exc
    else:

        async def read() -> None:
            async for event in aiter_events(url, **kwargs):
                events.append(event)

        try:
            asyncio.run(read())
        except StreamError as exc:
            error = exc
    return events, error, time.monotonic() - start


# -- the policy's arithmetic ----------------------------------------------------------


def test_the_default_policy_is_the_sdks() -> None:
    policy = Reconnect()
    assert (policy.max_attempts, policy.initial_delay, policy.max_delay) == (2, 0.5, 8.0)
    assert policy.max_retry_after == 60.0
    plain = Reconnect(jitter=0.0)
    assert [plain.delay(n, server_retry=None) for n in range(1, 7)] == [0.5, 1, 2, 4, 8, 8]


def test_a_silent_server_costs_at_most_45_s_with_the_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = Reconnect()
    assert policy.max_attempts is not None
    monkeypatch.setattr(_reconnect.random, "random", lambda: 1.0)  # jitter at its max
    waits = [policy.delay(n, server_retry=None) for n in range(1, policy.max_attempts + 1)]
    assert waits == [0.625, 1.25]
    worst = (policy.max_attempts + 1) * DEFAULT_TIMEOUT + sum(waits)
    assert worst == 31.875
    assert worst <= 45
    # The same from the parameters alone.
    assert policy.initial_delay * (1 + 2) * (1 + policy.jitter) == sum(waits)


def test_a_persistent_failure_costs_under_2_s_of_waits_with_the_defaults() -> None:
    policy = Reconnect()
    assert policy.max_attempts is not None
    longest = sum(
        min(policy.max_delay, policy.initial_delay * 2 ** (n - 1)) * (1 + policy.jitter)
        for n in range(1, policy.max_attempts + 1)
    )
    assert longest < 2


# -- a server that accepts and never answers --------------------------------------------


def test_a_server_that_never_answers_is_a_connect_error_after_timeout(twin: str) -> None:
    with serve(silent) as server:
        url = f"{server.url}/v1/chat?api_key=sk-secret"
        events, error, elapsed = run(
            twin, url, json={"stream": True}, timeout=0.5, idle_timeout=30, reconnect=False
        )
        assert events == []
        assert isinstance(error, ConnectError)
        assert str(error) == (
            f"no response from {server.url}/v1/chat?api_key=*** within 0.5 s (timeout)"
        )
        assert 0.45 <= elapsed < 3
        (connection,) = server.connections
        assert connection.closed.wait(2)  # the client hung up
        assert b"POST /v1/chat" in connection.request


def test_a_server_that_never_answers_is_retried_by_the_default_policy(twin: str) -> None:
    attempts: list[ReconnectAttempt] = []
    with serve(silent) as server:
        events, error, elapsed = run(
            twin, f"{server.url}/sse", timeout=0.5, on_reconnect=attempts.append
        )
        assert events == []
        assert isinstance(error, RetriesExhaustedError)
        assert error.attempts == 2
        assert isinstance(error.last_error, ConnectError)
        assert "within 0.5 s (timeout)" in str(error)
        assert (error.status_code, error.headers, error.body) == (None, None, "")
        # Three connections, each waited on for `timeout`, with the policy's waits between.
        assert len(server.connections) == 3
        assert [a.attempt for a in attempts] == [1, 2]
        assert 0.5 <= attempts[0].delay <= 0.625
        assert 1.0 <= attempts[1].delay <= 1.25
        accepted = [c.accepted_at for c in server.connections]
        assert accepted[1] - accepted[0] >= 0.5 + attempts[0].delay - 0.05
        assert accepted[2] - accepted[1] >= 0.5 + attempts[1].delay - 0.05
        assert all(c.closed.wait(2) for c in server.connections)
    assert 3 * 0.5 + 1.5 - 0.1 <= elapsed < 3 * 0.5 + 1.875 + 4


def test_the_wait_for_headers_is_timeout_not_idle_timeout(twin: str) -> None:
    with serve(silent) as server:
        _, error, elapsed = run(
            twin, f"{server.url}/sse", timeout=0.3, idle_timeout=20, reconnect=False
        )
    assert isinstance(error, ConnectError)
    assert elapsed < 3


# -- the body's reads get idle_timeout ------------------------------------------------


def test_the_body_may_be_silent_for_longer_than_timeout(twin: str, mock: MockServer) -> None:
    # Headers at once, then 1 s of silence: far past `timeout`, within `idle_timeout`.
    url = mock.url_for("/stream", count=2, first_delay=1.0)
    events, error, elapsed = run(twin, url, timeout=0.2, idle_timeout=10, reconnect=False)
    assert error is None
    assert len(events) == 2
    assert elapsed >= 1.0


def test_the_body_is_cut_after_idle_timeout_not_timeout(twin: str, mock: MockServer) -> None:
    url = mock.url_for("/stream", count=2, first_delay=5)
    events, error, elapsed = run(twin, url, timeout=8, idle_timeout=0.3, reconnect=False)
    assert events == []
    assert isinstance(error, IdleTimeoutError)
    assert "no data from" in str(error)
    assert 0.3 <= elapsed < 2


def test_the_switch_holds_on_every_connection(twin: str, mock: MockServer) -> None:
    # Reconnections get the same two timeouts: on each connection the body is silent
    # for 0.6 s (past `timeout`) between its two events; the stream resumes by id.
    url = mock.url_for("/feed", interval=0.6, limit=4, drop_after=2)
    policy = Reconnect(max_attempts=3, initial_delay=0.01, jitter=0.0)
    events, error, elapsed = run(twin, url, timeout=0.3, idle_timeout=10, reconnect=policy)
    assert error is None
    assert [e.id for e in events] == ["1", "2", "3", "4"]
    assert elapsed >= 1.2


# -- a server that keeps failing ------------------------------------------------------


def test_a_persistent_500_surfaces_within_15_s_with_the_defaults(
    twin: str, mock: MockServer
) -> None:
    before = len(mock.requests)
    url = mock.url_for("/v1/chat/completions", status=500)
    events, error, elapsed = run(twin, url, json={"stream": True})
    assert events == []
    assert isinstance(error, RetriesExhaustedError)
    assert isinstance(error.last_error, HTTPStatusError)
    assert error.status_code == 500
    assert error.headers is not None
    assert error.headers["content-type"].startswith("application/json")
    assert '"type":"server_error"' in error.body
    assert len(mock.requests) - before == 3  # the request and 2 retries
    assert 1.5 <= elapsed < 15
