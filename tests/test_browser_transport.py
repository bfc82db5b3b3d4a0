"""transport="browser" in the kernel: the conversation with the views, without a browser.

A scripted page answers the kernel's messages as the views would (volunteer, then the
response, event batches, the end or a failure); the kernel's ``page_events`` must turn
that into the same events, errors and reconnections as its own transport.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from sse_widget import (
    ConnectError,
    ConnectionLostError,
    ContentTypeError,
    CORSError,
    Event,
    EventTooLargeError,
    HTTPStatusError,
    IdleTimeoutError,
    NoPageError,
    Reconnect,
    RetriesExhaustedError,
    _browser,
)
from sse_widget._browser import PageLink, page_events
from sse_widget._session import StreamSession

pytestmark = pytest.mark.anyio

URL = "http://127.0.0.1:9/v1/chat/completions"
KEY = "sk-fake-browser-0123456789"
FAST = Reconnect(initial_delay=0.01, max_delay=0.02)

Message = dict[str, Any]
#: A reply is a message to send, or a pause in seconds before the next.
Reply = Message | float

OK: Message = {
    "kind": "response",
    "status": 200,
    "headers": [["content-type", "text/event-stream; charset=utf-8"]],
    "url": URL,
}
END: Message = {"kind": "end"}


def batch(*events: list[Any], bytes: int = 100) -> Message:
    return {"kind": "events", "events": [list(e) for e in events], "bytes": bytes}


class Page:
    """The views of one widget, answering each attempt's request with a script."""

    def __init__(self, *attempts: list[Reply], views: tuple[str, ...] = ("v1",)) -> None:
        self.attempts = list(attempts)
        self.views = views
        self.sent: list[Message] = []
        self.link = PageLink(self.send)

    def send(self, message: Message) -> None:
        self.sent.append(message)
        loop = asyncio.get_running_loop()
        if message["kind"] == "call":
            for view in self.views:
                loop.call_soon(self.link.receive, {"kind": "volunteer", "view": view})
        elif message["kind"] == "request":
            number = message["attempt"]
            delay = 0.0
            for reply in self.attempts[number - 1] if number <= len(self.attempts) else []:
                if isinstance(reply, float):
                    delay += reply
                    continue
                full = {"view": message["view"], "attempt": number, **reply}
                loop.call_later(delay, self.link.receive, full)

    def kinds(self) -> list[str]:
        return [m["kind"] for m in self.sent]

    def requests(self) -> list[Message]:
        return [m for m in self.sent if m["kind"] == "request"]


def session(**overrides: Any) -> StreamSession:
    options: dict[str, Any] = {
        "method": None,
        "headers": {"Authorization": f"Bearer {KEY}"},
        "params": None,
        "json": {"model": "mock-gpt", "stream": True},
        "content": None,
        "timeout": 2.0,
        "idle_timeout": 30.0,
        "reconnect": FAST,
        "on_open": None,
        "on_reconnect": None,
    }
    options.update(overrides)
    return StreamSession(URL, **options)


async def run(stream: StreamSession, page: Page) -> tuple[list[Event], BaseException | None]:
    events: list[Event] = []
    try:
        async with asyncio.timeout(20):
            async for event in page_events(stream, page.link):
                events.append(event)
    except Exception as exc:
        return events, exc
    return events, None


async def test_events_arrive_in_order_with_ids_and_retry_as_the_spec_says() -> None:
    page = Page(
        [
            OK,
            batch(["", "one", "1", None, 5], ["ping", "two", "", 2000, 6]),
            batch(["", "", "7", None, 7], ["", "three", "", None, 8]),  # a block without data
            END,
        ]
    )
    events, error = await run(session(), page)
    assert error is None
    assert events == [
        Event(data="one", id="1"),
        Event(event="ping", data="two", id="1", retry=2000),  # the id persists
        Event(data="three", id="7"),  # the data-less block moved the id, dispatched nothing
    ]
    assert page.kinds() == ["call", "request", "abort"]


