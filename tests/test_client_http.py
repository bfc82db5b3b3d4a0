"""The client's HTTP layer against ``httpx.MockTransport``: checks, errors, reconnection.

Every test runs against both twins (``iter_events`` and ``aiter_events``).
"""

from __future__ import annotations

import datetime
import email.utils
import time

import httpx
import pytest
from scripted import Script, collect, fail, reply

import sse_widget
from sse_widget import (
    ConnectError,
    ConnectionLostError,
    ContentTypeError,
    HTTPStatusError,
    IdleTimeoutError,
    Reconnect,
    ReconnectAttempt,
    RetriesExhaustedError,
)
from sse_widget._session import _retry_after

FAST = Reconnect(max_attempts=3, initial_delay=0.001, max_delay=0.01, jitter=0.0)
FAST_EVENTSOURCE = Reconnect.eventsource(initial_delay=0.001)


@pytest.fixture(params=["sync", "async"])
def twin(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- response checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/event-stream",
        "TEXT/Event-Stream",
        "text/event-stream; charset=utf-8",
        " text/event-stream ;foo=bar",
        "text/event-stream;charset=latin-1",
    ],
)
def test_content_type_is_compared_by_essence(twin: str, content_type: str) -> None:
    outcome = collect(twin, Script(reply(b"data: ok\n\n", content_type=content_type)))
    assert outcome.error is None
    assert outcome.data == ["ok"]


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        ("text/html; charset=utf-8", "'text/html; charset=utf-8'"),
        ("text/event-streams", "'text/event-streams'"),
        ("application/json", "'application/json'"),
        (None, "no Content-Type"),
    ],
)
def test_wrong_content_type_names_the_type_and_first_bytes(
    twin: str, content_type: str | None, shown: str
) -> None:
    script = Script(reply(b"<html><body>Sign in</body></html>", content_type=content_type))
    outcome = collect(twin, script, reconnect=FAST)
    assert isinstance(outcome.error, ContentTypeError)
    assert outcome.error.content_type == (content_type or "")
    assert shown in str(outcome.error)
    assert "<html><body>Sign in" in str(outcome.error)
    assert len(script.requests) == 1  # never retried


def test_body_is_utf8_whatever_the_charset_says(twin: str) -> None:
    body = "data: caf\u00e9 \u00fcber\n\n".encode()
    outcome = collect(twin, Script(reply(body, content_type="text/event-stream; charset=latin-1")))
    assert outcome.data == ["caf\u00e9 \u00fcber"]


def test_http_error_shows_status_and_the_servers_words(twin: str) -> None:
    body = (
        b'{"error": {"message": "Incorrect API key provided: sk-fake", "code": "invalid_api_key"}}'
    )
    script = Script(
        reply(body, status=401, content_type="application/json", headers={"x-request-id": "r1"})
    )
    outcome = collect(
        twin, script, url="http://test.local/v1/chat?api_key=sk-fake-secret", json={"a": 1}
    )
    error = outcome.error
    assert isinstance(error, HTTPStatusError)
    assert error.status_code == 401
    assert error.headers is not None
    assert error.headers["x-request-id"] == "r1"
    assert "Incorrect API key provided" in error.body
    assert str(error).startswith("HTTP 401 Unauthorized from POST http://test.local/v1/chat")
    assert "Incorrect API key provided: sk-fake" in str(error)
    assert "sk-fake-secret" not in str(error)  # the URL's credential is redacted
    assert "api_key=***" in error.url


def test_http_error_body_is_cut_to_a_kilobyte(twin: str) -> None:
    script = Script(reply(b"x" * 5000, b"y" * 5000, status=500, content_type="text/plain"))
    error = collect(twin, script, reconnect=False).error
    assert isinstance(error, HTTPStatusError)
    assert error.body == "x" * 1024 + " \u2026"


@pytest.mark.parametrize("status", [201, 202, 206, 301, 404, 500])
def test_any_status_but_200_fails(twin: str, status: int) -> None:
    script = Script(reply(b"data: no\n\n", status=status))
    outcome = collect(twin, script, reconnect=False)
    assert isinstance(outcome.error, HTTPStatusError)
    assert outcome.error.status_code == status
    assert outcome.events == []


