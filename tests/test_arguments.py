"""Arguments are checked at the call, before any request, with messages that name them.

Every case runs against ``iter_events``, ``aiter_events`` and ``StreamSession`` (which the
widget builds from its own arguments): none of them may send anything first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from scripted import Script, collect, fail, reply

from sse_widget import Reconnect, ReconnectAttempt, aiter_events, iter_events
from sse_widget._session import StreamSession

URL = "http://test.local/sse"


def session(url: str, **kwargs: Any) -> StreamSession:
    arguments: dict[str, Any] = {
        "method": None,
        "headers": None,
        "params": None,
        "json": None,
        "content": None,
        "timeout": 10.0,
        "idle_timeout": 300.0,
        "reconnect": True,
        "on_open": None,
        "on_reconnect": None,
    }
    return StreamSession(url, **{**arguments, **kwargs})


CALLS: dict[str, Callable[..., object]] = {
    "iter_events": iter_events,
    "aiter_events": aiter_events,
    "StreamSession": session,
}

circular: dict[str, Any] = {}
circular["self"] = circular

BAD = {
    # json: serialized at the call, as httpx would.
    "json not JSON": (
        {"json": object()},
        TypeError,
        "json= must be serializable to JSON: Object of type object is not JSON serializable",
    ),
    "json NaN": (
        {"json": {"x": float("nan")}},
        ValueError,
        "json= must be serializable to JSON: Out of range float values are not JSON compliant",
    ),
    "json infinity": ({"json": [float("inf")]}, ValueError, "Out of range float values"),
    "json circular": ({"json": circular}, ValueError, "Circular reference detected"),
    "json bytes": ({"json": b"{}"}, TypeError, "Object of type bytes is not JSON serializable"),
    # content: the whole body, to send again on each reconnection.
    "content list": ({"content": [b"a"]}, TypeError, "content must be str or bytes, not list"),
    "content int": ({"content": 5}, TypeError, "content must be str or bytes, not int"),
    "content iterator": (
        {"content": iter([b"a"])},
        TypeError,
        "content must be str or bytes, not list_iterator",
    ),
    # headers
    "headers str": ({"headers": "X-A: 1"}, TypeError, "headers must be a mapping of names"),
    "headers int": ({"headers": 5}, TypeError, "headers must be a mapping of names"),
    "headers loose items": ({"headers": [("a",)]}, TypeError, "or (name, value) pairs"),
    "header value int": (
        {"headers": {"X-Retries": 1}},
        TypeError,
        "headers: the value of 'X-Retries' must be str or bytes, not int",
    ),
    "header value None": (
        {"headers": {"Authorization": None}},
        TypeError,
        "headers: the value of 'Authorization' must be str or bytes, not NoneType",
    ),
    "header value with a line break": (
        {"headers": {"X-A": "1\r\nX-Injected: 2"}},
        ValueError,
        "headers: the value of 'X-A' contains a line break or NUL",
    ),
    "header value not ASCII": (
        {"headers": {"X-Title": "caf\u00e9"}},
        ValueError,
        "headers: the value of 'X-Title' is not ASCII; pass it as bytes",
    ),
    "header name with a space": (
        {"headers": {"X A": "1"}},
        ValueError,
        "headers: 'X A' is not a valid header name",
    ),
    "header name int": ({"headers": {1: "a"}}, TypeError, "headers: a name must be str or bytes"),
    # method
    "method int": ({"method": 5}, TypeError, "method must be a str like 'GET' or 'POST', not int"),
    "method bytes": ({"method": b"GET"}, TypeError, "method must be a str"),
    "method with a space": (
        {"method": "GE T"},
        ValueError,
        "method must be an HTTP method name like 'GET' or 'POST', not 'GE T'",
    ),
    "method empty": ({"method": ""}, ValueError, "method must be an HTTP method name"),
    # timeouts: numbers of seconds; a bool is not one.
    "timeout str": (
        {"timeout": "10"},
        TypeError,
        "timeout must be a number of seconds or None, not str",
    ),
    "timeout bool": ({"timeout": True}, TypeError, "timeout must be a number of seconds or None"),
    "idle_timeout bool": (
        {"idle_timeout": False},
        TypeError,
        "idle_timeout must be a number of seconds or None, not bool",
    ),
    "timeout NaN": (
        {"timeout": float("nan")},
        ValueError,
        "timeout must be a positive number of seconds or None, not nan",
    ),
    "idle_timeout infinite": (
        {"idle_timeout": float("inf")},
        ValueError,
        "idle_timeout must be a positive number of seconds or None, not inf",
    ),
    "timeout zero": ({"timeout": 0}, ValueError, "timeout must be a positive number"),
    # params
    "params int": ({"params": 5}, TypeError, "params must be a mapping, (name, value) pairs"),
    "params object value": (
        {"params": {"q": object()}},
        TypeError,
        "params: the value of 'q' must be str, int, float, bool or None (or a list of them), "
        "not object",
    ),
    "params name int": ({"params": {1: "a"}}, TypeError, "params: a name must be str, not int"),
    "params loose items": ({"params": [("a",)]}, TypeError, "params must be a mapping"),
    "params list in a pair": (
        {"params": [("tag", ["x", "y"])]},
        TypeError,
        "params: the value of 'tag' must be str, int, float, bool or None, not list",
    ),
    # hooks
    "on_open not callable": (
        {"on_open": "print"},
        TypeError,
        "on_open must be callable or None, not str",
    ),
    "on_reconnect not callable": ({"on_reconnect": 3}, TypeError, "on_reconnect must be callable"),
    "on_error not callable": ({"on_error": []}, TypeError, "on_error must be callable"),
    # the limit (more in test_limits.py)
    "max_event_bytes float": ({"max_event_bytes": 1e6}, TypeError, "max_event_bytes must be"),
}


@pytest.mark.parametrize(("kwargs", "error", "message"), BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_bad_argument_fails_at_the_call(
    call: Callable[..., object], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call(URL, **kwargs)


def test_the_secret_in_a_bad_header_is_not_shown() -> None:
    with pytest.raises(ValueError, match="'Authorization' contains a line break") as info:
        iter_events(URL, headers={"Authorization": "Bearer sk-secret\n"})
    assert "sk-secret" not in str(info.value)


# -- the client -----------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_async_client_does_not_go_with_iter_events() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(
            TypeError,
            match=re.escape(
                "client must be an httpx.Client, not AsyncClient "
                "(an httpx.AsyncClient goes with aiter_events)"
            ),
        ):
            iter_events(URL, client=client)  # type: ignore[arg-type]


def test_a_sync_client_does_not_go_with_aiter_events() -> None:
    with (
        httpx.Client() as client,
        pytest.raises(
            TypeError,
            match=re.escape(
                "client must be an httpx.AsyncClient, not Client "
                "(an httpx.Client goes with iter_events)"
            ),
        ),
    ):
        aiter_events(URL, client=client)  # type: ignore[arg-type]


@pytest.mark.parametrize("function", [iter_events, aiter_events])
def test_a_client_must_be_a_client(function: Callable[..., object]) -> None:
    with pytest.raises(TypeError, match=r"^client must be an httpx\.(Async)?Client, not str$"):
        function(URL, client="http://test.local")


# -- good arguments still go out as meant ---------------------------------------------


@pytest.fixture(params=["sync", "async"])
def twin(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_json_goes_out_compact_and_utf8_with_its_content_type(twin: str) -> None:
    script = Script(reply(b"data: ok\n\n"))
    collect(twin, script, json={"q": "caf\u00e9", "n": [1, 2.5, None]})
    (request,) = script.requests
    assert request.method == "POST"
    assert request.content == '{"q":"caf\u00e9","n":[1,2.5,null]}'.encode()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["content-length"] == str(len(request.content))


def test_the_callers_content_type_wins(twin: str) -> None:
    script = Script(reply(b"data: ok\n\n"))
    collect(twin, script, json={}, headers={"content-type": "application/vnd.api+json"})
    assert script.requests[0].headers.get_list("content-type") == ["application/vnd.api+json"]


def test_a_reconnection_sends_the_body_of_the_call(twin: str) -> None:
    # The caller changes the object while the stream reconnects: the request must not.
    body: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}]}

    def change(attempt: ReconnectAttempt) -> None:
        body["messages"].append({"role": "user", "content": f"again {attempt.attempt}"})
        body["model"] = "other"

    script = Script(fail(httpx.ConnectError("refused")), reply(b"data: ok\n\n"))
    policy = Reconnect(max_attempts=2, initial_delay=0.001, jitter=0.0)
    outcome = collect(twin, script, json=body, reconnect=policy, on_reconnect=change)
    assert outcome.data == ["ok"]
    sent = [request.content for request in script.requests]
    assert sent == [b'{"messages":[{"role":"user","content":"hi"}]}'] * 2


def test_headers_params_and_method_in_every_accepted_form(twin: str) -> None:
    script = Script(reply(b"data: ok\n\n"))
    collect(
        twin,
        script,
        method="post",
        content="x=1",
        headers=[("X-Title", "caf\u00e9".encode()), ("X-Retry", "1")],
        params={"q": "a b", "n": 2, "flag": True, "tag": ["x", "y"]},
        timeout=5,
        idle_timeout=30.5,
    )
    (request,) = script.requests
    assert request.method == "POST"
    assert request.content == b"x=1"
    assert (b"X-Title", b"caf\xc3\xa9") in request.headers.raw
    assert request.headers["x-retry"] == "1"
    assert str(request.url) == "http://test.local/sse?q=a+b&n=2&flag=true&tag=x&tag=y"


def test_a_query_string_and_httpx_objects_are_accepted(twin: str) -> None:
    script = Script(reply(b"data: ok\n\n"))
    collect(
        twin,
        script,
        params="a=1&b=2",
        headers=httpx.Headers({"Authorization": "Bearer sk-fake"}),
    )
    assert script.requests[0].url.query == b"a=1&b=2"
    assert script.requests[0].headers["authorization"] == "Bearer sk-fake"
    pairs = Script(reply(b"data: ok\n\n"))
    collect(twin, pairs, params=[("q", "a"), ("q", "b"), ("n", None)])
    assert pairs.requests[0].url.query == b"q=a&q=b&n="
    assert script.requests[0].headers["authorization"] == "Bearer sk-fake"