async def test_the_request_carries_the_body_and_headers_once_and_lower_case() -> None:
    page = Page([OK, END])
    await run(session(), page)
    [request] = page.requests()
    assert request["view"] == "v1"
    assert request["method"] == "POST"
    assert request["url"] == URL
    assert json.loads(request["body"]) == {"model": "mock-gpt", "stream": True}
    assert request["base64"] is False
    headers = dict(request["headers"])
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "text/event-stream"
    # fetch is told cache: "no-store" instead: this header needs a preflight the usual
    # local servers do not allow.
    assert "cache-control" not in headers
    assert all(name == name.lower() for name in headers)
    others = [m for m in page.sent if m["kind"] != "request"]
    assert KEY not in json.dumps(others)


async def test_a_binary_body_goes_in_base64() -> None:
    page = Page([OK, END])
    await run(session(json=None, content=b"\xff\x00raw"), page)
    [request] = page.requests()
    assert request["base64"] is True
    assert request["body"] == "/wByYXc="


async def test_an_http_error_carries_the_servers_words() -> None:
    body = '{"error": {"message": "Incorrect API key provided: sk-fake"}}'
    page = Page(
        [
            {
                "kind": "response",
                "status": 401,
                "headers": [["content-type", "application/json"]],
                "url": URL,
                "body": body,
            }
        ]
    )
    events, error = await run(session(), page)
    assert events == []
    assert isinstance(error, HTTPStatusError)
    assert error.status_code == 401
    assert "Incorrect API key provided" in str(error)
    assert "401 Unauthorized" in str(error)
    assert len(page.requests()) == 1  # 401 is not retried


async def test_a_wrong_content_type_is_a_content_type_error() -> None:
    page = Page(
        [
            {
                "kind": "response",
                "status": 200,
                "headers": [["content-type", "text/html"]],
                "url": URL,
                "body": "<html>",
            }
        ]
    )
    _events, error = await run(session(), page)
    assert isinstance(error, ContentTypeError)
    assert error.content_type == "text/html"


async def test_overload_is_retried_honouring_retry_after_then_streams() -> None:
    busy: Message = {
        "kind": "response",
        "status": 429,
        "headers": [["retry-after", "0"], ["content-type", "application/json"]],
        "url": URL,
        "body": "slow down",
    }
    page = Page([busy], [OK, batch(["", "hi", "", None, 1]), END])
    events, error = await run(session(), page)
    assert error is None
    assert [e.data for e in events] == ["hi"]
    assert [m["attempt"] for m in page.requests()] == [1, 2]


async def test_cors_is_its_own_error_with_what_the_server_must_allow() -> None:
    page = Page(
        [
            {
                "kind": "fail",
                "error": "cors",
                "origin": "http://127.0.0.1:8888",
                "message": "Failed to fetch",
            }
        ]
    )
    _events, error = await run(session(), page)
    assert isinstance(error, CORSError)
    message = str(error)
    assert "Access-Control-Allow-Origin: http://127.0.0.1:8888" in message
    assert "Access-Control-Allow-Methods: POST" in message
    assert "Access-Control-Allow-Headers: authorization, content-type" in message
    assert "OLLAMA_ORIGINS=http://127.0.0.1:8888" in message
    assert "transport='kernel'" in message
    assert KEY not in message
    assert len(page.requests()) == 1  # never retried


async def test_a_network_failure_is_retried_while_nothing_arrived_then_exhausted() -> None:
    refused: Message = {"kind": "fail", "error": "network", "message": "Failed to fetch"}
    page = Page([refused], [refused], [refused])
    _events, error = await run(session(), page)
    assert isinstance(error, RetriesExhaustedError)
    assert isinstance(error.last_error, ConnectError)
    assert [m["attempt"] for m in page.requests()] == [1, 2, 3]
    # Each attempt asked the views again.
    assert page.kinds().count("call") == 3


async def test_safe_never_repeats_the_request_after_partial_output() -> None:
    page = Page(
        [OK, batch(["", "half", "", None, 1]), {"kind": "fail", "error": "lost", "message": "x"}]
    )
    events, error = await run(session(), page)
    assert [e.data for e in events] == ["half"]
    assert isinstance(error, ConnectionLostError)
    assert len(page.requests()) == 1


async def test_with_ids_a_lost_stream_resumes_with_last_event_id() -> None:
    lost: Message = {"kind": "fail", "error": "lost", "message": "network changed"}
    page = Page(
        [OK, batch(["", "a", "41", None, 1]), lost],
        [OK, batch(["", "b", "42", None, 2]), END],
    )
    events, error = await run(session(), page)
    assert error is None
    assert [e.data for e in events] == ["a", "b"]
    first, second = page.requests()
    assert "last-event-id" not in dict(first["headers"])
    assert dict(second["headers"])["last-event-id"] == "41"


