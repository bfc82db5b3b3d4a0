"""The WHATWG event-stream rules, checked at every chunk boundary.

Each case is a body, the events it must dispatch, and the last event id and reconnection
time it must leave behind. Every case is fed whole, split in two at every byte, split in
three at every pair of bytes (short bodies), and one byte at a time: the result must not
depend on how the network cut the body.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import pytest

from sse_widget import Event
from sse_widget._decoder import EventDecoder


class Case(NamedTuple):
    body: bytes
    events: list[tuple[str, str, str, int | None]]  # (event, data, id, retry)
    last_event_id: str = ""
    retry: int | None = None


CASES: dict[str, Case] = {
    "one event": Case(b"data: hello\n\n", [("message", "hello", "", None)]),
    "data lines are joined with LF": Case(b"data: a\ndata: b\n\n", [("message", "a\nb", "", None)]),
    "only one leading space is removed": Case(
        b"data:x\ndata:  y\n\n", [("message", "x\n y", "", None)]
    ),
    "colons after the first belong to the value": Case(
        b"data: a:b: c\n\n", [("message", "a:b: c", "", None)]
    ),
    "CRLF, CR and LF all end lines": Case(
        b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r",
        [
            ("message", "a\nb\nc", "", None),
            ("message", "d", "", None),
        ],
    ),
    "CR CR is two line ends, not one": Case(
        b"data: a\r\rdata: b\r\r",
        [
            ("message", "a", "", None),
            ("message", "b", "", None),
        ],
    ),
    "a leading BOM is stripped": Case(b"\xef\xbb\xbfdata: a\n\n", [("message", "a", "", None)]),
    "only one BOM is stripped": Case(
        b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n",
        [
            ("message", "b", "", None),
        ],
    ),
    "a BOM later in the stream is data": Case(
        b"data: \xef\xbb\xbfa\n\n", [("message", "\ufeffa", "", None)]
    ),
    "a block without data dispatches nothing": Case(b"event: x\nretry: 7\n\n", [], retry=7),
    "a block without data still sets the last event id": Case(
        b"id: 5\n\ndata: a\n\n", [("message", "a", "5", None)], last_event_id="5"
    ),
    "empty data dispatches an empty event": Case(
        b"data:\n\ndata\n\n", [("message", "", "", None), ("message", "", "", None)]
    ),
    "two empty data lines make one LF": Case(b"data\ndata\n\n", [("message", "\n", "", None)]),
    "event names the type, empty means message": Case(
        b"event: ping\ndata: 1\n\nevent:\ndata: 2\n\n",
        [("ping", "1", "", None), ("message", "2", "", None)],
    ),
    "the event type does not leak into the next block": Case(
        b"event: a\ndata: 1\n\ndata: 2\n\n", [("a", "1", "", None), ("message", "2", "", None)]
    ),
    "the event type of a block without data is dropped": Case(
        b"event: a\n\ndata: 2\n\n", [("message", "2", "", None)]
    ),
    "the last event id persists across events": Case(
        b"id: 7\ndata: a\n\ndata: b\n\n",
        [("message", "a", "7", None), ("message", "b", "7", None)],
        last_event_id="7",
    ),
    "an empty id resets it": Case(
        b"id: 7\ndata: a\n\nid\ndata: b\n\n",
        [("message", "a", "7", None), ("message", "b", "", None)],
    ),
    "an id containing NUL is ignored": Case(
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
        [("message", "a", "1", None), ("message", "b", "1", None)],
        last_event_id="1",
    ),
    "an id keeps the space after the first": Case(
        b"id:  x\ndata: a\n\n", [("message", "a", " x", None)], last_event_id=" x"
    ),
    "retry takes ASCII digits only": Case(
        b"retry: 10\nretry:  20\nretry: +30\nretry: -40\nretry: 5_0\nretry: 1.5\n"
        b"retry: \xd9\xa1\xd9\xa2\nretry:\nretry: 9x\ndata: a\n\n",
        [("message", "a", "", 10)],
        retry=10,
    ),
    "retry takes effect in a block that is never dispatched": Case(
        b"data: a\n\nretry: 2500\n", [("message", "a", "", None)], retry=2500
    ),
    "retry belongs to its own block's event only": Case(
        b"retry: 5\ndata: a\n\ndata: b\n\n",
        [("message", "a", "", 5), ("message", "b", "", None)],
        retry=5,
    ),
    "comments and unknown fields are ignored": Case(
        b": hello\n:\nfoo: bar\nData: no\ndata: a\n\n", [("message", "a", "", None)]
    ),
    "a line of spaces is not a blank line": Case(b"data: a\n \n\n", [("message", "a", "", None)]),
    "an incomplete last block is discarded": Case(
        b"data: a\n\ndata: b\n", [("message", "a", "", None)]
    ),
    "an unterminated last line is discarded": Case(
        b"data: a\n\nid: 9", [("message", "a", "", None)]
    ),
    "an id in an undispatched block is not published": Case(b"id: 9\n", []),
    "invalid UTF-8 becomes U+FFFD": Case(
        b"data: \xff\xe2\x82\n\n", [("message", "\ufffd\ufffd", "", None)]
    ),
    "multi-byte characters survive any split": Case(
        "data: caf\u00e9 \u65e5\u672c \U0001f389\n\n".encode(),
        [("message", "caf\u00e9 \u65e5\u672c \U0001f389", "", None)],
    ),
    "an id may be any UTF-8 text": Case(
        "id: \u00e9\u00e8\ndata: a\n\n".encode(),
        [("message", "a", "\u00e9\u00e8", None)],
        last_event_id="\u00e9\u00e8",
    ),
}


def _run(chunks: list[bytes]) -> tuple[list[tuple[str, str, str, int | None]], str, int | None]:
    decoder = EventDecoder()
    events: list[Event] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    summary = [(e.event, e.data, e.id, e.retry) for e in events]
    return summary, decoder.last_event_id, decoder.retry


def _splits(body: bytes) -> list[list[bytes]]:
    ways = [[body], list(map(bytes, zip(body)))]
    ways += [[body[:i], body[i:]] for i in range(len(body) + 1)]
    if len(body) <= 48:
        ways += [
            [body[:i], body[i:j], body[j:]]
            for i, j in itertools.combinations(range(1, len(body)), 2)
        ]
    return ways


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_rules_hold_at_every_chunk_boundary(case: Case) -> None:
    expected = (case.events, case.last_event_id, case.retry)
    for chunks in _splits(case.body):
        assert _run(chunks) == expected, chunks


def test_a_new_decoder_starts_from_the_persisted_id() -> None:
    decoder = EventDecoder(last_event_id="41")
    assert decoder.feed(b"data: a\n\n") == [Event(data="a", id="41")]
    assert decoder.feed(b"id: 42\ndata: b\n\ndata: c\n\n") == [
        Event(data="b", id="42"),
        Event(data="c", id="42"),
    ]


def test_a_chunk_ending_in_cr_dispatches_at_once() -> None:
    # httpx-sse held the CR back until the next chunk, delaying the event by one event.
    decoder = EventDecoder()
    assert decoder.feed(b"data: a\r\r") == [Event(data="a")]
    assert decoder.feed(b"\ndata: b\r\r") == [Event(data="b")]


def test_bom_is_stripped_when_split_across_chunks() -> None:
    decoder = EventDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder.feed(b"\xbb") == []
    assert decoder.feed(b"\xbfdata: a\n\n") == [Event(data="a")]


def test_events_compare_by_value_and_repr_names_the_fields() -> None:
    event = Event(event="delta", data="x", id="3", retry=10)
    assert event == Event(event="delta", data="x", id="3", retry=10)
    assert event != Event(event="delta", data="x", id="4", retry=10)
    assert len({event, Event(event="delta", data="x", id="3", retry=10)}) == 1
    assert repr(event) == "Event(event='delta', data='x', id='3', retry=10)"
    assert Event(data='{"a": [1]}').json() == {"a": [1]}


def test_a_large_event_split_in_many_chunks() -> None:
    payload = "x" * 1_000_000
    body = f"data: {payload}\n\n".encode()
    decoder = EventDecoder()
    events: list[Event] = []
    for start in range(0, len(body), 65536):
        events += decoder.feed(body[start : start + 65536])
    assert [len(e.data) for e in events] == [1_000_000]
