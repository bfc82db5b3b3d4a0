"""The client against the mock server over real loopback sockets.

These prove what a transport mock cannot: that bytes really stream, that leaving the
iteration closes the socket (the server sees the disconnect), that timeouts and
reconnection behave with a real server dropping real connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from sse_widget import (
    ConnectError,
    ConnectionLostError,
    Event,
    HTTPStatusError,
    IdleTimeoutError,
    MockServer,
    Reconnect,
    aiter_events,
    get_extractor,
    iter_events,
)

pytestmark = pytest.mark.anyio

FAST = Reconnect(max_attempts=3, initial_delay=0.01, jitter=0.0)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


async def collect(url: str, **kwargs: object) -> list[Event]:
    return [event async for event in aiter_events(url, **kwargs)]  # type: ignore[arg-type]


def last_request(mock: MockServer, path: str):  # type: ignore[no-untyped-def]
    return [r for r in mock.requests if r.path == path][-1]


async def test_an_openai_answer_streams_token_by_token(mock: MockServer) -> None:
    body = {"model": "mock-gpt", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    extractor = get_extractor("openai")
    tokens = [
        token
        async for event in aiter_events(f"{mock.url}/v1/chat/completions", json=body)
        if (token := extractor.feed(event))
    ]
    async with httpx.AsyncClient() as client:
        reply = await client.post(f"{mock.url}/v1/chat/completions", json={**body, "stream": False})
    whole = reply.json()
    assert len(tokens) > 20
    assert "".join(tokens) == whole["choices"][0]["message"]["content"]
    assert extractor.done


async def test_bom_crlf_and_invalid_utf8_over_a_socket(mock: MockServer) -> None:
    plain = await collect(mock.url_for("/stream", count=5))
    odd = await collect(mock.url_for("/stream", count=5, bom=1, newline="crlf", invalid_utf8=1))
    assert [e.data for e in odd[1:]] == [e.data for e in plain[1:]]
    assert "\ufffd" in odd[0].data
    assert "\ufffd" not in plain[0].data


async def test_a_huge_event_arrives_whole(mock: MockServer) -> None:
    events = await collect(mock.url_for("/stream", count=3, huge=2_000_000))
    assert len(events[0].data) == 2_000_000
    assert len(events) == 4


async def test_breaking_out_closes_the_connection_at_once(mock: MockServer) -> None:
    url = mock.url_for("/stream", count=1000, delay=0.05)
    received = 0
    async for _event in aiter_events(url):
        received += 1
        if received == 3:
            break
    left_at = time.monotonic()
    record = last_request(mock, "/stream")
    # The generator is finalized on the loop: give the loop a turn, as any caller would.
    for _ in range(20):
        await asyncio.sleep(0.005)
        if record.ended.is_set():
            break
    assert record.ended.wait(1)
    assert record.outcome == "disconnected"
    assert record.ended_at - left_at < 0.1
    assert record.events_sent < 10


async def test_aclosing_closes_the_connection_deterministically(mock: MockServer) -> None:
    url = mock.url_for("/stream", count=1000, delay=0.05)
    async with contextlib.aclosing(aiter_events(url)) as events:  # type: ignore[type-var]
        async for _event in events:
            break
    left_at = time.monotonic()
    record = last_request(mock, "/stream")
    assert record.ended.wait(1)
    assert record.ended_at - left_at < 0.1


async def test_cancelling_the_task_closes_the_connection(mock: MockServer) -> None:
    url = mock.url_for("/stream", count=1000, delay=0.05)
    three = asyncio.Event()

    async def consume() -> None:
        count = 0
        async for _event in aiter_events(url):
            count += 1
            if count == 3:
                three.set()

    tasks_before = asyncio.all_tasks()
    task = asyncio.create_task(consume())
    await asyncio.wait_for(three.wait(), 5)
    task.cancel()
    cancelled_at = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    record = last_request(mock, "/stream")
    assert record.ended.wait(1)
    assert record.outcome == "disconnected"
    assert record.ended_at - cancelled_at < 0.1
    assert asyncio.all_tasks() == tasks_before  # nothing left behind


def test_sync_break_closes_the_connection_at_once(mock: MockServer) -> None:
    url = mock.url_for("/stream", count=1000, delay=0.05)
    for received, _event in enumerate(iter_events(url), start=1):
        if received == 3:
            break
    left_at = time.monotonic()
    record = last_request(mock, "/stream")
    assert record.ended.wait(1)
    assert record.outcome == "disconnected"
    assert record.ended_at - left_at < 0.1


async def test_a_callers_client_is_left_open(mock: MockServer) -> None:
    async with httpx.AsyncClient() as client:
        events = [e async for e in aiter_events(mock.url_for("/stream", count=2), client=client)]
        assert len(events) == 2
        assert not client.is_closed
        assert (await client.get(mock.url_for("/stream", count=1))).status_code == 200


@pytest.mark.parametrize("policy", [FAST, Reconnect(mode="eventsource", initial_delay=0.01)])
async def test_resuming_across_forced_drops_loses_and_repeats_nothing(
    mock: MockServer, policy: Reconnect
) -> None:
    url = mock.url_for("/feed", interval=0, limit=60, drop_after=7)
    before = len(mock.requests)
    ids = []
    async for event in aiter_events(url, reconnect=policy):
        ids.append(int(event.id))
        assert event.json()["n"] == int(event.id)
        if len(ids) == 60:
            break
    assert ids == list(range(1, 61))
    requests = mock.requests[before:]
    sent = [r.headers.get("last-event-id") for r in requests[:9]]
    assert sent == [None, "7", "14", "21", "28", "35", "42", "49", "56"]


async def test_a_post_is_never_repeated_after_partial_output(mock: MockServer) -> None:
    url = mock.url_for("/v1/chat/completions", drop_after=5)
    before = len(mock.requests)
    body = {"stream": True, "messages": [{"role": "user", "content": "hi"}]}
    received: list[Event] = []

    async def consume() -> None:
        async for event in aiter_events(url, json=body, reconnect=FAST):
            received.append(event)

    with pytest.raises(ConnectionLostError, match="lost after 5 events"):
        await consume()
    assert len(received) == 5
    assert len(mock.requests) - before == 1


async def test_eventsource_reconnects_after_each_end_of_body(mock: MockServer) -> None:
    url = mock.url_for("/stream", count=2, retry=20)
    before = len(mock.requests)
    start = time.monotonic()
    events = []
    async for event in aiter_events(url, reconnect="eventsource"):
        events.append(event)
        if len(events) == 6:
            break
    assert len(mock.requests) - before == 3
    assert time.monotonic() - start >= 0.04  # two waits of retry: 20 ms
    assert all(r.headers.get("last-event-id") is None for r in mock.requests[before:])


async def test_eventsource_reconnects_after_a_network_error_even_without_ids(
    mock: MockServer,
) -> None:
    # The browser's model: a failed connection is reestablished, ids or not (the "safe"
    # default would stop here rather than repeat the request after partial output).
    url = mock.url_for("/stream", count=4, drop_after=3, retry=10)
    before = len(mock.requests)
    data = []
    async for event in aiter_events(url, reconnect="eventsource"):
        data.append(event.data)
        if len(data) == 6:
            break
    assert len(mock.requests) - before == 2
    assert mock.requests[before].outcome == "dropped"
    assert data[:3] == data[3:]


async def test_a_last_event_id_header_from_the_caller_resumes_from_there(
    mock: MockServer,
) -> None:
    # Regression: the caller's own Last-Event-ID used to be dropped from the request.
    url = mock.url_for("/feed", interval=0, limit=45, drop_after=2)
    before = len(mock.requests)
    ids = [e.id async for e in aiter_events(url, headers={"Last-Event-ID": "41"}, reconnect=FAST)]
    assert ids == ["42", "43", "44", "45"]
    sent = [r.headers.get("last-event-id") for r in mock.requests[before:]]
    assert sent == ["41", "43", "45"]  # the last: cut right after 45, then the end


async def test_eventsource_stops_on_204(mock: MockServer) -> None:
    before = len(mock.requests)
    assert await collect(mock.url_for("/stream", status=204), reconnect="eventsource") == []
    assert len(mock.requests) - before == 1


async def test_idle_timeout_fires_when_nothing_arrives(mock: MockServer) -> None:
    start = time.monotonic()
    with pytest.raises(IdleTimeoutError, match=r"for 0.3 s"):
        await collect(mock.url_for("/stream", first_delay=3), idle_timeout=0.3, reconnect=False)
    assert 0.3 <= time.monotonic() - start < 1.5


async def test_comments_keep_an_idle_stream_alive(mock: MockServer) -> None:
    url = mock.url_for("/stream", count=3, first_delay=1.0, ping=100)
    events = await collect(url, idle_timeout=0.4, reconnect=False)
    assert len(events) == 3


async def test_the_first_token_may_take_longer_than_httpx_default_timeout(
    mock: MockServer,
) -> None:
    # httpx's default read timeout is 5 s; ours must not kill a slow first token. The
    # server waits 6 s: this test is slow on purpose.
    events = await collect(mock.url_for("/stream", count=1, first_delay=6), reconnect=False)
    assert len(events) == 1


async def test_connection_refused_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectError, match="could not connect"):
        await collect(f"http://127.0.0.1:{port}/", reconnect=False)


async def test_the_servers_error_body_is_shown(mock: MockServer) -> None:
    url = mock.url_for("/v1/chat/completions", status=401)
    with pytest.raises(HTTPStatusError, match="Incorrect API key") as info:
        await collect(url, json={"stream": True}, headers={"Authorization": "Bearer sk-fake"})
    assert info.value.status_code == 401