async def test_eventsource_reconnects_after_every_end_through_any_open_view() -> None:
    page = Page(
        [OK, batch(["", "a", "1", 10, 1]), END],
        [OK, batch(["", "b", "2", None, 2]), END],
        [{"kind": "response", "status": 204, "headers": [], "url": URL}],
        views=("v1", "v2"),
    )
    events, error = await run(session(reconnect="eventsource"), page)
    assert error is None
    assert [e.data for e in events] == ["a", "b"]
    requests = page.requests()
    assert [dict(r["headers"]).get("last-event-id") for r in requests] == [None, "1", "2"]
    assert {r["view"] for r in requests} == {"v1"}  # the first volunteer each time


async def test_only_the_view_asked_is_listened_to() -> None:
    page = Page([OK, 0.05, batch(["", "mine", "", None, 1]), 0.05, END], views=("v1", "v2"))

    def intrude() -> None:
        # Another view, and a late message of an attempt that is over: both ignored.
        page.link.receive({"kind": "events", "view": "v2", "attempt": 1, "events": [["", "x"]]})
        page.link.receive({"kind": "events", "view": "v1", "attempt": 0, "events": [["", "y"]]})

    asyncio.get_running_loop().call_later(0.02, intrude)
    events, error = await run(session(), page)
    assert error is None
    assert [e.data for e in events] == ["mine"]
    assert len(page.requests()) == 1


async def test_no_page_is_a_clear_error_after_the_timeout() -> None:
    page = Page(views=())
    started = asyncio.get_running_loop().time()
    _events, error = await run(session(timeout=0.3), page)
    assert isinstance(error, NoPageError)
    assert isinstance(error, ConnectError)
    assert 'transport="kernel"' in str(error)
    assert "0.3 s" in str(error)
    assert asyncio.get_running_loop().time() - started < 5


async def test_an_event_over_max_event_bytes_ends_the_stream_after_the_ones_before() -> None:
    page = Page([OK, batch(["", "small", "", None, 1], ["", "x" * 2000, "", None, 2])])
    events, error = await run(session(max_event_bytes=1000), page)
    assert [e.data for e in events] == ["small"]
    assert isinstance(error, EventTooLargeError)
    assert page.kinds()[-1] == "abort"
    assert len(page.requests()) == 1


async def test_a_page_that_goes_silent_has_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_browser, "SILENCE", 0.2)
    page = Page([OK, batch(["", "a", "", None, 1])])  # then nothing: the page was closed
    events, error = await run(session(), page)
    assert [e.data for e in events] == ["a"]
    assert isinstance(error, ConnectionLostError)
    assert "went away" in str(error)


async def test_a_view_that_says_it_goes_ends_the_attempt() -> None:
    page = Page([OK, batch(["", "a", "", None, 1]), {"kind": "gone"}])
    events, error = await run(session(), page)
    assert [e.data for e in events] == ["a"]
    assert isinstance(error, ConnectionLostError)


async def test_idle_timeout_counts_bytes_not_messages() -> None:
    alive: Message = {"kind": "alive", "bytes": 100}
    page = Page([OK, batch(["", "a", "", None, 1], bytes=100), *[0.1, alive] * 20])
    events, error = await run(session(idle_timeout=0.5), page)
    assert [e.data for e in events] == ["a"]
    assert isinstance(error, IdleTimeoutError)


async def test_comments_keep_an_idle_stream_alive() -> None:
    # Heartbeats whose byte count grows (comments arriving): not idle.
    replies: list[Reply] = [OK]
    for n in range(1, 9):
        replies += [0.1, {"kind": "alive", "bytes": 10 * n}]
    replies += [batch(["", "late", "", None, 1], bytes=200), END]
    events, error = await run(session(idle_timeout=0.5), Page(replies))
    assert error is None
    assert [e.data for e in events] == ["late"]


async def test_stopping_aborts_the_pages_request() -> None:
    page = Page([OK, batch(["", "a", "", None, 1])])
    stream = page_events(session(), page.link)
    first = await anext(stream)
    assert first.data == "a"
    task = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert page.kinds()[-1] == "abort"
    assert page.sent[-1] == {"kind": "abort", "attempt": 1, "view": "v1"}