def test_redirects_are_followed_then_checked(twin: str) -> None:
    redirect = reply(status=302, headers={"location": "/moved"}, content_type=None)
    script = Script(redirect, reply(b"data: here\n\n"))
    outcome = collect(twin, script)
    assert outcome.data == ["here"]
    assert [r.url.path for r in script.requests] == ["/sse", "/moved"]


@pytest.mark.parametrize("policy", [True, False, "eventsource"])
def test_204_ends_the_stream_without_error_or_retry(twin: str, policy: object) -> None:
    script = Script(reply(status=204, content_type=None), reply(b"data: again\n\n"))
    outcome = collect(twin, script, reconnect=policy)
    assert outcome.error is None
    assert outcome.events == []
    assert len(script.requests) == 1


def test_request_carries_method_body_and_sse_headers(twin: str) -> None:
    script = Script(reply(b"data: ok\n\n"))
    collect(
        twin,
        script,
        json={"model": "m"},
        headers={"Authorization": "Bearer sk-fake"},
        params={"q": "1"},
    )
    (request,) = script.requests
    assert request.method == "POST"  # a body makes it a POST
    assert request.url.params["q"] == "1"
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["cache-control"] == "no-store"
    assert request.headers["authorization"] == "Bearer sk-fake"
    assert "last-event-id" not in request.headers
    assert request.content == b'{"model":"m"}'


def test_get_is_the_default_without_a_body(twin: str) -> None:
    script = Script(reply(b"data: ok\n\n"))
    collect(twin, script)
    assert script.requests[0].method == "GET"


# -- reconnection: eventsource --------------------------------------------------------


def test_eventsource_reconnects_after_end_of_body_with_last_event_id(twin: str) -> None:
    script = Script(
        reply("id: \u00e91\ndata: a\n\n".encode()),
        reply(b"data: b\n\nid\ndata: c\n\n"),
        reply(b"data: d\n\n"),
        reply(status=204, content_type=None),
    )
    outcome = collect(twin, script, reconnect=FAST_EVENTSOURCE)
    assert outcome.error is None
    assert [(e.data, e.id) for e in outcome.events] == [
        ("a", "\u00e91"),
        ("b", "\u00e91"),  # the id persists across connections
        ("c", ""),
        ("d", ""),
    ]
    raw = [dict(r.headers.raw).get(b"Last-Event-ID") for r in script.requests]
    # Last-Event-ID goes as UTF-8; after the id was reset to "", no header at all.
    assert raw == [None, "\u00e91".encode(), None, None]


def test_eventsource_waits_the_reconnection_time(twin: str) -> None:
    script = Script(reply(b"retry: 150\n\n"), reply(status=204, content_type=None))
    start = time.monotonic()
    collect(twin, script, reconnect="eventsource")
    elapsed = time.monotonic() - start
    assert len(script.requests) == 2
    assert 0.15 <= elapsed < 1.0


def test_eventsource_reconnects_after_network_errors(twin: str) -> None:
    script = Script(
        reply(b"id: 1\ndata: a\n\n", error=httpx.ReadError("reset")),
        fail(httpx.ConnectError("refused")),
        reply(b"id: 2\ndata: b\n\n"),
        reply(status=204, content_type=None),
    )
    outcome = collect(twin, script, reconnect=FAST_EVENTSOURCE)
    assert outcome.error is None
    assert outcome.data == ["a", "b"]
    assert [r.headers.get("last-event-id") for r in script.requests] == [None, "1", "1", "2"]


@pytest.mark.parametrize(
    "second", [reply(status=503, content_type=None), reply(b"data: x", content_type="text/plain")]
)
def test_eventsource_fails_on_bad_reconnection_response(twin: str, second: object) -> None:
    script = Script(reply(b"data: a\n\n"), second)  # type: ignore[arg-type]
    outcome = collect(twin, script, reconnect=FAST_EVENTSOURCE)
    assert outcome.data == ["a"]
    assert isinstance(outcome.error, (HTTPStatusError, ContentTypeError))
    assert len(script.requests) == 2


# -- reconnection: safe (default) -----------------------------------------------------


