"""``max_event_bytes``: no line and no event may be larger, however the body is cut.

The decoder is checked alone (exact bounds, every chunk split, memory), then both twins
through a scripted transport (order, error, no retry), then a real socket that sends a
line without end.
"""

from __future__ import annotations

import asyncio
import codecs
import inspect
import re
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from loopback import endless_line, serve
from scripted import Script, collect, reply
from test_decoder import CASES, Case, _splits

import sse_widget
from sse_widget import (
    Event,
    EventTooLargeError,
    Reconnect,
    StreamError,
    aiter_events,
    iter_events,
)
from sse_widget._decoder import EventDecoder
from sse_widget._session import DEFAULT_MAX_EVENT_BYTES, StreamSession

MiB = 1024 * 1024


@pytest.fixture(params=["sync", "async"])
def twin(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def feed_all(decoder: EventDecoder, chunks: list[bytes]) -> list[Event]:
    events: list[Event] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events


# -- the decoder ----------------------------------------------------------------------


def test_the_default_is_16_mib_everywhere() -> None:
    assert 16 * MiB == DEFAULT_MAX_EVENT_BYTES
    for function in (aiter_events, iter_events, StreamSession):
        parameter = inspect.signature(function).parameters["max_event_bytes"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default == 16 * MiB


@pytest.mark.parametrize(
    ("body", "limit", "exceeded", "data"),
    [
        # A line is counted without its end of line.
        (b"data: 1234\n\n", 10, "", ["1234"]),
        (b"data: 12345\n\n", 10, "line", []),
        (b"data: 1234\r\n\r\n", 10, "", ["1234"]),
        # An event is its data lines joined by LF.
        (b"data: 1234\ndata: 12345\n\n", 12, "", ["1234\n12345"]),
        (b"data: 123456\ndata: 123456\n\n", 12, "event", []),
        # UTF-8 bytes, not characters: "é" is two.
        ("data: \u00e9\u00e9\n\n".encode(), 10, "", ["\u00e9\u00e9"]),
        ("data: \u00e9\u00e9\u00e9\n\n".encode(), 10, "line", []),
        # Comments and other fields are lines too; the unterminated one as it grows.
        (b": 12345678\n\ndata: a\n\n", 10, "", ["a"]),
        (b": 123456789\n\ndata: a\n\n", 10, "line", []),
        (b"data: a\n\nid: 12345678", 10, "line", ["a"]),
        # Events completed before the overflow come first; nothing after it.
        (b"data: a\n\ndata: b\n\ndata: 0123456789\n\ndata: c\n\n", 10, "line", ["a", "b"]),
        (b"data: a\n\ndata: 0123\ndata: 45678\ndata: 90\n\ndata: c\n\n", 12, "event", ["a"]),
    ],
)
def test_limits_are_exact_at_every_chunk_boundary(
    body: bytes, limit: int, exceeded: str, data: list[str]
) -> None:
    for chunks in _splits(body):
        decoder = EventDecoder(max_event_bytes=limit)
        events = feed_all(decoder, chunks)
        assert ([e.data for e in events], decoder.exceeded) == (data, exceeded), chunks
        if exceeded:
            assert decoder.feed(b"data: more\n\n") == []


def _largest(case: Case) -> int:
    """The largest line or event data of a case, in UTF-8 bytes of the decoded text."""
    text = codecs.decode(case.body, "utf-8", "replace").removeprefix("\ufeff")
    lines = [len(line.encode()) for line in re.split(r"\r\n|\r|\n", text)]
    events = [len(data.encode()) for _, data, _, _ in case.events]
    return max(lines + events)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_limit_that_fits_changes_nothing(case: Case) -> None:
    # The body is longer than the limit, so the exact measuring path is taken too.
    limit = _largest(case)
    if b"\xff" not in case.body:  # invalid bytes measure more than they weigh
        assert len(case.body) > limit
    for chunks in _splits(case.body):
        decoder = EventDecoder(max_event_bytes=limit)
        events = feed_all(decoder, chunks)
        summary = [(e.event, e.data, e.id, e.retry) for e in events]
        assert (summary, decoder.exceeded) == (case.events, ""), chunks


@pytest.mark.parametrize(
    "case",
    [case for case in CASES.values() if b"\xff" not in case.body],
    ids=[name for name, case in CASES.items() if b"\xff" not in case.body],
)
def test_one_byte_less_is_too_large(case: Case) -> None:
    limit = _largest(case) - 1
    if limit < 1:
        pytest.skip("nothing to cut")
    for chunks in _splits(case.body):
        decoder = EventDecoder(max_event_bytes=limit)
        events = feed_all(decoder, chunks)
        summary = [(e.event, e.data, e.id, e.retry) for e in events]
        assert decoder.exceeded in ("line", "event"), chunks
        assert summary == case.events[: len(summary)], chunks


def test_none_is_no_limit() -> None:
    decoder = EventDecoder(max_event_bytes=None)
    body = b"data: " + b"x" * (20 * MiB) + b"\n\n"
    events = feed_all(decoder, [body[i : i + 65536] for i in range(0, len(body), 65536)])
    assert [len(e.data) for e in events] == [20 * MiB]
    assert decoder.exceeded == ""


def test_a_body_without_line_feed_fails_after_the_limit_in_bounded_memory() -> None:
    block = b"x" * 65536
    fed = 0
    decoder = EventDecoder(max_event_bytes=16 * MiB)
    tracemalloc.start()
    try:
        decoder.feed(b"data: ")
        while fed < 1 << 30 and not decoder.exceeded:  # a 1 GB body, fed as it comes
            assert decoder.feed(block) == []
            fed += len(block)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decoder.exceeded == "line"
    assert 16 * MiB - 6 < fed <= 16 * MiB + len(block)
    assert peak < 2 * 16 * MiB


def test_events_near_the_limit_stay_linear() -> None:
    # Events of 0.9 MiB of data in 118,000 lines each with a 1 MiB limit, in 4 KB chunks:
    # the exact measuring path runs for half of each event. Measuring all that is held
    # again for every chunk would take ~10^10 steps here instead of ~10^6.
    event = b"data: 1234567\n" * 117_964 + b"\n"
    decoder = EventDecoder(max_event_bytes=MiB)
    start = time.monotonic()
    count = 0
    for _ in range(5):
        for offset in range(0, len(event), 4096):
            count += len(decoder.feed(event[offset : offset + 4096]))
    assert count == 5
    assert decoder.exceeded == ""
    assert time.monotonic() - start < 10


# -- both twins -----------------------------------------------------------------------


def test_earlier_events_come_first_then_the_error(twin: str) -> None:
    body = b"id: 1\ndata: a\n\nid: 2\ndata: b\n\ndata: " + b"z" * 2000 + b"\n\ndata: c\n\n"
    script = Script(reply(body), reply(b"data: again\n\n"))
    outcome = collect(
        twin,
        script,
        url="http://test.local/sse?api_key=sk-secret",
        max_event_bytes=1024,
        reconnect=Reconnect(max_attempts=3, initial_delay=0.001),
    )
    assert outcome.data == ["a", "b"]
    error = outcome.error
    assert isinstance(error, EventTooLargeError)
    assert error.limit == 1024
    assert str(error) == (
        "a line from http://test.local/sse?api_key=*** is longer than the 1 KiB limit "
        "(max_event_bytes=1024)"
    )
    assert len(script.requests) == 1  # resumable by id, but never retried


@pytest.mark.parametrize("policy", [True, "eventsource", Reconnect(max_attempts=5)])
def test_an_event_too_large_is_never_retried(twin: str, policy: object) -> None:
    lines = b"".join(b"data: %s\n" % (b"w" * 100) for _ in range(20))
    script = Script(reply(lines + b"\n"), reply(b"data: again\n\n"))
    outcome = collect(twin, script, max_event_bytes=1000, reconnect=policy)
    assert isinstance(outcome.error, EventTooLargeError)
    assert str(outcome.error).startswith("an event from http://test.local/sse is larger than")
    assert "1000 bytes limit (max_event_bytes=1000)" in str(outcome.error)
    assert len(script.requests) == 1


def test_the_default_limit_applies(twin: str) -> None:
    fits = b"data: " + b"x" * (16 * MiB - 6) + b"\n\n"
    too_long = b"data: " + b"x" * (16 * MiB - 5) + b"\n\n"
    outcome = collect(twin, Script(reply(fits, too_long)))
    assert [len(data) for data in outcome.data] == [16 * MiB - 6]
    assert isinstance(outcome.error, EventTooLargeError)
    assert "the 16 MiB limit (max_event_bytes=16777216)" in str(outcome.error)


def test_none_lets_any_size_through(twin: str) -> None:
    body = b"data: " + b"x" * (17 * MiB) + b"\n\n"
    outcome = collect(twin, Script(reply(body)), max_event_bytes=None)
    assert outcome.error is None
    assert [len(data) for data in outcome.data] == [17 * MiB]


def test_on_error_is_told(twin: str) -> None:
    seen: list[StreamError] = []
    script = Script(reply(b"data: " + b"x" * 100 + b"\n\n"))
    outcome = collect(twin, script, max_event_bytes=50, on_error=seen.append)
    assert [type(e) for e in seen] == [EventTooLargeError]
    assert outcome.error is seen[0]


# -- a real socket --------------------------------------------------------------------


def _read_endless(twin: str, url: str) -> tuple[StreamError | None, int]:
    """Read the endless line with default settings; the error and the peak memory."""
    error: StreamError | None = None
    tracemalloc.start()
    try:
        if twin == "sync":
            try:
                for _ in iter_events(url):
                    pass
            except StreamError as exc:
                error = exc
        else:

            async def read() -> None:
                async for _ in aiter_events(url):
                    pass

            try:
                asyncio.run(read())
            except StreamError as exc:
                error = exc
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return error, peak


def test_a_server_that_never_ends_a_line_is_cut_at_the_limit(twin: str) -> None:
    with serve(endless_line(total=1 << 30)) as server:
        start = time.monotonic()
        error, peak = _read_endless(twin, f"{server.url}/sse")
        elapsed = time.monotonic() - start
        assert isinstance(error, EventTooLargeError)
        assert "16 MiB limit" in str(error)
        (connection,) = server.connections
        assert connection.closed.wait(2)  # the client hung up
        # What the server wrote: the limit, plus what the socket buffers held.
        assert 16 * MiB <= connection.bytes_sent < 16 * MiB + 12 * MiB
    assert elapsed < 20
    assert peak < 3 * 16 * MiB


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, "max_event_bytes must be a positive int or None, not 0"),
        (-1, ValueError, "max_event_bytes must be a positive int or None, not -1"),
        (1.5, TypeError, "max_event_bytes must be a positive int or None, not float"),
        ("1024", TypeError, "max_event_bytes must be a positive int or None, not str"),
        (True, TypeError, "max_event_bytes must be a positive int or None, not bool"),
    ],
)
@pytest.mark.parametrize("function", [sse_widget.iter_events, sse_widget.aiter_events])
def test_a_bad_limit_fails_at_the_call(
    function: object, value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        function("http://test.local/", max_event_bytes=value)  # type: ignore[operator]


def _chunks(body: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_limit_passed_in_a_later_chunk_keeps_the_events_of_that_chunk() -> None:
    # The chunk that completes "b" also carries the start of the oversized line.
    body = b"data: a\n\n" + b"data: b\n\ndata: " + b"q" * 40
    decoder = EventDecoder(max_event_bytes=30)
    received = [e.data for chunk in _chunks(body, 16) for e in decoder.feed(chunk)]
    assert received == ["a", "b"]
    assert decoder.exceeded == "line"