def test_safe_clean_end_is_the_end(twin: str) -> None:
    script = Script(reply(b"id: 1\ndata: a\n\n"), reply(b"data: again\n\n"))
    outcome = collect(twin, script, reconnect=FAST)
    assert outcome.data == ["a"]
    assert len(script.requests) == 1


def test_safe_never_repeats_a_request_after_partial_output(twin: str) -> None:
    script = Script(
        reply(b"data: Hel\n\ndata: lo\n\n", error=httpx.RemoteProtocolError("incomplete")),
        reply(b"data: Hello again\n\n"),
    )
    outcome = collect(twin, script, json={"prompt": "hi"}, reconnect=FAST)
    assert outcome.data == ["Hel", "lo"]  # kept, not lost to the error
    assert isinstance(outcome.error, ConnectionLostError)
    assert "lost after 2 events" in str(outcome.error)
    assert isinstance(outcome.error.__cause__, httpx.RemoteProtocolError)
    assert len(script.requests) == 1


def test_safe_resumes_with_last_event_id_when_the_server_gave_ids(twin: str) -> None:
    script = Script(
        reply(b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n", error=httpx.ReadError("reset")),
        reply(b"id: 3\ndata: c\n\n"),
    )
    attempts: list[ReconnectAttempt] = []
    outcome = collect(twin, script, reconnect=FAST, on_reconnect=attempts.append)
    assert outcome.error is None
    assert outcome.data == ["a", "b", "c"]
    assert script.requests[1].headers["last-event-id"] == "2"
    assert [(a.attempt, a.max_attempts, a.last_event_id) for a in attempts] == [(1, 3, "2")]
    assert isinstance(attempts[0].error, ConnectionLostError)


def test_safe_retries_when_nothing_arrived_yet(twin: str) -> None:
    script = Script(
        fail(httpx.ConnectError("refused")),
        reply(b"", error=httpx.ReadError("reset")),
        reply(b"data: ok\n\n"),
    )
    attempts: list[ReconnectAttempt] = []
    outcome = collect(twin, script, json={}, reconnect=FAST, on_reconnect=attempts.append)
    assert outcome.data == ["ok"]
    assert [a.attempt for a in attempts] == [1, 2]
    assert [type(a.error) for a in attempts] == [ConnectError, ConnectionLostError]


def test_safe_retries_overload_statuses_but_not_client_errors(twin: str) -> None:
    busy = reply(b'{"error": "busy"}', status=503, content_type="application/json")
    script = Script(busy, reply(b"data: ok\n\n"))
    assert collect(twin, script, reconnect=FAST).data == ["ok"]
    denied = Script(reply(b"no", status=403, content_type="text/plain"), reply(b"data: ok\n\n"))
    outcome = collect(twin, denied, reconnect=FAST)
    assert isinstance(outcome.error, HTTPStatusError)
    assert len(denied.requests) == 1


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"retry-after": "1"}, 1.0),  # beyond max_delay: the server knows best
        ({"retry-after": "0.25"}, 0.25),  # a fraction, as the SDKs accept
        ({"retry-after-ms": "150"}, 0.15),
        ({"retry-after-ms": "150", "retry-after": "1"}, 0.15),  # milliseconds win
        ({"retry-after": "soon"}, 0.01),  # unreadable: the backoff
        ({"retry-after": "-5"}, 0.01),
        ({"retry-after-ms": "nan"}, 0.01),
    ],
)
def test_retry_after_sets_a_floor_on_the_delay(
    twin: str, headers: dict[str, str], delay: float
) -> None:
    busy = reply(status=429, content_type=None, headers=headers)
    policy = Reconnect(max_attempts=1, initial_delay=0.01, max_delay=0.2, jitter=0.0)
    attempts: list[ReconnectAttempt] = []
    outcome = collect(
        twin, Script(busy, reply(b"data: ok\n\n")), reconnect=policy, on_reconnect=attempts.append
    )
    assert outcome.data == ["ok"]
    assert [a.delay for a in attempts] == [pytest.approx(delay)]


def test_retry_after_as_a_date_is_read() -> None:
    when = email.utils.format_datetime(
        datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=30),
        usegmt=True,
    )
    error = HTTPStatusError("busy", status_code=429, headers=httpx.Headers({"retry-after": when}))
    assert 28 < _retry_after(error) <= 30  # type: ignore[operator]
    assert _retry_after(HTTPStatusError("busy", status_code=429)) is None


def test_a_retry_after_beyond_the_cap_ends_the_stream_at_once(twin: str) -> None:
    busy = reply(
        b"come back later", status=503, content_type="text/plain", headers={"retry-after": "61"}
    )
    script = Script(busy, reply(b"data: ok\n\n"))
    start = time.monotonic()
    outcome = collect(twin, script)  # the default policy: Retry-After up to 60 s
    assert isinstance(outcome.error, HTTPStatusError)
    assert outcome.error.headers is not None
    assert outcome.error.headers["retry-after"] == "61"
    assert len(script.requests) == 1
    assert time.monotonic() - start < 1


def test_exhausted_retries_name_the_count_and_the_last_cause(twin: str) -> None:
    script = Script(fail(httpx.ConnectError("connection refused")))
    outcome = collect(twin, script, reconnect=FAST)
    error = outcome.error
    assert isinstance(error, RetriesExhaustedError)
    assert error.attempts == 3
    assert isinstance(error.last_error, ConnectError)
    assert error.__cause__ is error.last_error
    assert "gave up after 3 reconnection attempts" in str(error)
    assert "connection refused" in str(error)
    assert len(script.requests) == 4
    # No response: nothing to show of one.
    assert (error.status_code, error.headers, error.body) == (None, None, "")


def test_exhausted_retries_carry_the_last_response(twin: str) -> None:
    script = Script(
        reply(
            b'{"error": "busy"}',
            status=500,
            content_type="application/json",
            headers={"x-request-id": "r1"},
        ),
        reply(
            b'{"error": "still busy"}',
            status=503,
            content_type="application/json",
            headers={"x-request-id": "r2"},
        ),
    )
    error = collect(twin, script, reconnect=FAST).error
    assert isinstance(error, RetriesExhaustedError)
    assert isinstance(error.last_error, HTTPStatusError)
    assert error.status_code == 503
    assert error.headers is not None
    assert error.headers["x-request-id"] == "r2"
    assert error.body == '{"error": "still busy"}'
    assert len(script.requests) == 4


def test_attempts_start_again_after_an_event(twin: str) -> None:
    drop = httpx.ReadError("reset")
    script = Script(
        reply(b"id: 1\ndata: a\n\n", error=drop),
        fail(httpx.ConnectError("refused")),
        reply(b"id: 2\ndata: b\n\n", error=drop),
        fail(httpx.ConnectError("refused")),
        reply(b"id: 3\ndata: c\n\n"),
    )
    policy = Reconnect(max_attempts=2, initial_delay=0.001, jitter=0.0)
    attempts: list[ReconnectAttempt] = []
    outcome = collect(twin, script, reconnect=policy, on_reconnect=attempts.append)
    assert outcome.error is None
    assert outcome.data == ["a", "b", "c"]
    assert [a.attempt for a in attempts] == [1, 2, 1, 2]


def test_reconnect_false_raises_the_first_failure(twin: str) -> None:
    script = Script(fail(httpx.ConnectError("refused")), reply(b"data: ok\n\n"))
    outcome = collect(twin, script, reconnect=False)
    assert isinstance(outcome.error, ConnectError)
    assert "could not connect to http://test.local/sse: refused" in str(outcome.error)
    assert len(script.requests) == 1


def test_read_timeout_is_an_idle_timeout(twin: str) -> None:
    script = Script(reply(b"data: a\n\n", error=httpx.ReadTimeout("timed out")))
    outcome = collect(twin, script, reconnect=False, idle_timeout=2.5)
    assert outcome.data == ["a"]
    assert isinstance(outcome.error, IdleTimeoutError)
    assert outcome.error.idle_timeout == 2.5
    assert "no data from http://test.local/sse for 2.5 s" in str(outcome.error)


def test_on_open_sees_the_response_and_may_reject_it(twin: str) -> None:
    class Rejected(Exception):
        pass

    def on_open(response: httpx.Response) -> None:
        if response.headers.get("x-model") != "ok":
            raise Rejected(response.headers.get("x-model"))

    script = Script(reply(b"data: a\n\n", headers={"x-model": "bad"}))
    with pytest.raises(Rejected, match="bad"):
        collect(twin, script, on_open=on_open)


# -- arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"url": "ftp://x/"}, ValueError, "absolute http:// or https:// URL"),
        ({"url": "/relative"}, ValueError, "absolute http:// or https:// URL"),
        ({"json": {}, "content": b"x"}, TypeError, "json= or content=, not both"),
        ({"timeout": 0}, ValueError, "timeout must be a positive number"),
        ({"idle_timeout": -1}, ValueError, "idle_timeout must be a positive number"),
        ({"reconnect": "always"}, ValueError, "reconnect must be True, False"),
    ],
)
@pytest.mark.parametrize("function", [sse_widget.iter_events, sse_widget.aiter_events])
def test_bad_arguments_fail_at_the_call(
    function: object, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    kwargs = {"url": "http://test.local/", **kwargs}
    with pytest.raises(error, match=message):
        function(**kwargs)  # type: ignore[operator]


def test_bad_url_error_does_not_show_credentials() -> None:
    with pytest.raises(ValueError, match=r"ftp://\*\*\*@host/") as info:
        sse_widget.iter_events("ftp://user:hunter2@host/")
    assert "hunter2" not in str(info.value)


# -- the backoff arithmetic -----------------------------------------------------------


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    policy = Reconnect(initial_delay=1.0, max_delay=10.0, jitter=0.0)
    assert [policy.delay(n, server_retry=None) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_backoff_jitter_stays_within_its_fraction() -> None:
    policy = Reconnect(initial_delay=1.0, jitter=0.25)
    delays = [policy.delay(1, server_retry=None) for _ in range(200)]
    assert all(1.0 <= d <= 1.25 for d in delays)
    assert len(set(delays)) > 100


def test_backoff_never_undercuts_the_servers_retry() -> None:
    policy = Reconnect(initial_delay=0.1, max_delay=1.0, jitter=0.0)
    assert policy.delay(1, server_retry=2.0) == 2.0  # retry: wins over max_delay
    assert policy.delay(3, server_retry=0.2) == 0.8  # and is the base of the growth
    assert policy.delay(1, server_retry=None, at_least=0.5) == 0.5


def test_eventsource_waits_a_constant_reconnection_time() -> None:
    policy = Reconnect.eventsource()
    assert [policy.delay(n, server_retry=None) for n in (1, 5, 50)] == [3.0, 3.0, 3.0]
    assert policy.delay(9, server_retry=0.25) == 0.25


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "browser"}, "mode must be"),
        ({"max_attempts": -1}, "max_attempts must be"),
        ({"initial_delay": -1.0}, "initial_delay must be"),
    ],
)
def test_bad_policy_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Reconnect(**kwargs)  # type: ignore[arg-type]


def test_on_error_may_retry_where_the_policy_would_not(twin: str) -> None:
    script = Script(
        reply(b"data: a\n\n", error=httpx.ReadError("reset")),
        reply(b"data: b\n\n"),
    )
    seen: list[str] = []

    def on_error(error: sse_widget.StreamError) -> float:
        seen.append(type(error).__name__)
        return 0.001

    outcome = collect(twin, script, json={}, reconnect=False, on_error=on_error)
    assert outcome.error is None
    assert outcome.data == ["a", "b"]
    assert seen == ["ConnectionLostError"]


def test_on_error_returning_none_leaves_it_to_the_policy(twin: str) -> None:
    script = Script(fail(httpx.ConnectError("refused")), reply(b"data: ok\n\n"))
    seen: list[sse_widget.StreamError] = []

    def on_error(error: sse_widget.StreamError) -> None:
        seen.append(error)

    outcome = collect(twin, script, reconnect=FAST, on_error=on_error)
    assert outcome.data == ["ok"]
    assert [type(e) for e in seen] == [ConnectError]


def test_on_error_raising_ends_the_stream_with_that_exception(twin: str) -> None:
    class GiveUp(Exception):
        pass

    def on_error(error: sse_widget.StreamError) -> None:
        raise GiveUp(str(error))

    script = Script(fail(httpx.ConnectError("refused")), reply(b"data: ok\n\n"))
    with pytest.raises(GiveUp, match="refused"):
        collect(twin, script, reconnect=FAST, on_error=on_error)
    assert len(script.requests) == 1
