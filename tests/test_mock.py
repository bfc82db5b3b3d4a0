"""The mock server, over real loopback HTTP with plain httpx.

Every wait is bounded: httpx has a timeout, threads are joined with one, and loops have a
fixed number of rounds.
"""

from __future__ import annotations

import hashlib
import json
import select
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

from sse_widget.mock import MockServer, RecordedRequest
from sse_widget.mock._faults import encode_event
from sse_widget.mock._streams import PARAGRAPH, split_tokens

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MESSAGES = "/v1/messages"
PROMPT = "How do Server-Sent Events work?"
CHAT_BODY: dict[str, Any] = {
    "model": "gpt-test",
    "stream": True,
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": PROMPT},
    ],
}
RESPONSES_BODY: dict[str, Any] = {"model": "gpt-test", "stream": True, "input": PROMPT}
MESSAGES_BODY: dict[str, Any] = {
    "model": "claude-test",
    "max_tokens": 100,
    "stream": True,
    "messages": [{"role": "user", "content": PROMPT}],
}


def parse(body: bytes) -> list[dict[str, str]]:
    """Blocks of an event stream as {field: value}; data lines joined with LF, comments
    under the empty name. Enough for the mock's own output, not a WHATWG parser."""
    text = body.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    blocks = []
    for block in text.split("\n\n"):
        if not block:
            continue
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[name] = f"{fields[name]}\n{value}" if name in fields else value
        blocks.append(fields)
    return blocks


def events(body: bytes) -> list[dict[str, str]]:
    """The blocks that carry data (what a client dispatches)."""
    return [block for block in parse(body) if "data" in block]


def read(
    client: httpx.Client, url: str, *, json_body: Any = None, headers: dict[str, str] | None = None
) -> tuple[httpx.Response, bytes, Exception | None]:
    """Stream a response's raw body; the error that broke it, if any."""
    method = "GET" if json_body is None else "POST"
    received = bytearray()
    with client.stream(method, url, json=json_body, headers=headers) as response:
        try:
            for chunk in response.iter_raw():
                received += chunk
        except httpx.RemoteProtocolError as exc:
            return response, bytes(received), exc
    return response, bytes(received), None


def last_request(mock: MockServer) -> RecordedRequest:
    record = mock.requests[-1]
    assert record.ended.wait(5)
    return record


# --- the wire format -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"data": "hi"}, b"data: hi\n\n"),
        ({"data": ""}, b"data: \n\n"),
        ({"data": "a\nb\r\nc\rd"}, b"data: a\ndata: b\ndata: c\ndata: d\n\n"),
        ({"data": "x", "event": "e", "id": "7"}, b"event: e\nid: 7\ndata: x\n\n"),
        ({"retry": 2500}, b"retry: 2500\n\n"),
        ({"comment": "ping", "newline": "\r\n"}, b": ping\r\n\r\n"),
        ({"data": "a\nb", "newline": "\r"}, b"data: a\rdata: b\r\r"),
        ({"data": "caf\u00e9\udcff"}, b"data: caf\xc3\xa9\xff\n\n"),
    ],
)
def test_encode_event(kwargs: dict[str, Any], expected: bytes) -> None:
    assert encode_event(**kwargs) == expected


def test_tokens_join_back_to_the_text() -> None:
    text = "  Hello,  world\n\n- item\n```\ncode\n```\n "
    assert "".join(split_tokens(text)) == text
    assert split_tokens("a bc") == ["a", " bc"]


def test_exact_bytes_of_a_small_stream(mock: MockServer, client: httpx.Client) -> None:
    response = client.get(mock.url_for("/stream", text="Hello big\nworld"))
    assert response.status_code == 200
    assert response.content == b"data: Hello\n\ndata:  big\n\ndata: \ndata: world\n\n"
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["transfer-encoding"] == "chunked"
    assert "date" not in response.headers  # the same request gives the same bytes


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/stream", None),
        (CHAT, CHAT_BODY),
        (CHAT, {**CHAT_BODY, "stream": False}),
        (RESPONSES, RESPONSES_BODY),
        (MESSAGES, MESSAGES_BODY),
    ],
)
def test_the_same_request_gives_the_same_bytes(
    mock: MockServer, client: httpx.Client, path: str, body: Any
) -> None:
    first = read(client, mock.url + path, json_body=body)[1]
    second = read(client, mock.url + path, json_body=body)[1]
    assert first == second
    assert len(first) > 500


# --- endpoints -------------------------------------------------------------------------


def test_chat_completions_stream(mock: MockServer, client: httpx.Client) -> None:
    body = {**CHAT_BODY, "stream_options": {"include_usage": True}}
    blocks = events(read(client, mock.url + CHAT, json_body=body)[1])
    assert all(set(block) == {"data"} for block in blocks)  # no event: lines
    assert blocks[-1]["data"] == "[DONE]"
    chunks = [json.loads(block["data"]) for block in blocks[:-1]]
    digest = hashlib.sha256(last_request(mock).body).hexdigest()[:12]  # ids from the body
    first = chunks[0]
    assert first == {
        "id": f"chatcmpl-mock-{digest}",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-test",
        "service_tier": "default",
        "system_fingerprint": "fp_mock",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": "", "refusal": None},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
        "usage": None,
    }
    tokens = [chunk["choices"][0]["delta"]["content"] for chunk in chunks[1:-2]]
    text = "".join(tokens)
    assert text.startswith("# ")
    assert "\n## " in text
    assert PROMPT in text
    assert "\n- " in text
    assert "```python\n" in text
    assert 80 <= len(tokens) <= 150
    assert chunks[-2]["choices"] == [
        {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    ]
    assert all(chunk["usage"] is None for chunk in chunks[:-1])
    prompt_words = 2 + len(PROMPT.split())  # every message counts: "Be brief." too
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": prompt_words,
        "completion_tokens": len(tokens),
        "total_tokens": prompt_words + len(tokens),
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    response = client.post(mock.url + CHAT, json={**CHAT_BODY, "stream": False}).json()
    assert response["object"] == "chat.completion"
    assert response["choices"][0]["message"]["content"] == text
    assert response["usage"]["completion_tokens"] == len(tokens)


def test_chat_without_usage_has_no_usage_chunk(mock: MockServer, client: httpx.Client) -> None:
    blocks = events(read(client, mock.url + CHAT, json_body=CHAT_BODY)[1])
    chunks = [json.loads(block["data"]) for block in blocks[:-1]]
    assert all("usage" not in chunk for chunk in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_responses_stream(mock: MockServer, client: httpx.Client) -> None:
    blocks = events(read(client, mock.url + RESPONSES, json_body=RESPONSES_BODY)[1])
    payloads = [json.loads(block["data"]) for block in blocks]
    assert [block["event"] for block in blocks] == [payload["type"] for payload in payloads]
    assert [payload["sequence_number"] for payload in payloads] == list(range(len(blocks)))
    kinds = [payload["type"] for payload in payloads]
    deltas = kinds.count("response.output_text.delta")
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * deltas,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    text = "".join(p["delta"] for p in payloads if p["type"] == "response.output_text.delta")
    assert payloads[-4]["text"] == text
    completed = payloads[-1]["response"]
    assert completed["status"] == "completed"
    assert completed["output"][0]["content"][0]["text"] == text
    words = len(PROMPT.split())
    assert completed["usage"] == {
        "input_tokens": words,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": deltas,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": words + deltas,
    }
    document = client.post(mock.url + RESPONSES, json={**RESPONSES_BODY, "stream": False}).json()
    assert document["output"][0]["content"] == completed["output"][0]["content"]
    assert document["usage"] == completed["usage"]


def test_messages_stream(mock: MockServer, client: httpx.Client) -> None:
    blocks = events(read(client, mock.url_for(MESSAGES, reply="echo"), json_body=MESSAGES_BODY)[1])
    payloads = [json.loads(block["data"]) for block in blocks]
    assert [block["event"] for block in blocks] == [payload["type"] for payload in payloads]
    start = payloads[0]["message"]
    assert start["model"] == "claude-test"
    assert start["usage"] == {
        "input_tokens": len(PROMPT.split()),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 1,
        "service_tier": "standard",
    }
    assert start["content"] == []
    assert payloads[1] == {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    assert payloads[2] == {"type": "ping"}
    deltas = [p["delta"]["text"] for p in payloads if p["type"] == "content_block_delta"]
    assert "".join(deltas) == PROMPT  # reply=echo
    assert [p["type"] for p in payloads[-3:]] == [
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert payloads[-2] == {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": len(deltas)},
    }


def test_messages_pings_every_20_deltas(mock: MockServer, client: httpx.Client) -> None:
    url = mock.url_for(MESSAGES, text=" ".join(["w"] * 45))
    kinds = [block["event"] for block in events(read(client, url, json_body=MESSAGES_BODY)[1])]
    body = kinds[3:-3]
    expected = (["content_block_delta"] * 20 + ["ping"]) * 2 + ["content_block_delta"] * 5
    assert body == expected


def test_messages_without_stream_is_a_message(mock: MockServer, client: httpx.Client) -> None:
    body = {**MESSAGES_BODY, "stream": False}
    message = client.post(mock.url_for(MESSAGES, text="Hi there"), json=body).json()
    assert message["content"] == [{"type": "text", "text": "Hi there"}]
    assert message["stop_reason"] == "end_turn"
    assert message["usage"]["input_tokens"] == len(PROMPT.split())
    assert message["usage"]["output_tokens"] == 2
    assert message["id"].startswith("msg_mock_")


def test_stream_paragraph_count_and_event(mock: MockServer, client: httpx.Client) -> None:
    blocks = events(client.get(mock.url + "/stream").content)
    assert "".join(block["data"] for block in blocks) == PARAGRAPH
    blocks = events(client.post(mock.url_for("/stream", text="a b c", count=7, event="t")).content)
    assert [block["data"] for block in blocks] == ["a", " b", " c", "a", " b", " c", "a"]
    assert {block["event"] for block in blocks} == {"t"}


def test_count_makes_a_provider_answer_of_exactly_n_tokens(
    mock: MockServer, client: httpx.Client
) -> None:
    url = mock.url_for(MESSAGES, text="one two three", count=7)
    blocks = events(read(client, url, json_body=MESSAGES_BODY)[1])
    deltas = [
        json.loads(b["data"])["delta"]["text"]
        for b in blocks
        if b.get("event") == "content_block_delta"
    ]
    assert deltas == ["one", " two", " three", "one", " two", " three", "one"]
    usage = [json.loads(b["data"])["usage"] for b in blocks if b.get("event") == "message_delta"]
    assert usage == [{"output_tokens": 7}]


def test_a_hundred_thousand_events_are_fast(mock: MockServer, client: httpx.Client) -> None:
    started = time.monotonic()
    body = client.get(mock.url_for("/stream", count=100_000)).content
    elapsed = time.monotonic() - started
    assert body.count(b"\n\n") == 100_000
    assert elapsed < 2.0
    assert last_request(mock).events_sent == 100_000


def test_feed_ticks_resumes_and_ends_at_limit(mock: MockServer, client: httpx.Client) -> None:
    blocks = events(client.get(mock.url_for("/feed", interval=0.01, limit=3)).content)
    assert blocks == [
        {"id": "1", "data": '{"n":1,"tick":"tick 1"}'},
        {"id": "2", "data": '{"n":2,"tick":"tick 2"}'},
        {"id": "3", "data": '{"n":3,"tick":"tick 3"}'},
    ]
    resumed = client.get(
        mock.url_for("/feed", delay=0.01, limit=43), headers={"Last-Event-ID": "41"}
    )
    assert [block["id"] for block in events(resumed.content)] == ["42", "43"]
    assert last_request(mock).outcome == "complete"


def test_feed_paces_its_events(mock: MockServer, client: httpx.Client) -> None:
    started = time.monotonic()
    client.get(mock.url_for("/feed", interval=0.1, limit=3))
    assert time.monotonic() - started >= 0.2  # three events, two intervals


def test_help_and_errors(mock: MockServer, client: httpx.Client) -> None:
    help_page = client.get(mock.url + "/")
    assert help_page.headers["content-type"].startswith("text/plain")
    for word in ("/v1/chat/completions", "/feed", "drop_after", "invalid_utf8"):
        assert word in help_page.text
    missing = client.get(mock.url + "/nowhere")
    assert missing.status_code == 404
    assert "error" in missing.json()
    assert client.get(mock.url + CHAT).status_code == 405
    bad = client.get(mock.url + "/stream?delay=soon")
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "delay"
    assert client.get(mock.url + "/stream?no_such_knob=1").status_code == 400
    assert client.get(mock.url + "/feed?interval=1&delay=2").status_code == 400  # aliases
    assert client.delete(mock.url + "/feed").status_code == 405
    assert mock.requests[-1].method == "DELETE"  # every request is recorded
    assert last_request(mock).outcome == "status"


# --- knobs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "drop_after"),
    [("/stream", None, 3), ("/feed?interval=0", None, 4), (CHAT, CHAT_BODY, 5)],
)
def test_drop_after_breaks_the_body_after_n_events(
    mock: MockServer, client: httpx.Client, path: str, body: Any, drop_after: int
) -> None:
    separator = "&" if "?" in path else "?"
    url = f"{mock.url}{path}{separator}drop_after={drop_after}"
    _, received, error = read(client, url, json_body=body)
    assert isinstance(error, httpx.RemoteProtocolError)
    assert len(events(received)) == drop_after
    record = last_request(mock)
    assert record.outcome == "dropped"
    assert record.events_sent == drop_after


def test_drop_after_with_a_delay(mock: MockServer, client: httpx.Client) -> None:
    _, received, error = read(client, mock.url_for("/stream", delay=0.01, drop_after=2))
    assert isinstance(error, httpx.RemoteProtocolError)
    assert [block["data"] for block in events(received)] == ["Server-Sent", " Events"]


@pytest.mark.parametrize(
    ("path", "body", "tokens_in"),
    [("/stream", None, 0), ("/feed?interval=0", None, 0), (CHAT, CHAT_BODY, 1)],
)
def test_error_after_plain_and_chat(
    mock: MockServer, client: httpx.Client, path: str, body: Any, tokens_in: int
) -> None:
    separator = "&" if "?" in path else "?"
    _, received, error = read(client, f"{mock.url}{path}{separator}error_after=3", json_body=body)
    assert error is None  # ends cleanly
    blocks = events(received)
    assert len(blocks) == tokens_in + 3 + 1
    if path == CHAT:
        assert json.loads(blocks[-1]["data"]) == {
            "error": {
                "message": "The server had an error while processing your request.",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        }
    else:
        assert blocks[-1] == {"event": "error", "data": "mock error"}
    assert last_request(mock).outcome == "complete"


def test_error_after_anthropic_and_responses(mock: MockServer, client: httpx.Client) -> None:
    blocks = events(read(client, mock.url_for(MESSAGES, error_after=2), json_body=MESSAGES_BODY)[1])
    assert [block["event"] for block in blocks] == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "error",
    ]
    assert json.loads(blocks[-1]["data"]) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    url = mock.url_for(RESPONSES, error_after=2)
    blocks = events(read(client, url, json_body=RESPONSES_BODY)[1])
    assert blocks[-1]["event"] == "error"
    error = json.loads(blocks[-1]["data"])
    assert error["type"] == "error"
    assert error["code"] == "server_error"
    assert error["param"] is None
    assert error["sequence_number"] == len(blocks) - 1
    assert [block["event"] for block in blocks].count("response.output_text.delta") == 2


def test_status_json_bodies_look_like_the_providers(mock: MockServer, client: httpx.Client) -> None:
    response = client.post(mock.url_for(CHAT, status=401), json=CHAT_BODY)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "invalid_api_key"
    assert error["message"].startswith("Incorrect API key provided: sk-fake")
    assert client.post(mock.url_for(CHAT, status=429), json=CHAT_BODY).json()["error"]["code"] == (
        "rate_limit_exceeded"
    )
    response = client.post(mock.url_for(MESSAGES, status=401), json=MESSAGES_BODY)
    assert response.json() == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
    }
    assert client.post(mock.url_for(MESSAGES, status=529), json=MESSAGES_BODY).json()["error"][
        "type"
    ] == ("overloaded_error")
    assert last_request(mock).outcome == "status"


def test_status_html_text_and_204(mock: MockServer, client: httpx.Client) -> None:
    html = client.get(mock.url_for("/stream", status=503, error_body="html"))
    assert html.status_code == 503
    assert html.headers["content-type"].startswith("text/html")
    assert "<title>503 Service Unavailable</title>" in html.text
    text = client.get(mock.url_for("/stream", status=500, error_body="text"))
    assert text.text == "500 Internal Server Error\n"
    empty = client.get(mock.url_for("/feed", status=204))
    assert empty.status_code == 204
    assert empty.content == b""


def test_content_type_and_charset(mock: MockServer, client: httpx.Client) -> None:
    response = client.get(mock.url_for("/stream", content_type="text/html", text="x"))
    assert response.headers["content-type"] == "text/html"
    assert response.content == b"data: x\n\n"
    response = client.get(mock.url_for("/stream", charset="latin-1", text="x"))
    assert response.headers["content-type"] == "text/event-stream; charset=latin-1"


def test_ping_comments_during_first_delay(mock: MockServer, client: httpx.Client) -> None:
    body = client.get(mock.url_for("/stream", text="x", first_delay=0.5, ping=100)).content
    head, _, tail = body.partition(b"data: x\n\n")
    assert tail == b""
    assert 2 <= head.count(b": ping\n\n") <= 5
    assert head == b": ping\n\n" * head.count(b": ping\n\n")
    assert events(body) == [{"data": "x"}]


def test_ping_comments_between_events(mock: MockServer, client: httpx.Client) -> None:
    body = client.get(mock.url_for("/stream", text="a b", delay=0.35, ping=100)).content
    assert body.startswith(b"data: a\n\n: ping\n\n")
    assert body.endswith(b": ping\n\ndata:  b\n\n")


def test_retry_bom_and_newlines(mock: MockServer, client: httpx.Client) -> None:
    body = client.get(mock.url_for("/stream", text="a b", retry=1500, bom=True)).content
    assert body == b"\xef\xbb\xbfretry: 1500\n\ndata: a\n\ndata:  b\n\n"
    crlf = client.get(mock.url_for("/stream", text="a\nb", newline="crlf")).content
    assert crlf == b"data: a\r\n\r\ndata: \r\ndata: b\r\n\r\n"
    cr = client.get(mock.url_for("/stream", text="a", newline="cr", ids=True)).content
    assert cr == b"id: 1\rdata: a\r\r"


def test_huge_event(mock: MockServer, client: httpx.Client) -> None:
    blocks = events(client.get(mock.url_for("/stream", huge=1_000_000, text="a")).content)
    assert len(blocks[0]["data"]) == 1_000_000
    assert blocks[1:] == [{"data": "a"}]
    chat = events(read(client, mock.url_for(CHAT, huge=70_000), json_body=CHAT_BODY)[1])
    first_token = json.loads(chat[1]["data"])["choices"][0]["delta"]["content"]
    assert len(first_token) == 70_000
    feed = events(client.get(mock.url_for("/feed", huge=5000, limit=1)).content)
    assert len(json.loads(feed[0]["data"])["tick"]) == 5000


def test_invalid_utf8_is_sent_raw(mock: MockServer, client: httpx.Client) -> None:
    body = client.get(mock.url_for("/stream", invalid_utf8=True, text="ab cd")).content
    assert body == b"data: ab\xff\xe2\x82\n\ndata:  cd\n\n"
    chat = read(client, mock.url_for(CHAT, invalid_utf8=1, text="ab"), json_body=CHAT_BODY)[1]
    assert b'"delta":{"content":"ab\xff\xe2\x82"}' in chat
    messages = read(client, mock.url_for(MESSAGES, invalid_utf8=1), json_body=MESSAGES_BODY)[1]
    assert b'"text":"#\xff\xe2\x82"' in messages


def test_ids_and_last_event_id_resume_without_loss(mock: MockServer, client: httpx.Client) -> None:
    words = " ".join(f"w{n}" for n in range(1, 10))
    url = mock.url_for("/stream", text=words, ids=True, drop_after=4)
    seen: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    for _ in range(10):
        _, received, error = read(client, url, headers=headers)
        seen += [(block["id"], block["data"].strip()) for block in events(received)]
        if error is None:
            break
        headers = {"Last-Event-ID": seen[-1][0]}
    assert seen == [(str(n), f"w{n}") for n in range(1, 10)]
    assert [record.headers.get("last-event-id") for record in mock.requests[-3:]] == [
        None,
        "4",
        "8",
    ]


def test_ids_on_a_provider_stream(mock: MockServer, client: httpx.Client) -> None:
    url = mock.url_for(MESSAGES, ids=True)
    first = events(read(client, url, json_body=MESSAGES_BODY)[1])
    assert [block["id"] for block in first] == [str(n) for n in range(1, len(first) + 1)]
    rest = events(read(client, url, json_body=MESSAGES_BODY, headers={"Last-Event-ID": "5"})[1])
    assert rest == first[5:]


# --- recording, disconnects, stop ------------------------------------------------------


def test_requests_are_recorded(mock: MockServer, client: httpx.Client) -> None:
    before = len(mock.requests)
    client.post(
        mock.url_for(CHAT, text="ok"),
        json={**CHAT_BODY, "stream": False},
        headers={"X-Trace": "abc"},
    )
    assert len(mock.requests) == before + 1  # one POST, never re-sent
    record = last_request(mock)
    assert record.method == "POST"
    assert record.path == CHAT
    assert record.query == {"text": "ok"}
    assert record.headers["x-trace"] == "abc"
    assert record.json == {**CHAT_BODY, "stream": False}
    assert json.loads(record.body) == record.json
    assert record.outcome == "complete"
    assert record.ended_at is not None
    assert record.events_sent == 0


def test_url_for() -> None:
    with MockServer() as server:
        url = server.url_for("/stream", delay=0.02, bom=True, ids=False, text="a b")
        assert url == f"{server.url}/stream?delay=0.02&bom=1&ids=0&text=a+b"
        assert server.url == f"http://127.0.0.1:{server.port}"
        with pytest.raises(ValueError, match="unknown knob"):
            server.url_for("/stream", dleay=1)
        with pytest.raises(ValueError, match="delay"):
            server.url_for("/stream", delay=-1)
        assert repr(server) == "MockServer(running)"
    assert repr(server) == "MockServer(stopped)"


@pytest.mark.parametrize("knob", ["delay", "first_delay"])
def test_disconnect_is_seen_within_100_ms(
    mock: MockServer, client: httpx.Client, knob: str
) -> None:
    with client.stream("GET", mock.url_for("/stream", **{knob: 5})) as response:
        record = mock.requests[-1]
        if knob == "delay":
            # Keep the iterator: a collected one closes the connection.
            chunks = response.iter_raw()
            next(chunks)  # the first event, then a 5 s wait
        time.sleep(0.05)
        assert not record.ended.is_set()
    closed_at = time.monotonic()  # leaving the block closed the unfinished response
    assert record.ended.wait(1)
    assert record.outcome == "disconnected"
    assert record.ended_at is not None
    assert record.ended_at - closed_at < 0.1


def test_stop_ends_an_endless_feed_promptly_and_frees_the_port(
    capfd: pytest.CaptureFixture[str],
) -> None:
    server = MockServer().start()
    port = server.port
    with httpx.Client(timeout=10) as http, http.stream("GET", server.url + "/feed") as response:
        lines = response.iter_lines()
        assert next(lines) == "id: 1"
        record = server.requests[-1]
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 0.5
        assert record.outcome == "stopped"
        assert list(lines) == ['data: {"n":1,"tick":"tick 1"}', ""]  # then a clean end
    server.stop()  # idempotent
    assert repr(server) == "MockServer(stopped)"
    with MockServer(port=port) as again:
        assert again.port == port
    assert capfd.readouterr() == ("", "")


def test_stop_cuts_a_client_that_does_not_read() -> None:
    server = MockServer().start()
    with (
        httpx.Client(timeout=10) as http,
        http.stream("GET", server.url_for("/stream", count=10**9)) as response,
    ):
        # Keep the iterator: a collected one closes the connection.
        chunks = response.iter_raw()
        next(chunks)
        time.sleep(0.2)  # let the socket buffers fill up
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 3
    assert server.requests[-1].outcome == "stopped"
    assert server.errors == []


def test_the_server_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    with MockServer() as server, httpx.Client(timeout=10) as http:
        read(http, server.url_for("/stream", drop_after=1))
        http.get(server.url + "/missing")
        with http.stream("GET", server.url_for("/stream", delay=5)) as response:
            # Keep the iterator: a collected one closes the connection.
            chunks = response.iter_raw()
            next(chunks)
        with socket.create_connection(("127.0.0.1", server.port)) as raw:
            raw.sendall(b"NONSENSE\r\n\r\n")
            raw.recv(1000)
        with http.stream("GET", server.url + "/feed") as response:
            # Keep the iterator: a collected one closes the connection.
            chunks = response.iter_raw()
            next(chunks)  # still running when the server stops
    assert server.errors == []
    assert capfd.readouterr() == ("", "")


def test_only_loopback_and_no_restart() -> None:
    with pytest.raises(ValueError, match="loopback"):
        MockServer(host="0.0.0.0")
    server = MockServer()
    server.stop()  # never started: nothing to do
    with pytest.raises(RuntimeError):
        server.start()


def test_cli_prints_its_url_and_serves() -> None:
    command = [sys.executable, "-m", "sse_widget.mock", "--port", "0"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 20)
            assert ready, "the CLI printed nothing"
            line = process.stdout.readline()
            prefix = "sse_widget mock server on http://127.0.0.1:"
            assert line.startswith(prefix)
            port = int(line.removeprefix(prefix))
            response = httpx.get(f"http://127.0.0.1:{port}/stream?count=3", timeout=10)
            assert len(events(response.content)) == 3
        finally:
            process.terminate()
            out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert (out, err) == ("", "")


def test_rate_paces_events_in_batches(mock: MockServer, client: httpx.Client) -> None:
    started = time.monotonic()
    with client.stream("GET", mock.url_for("/stream", count=400, rate=1000)) as response:
        arrivals = [time.monotonic() for _ in response.iter_raw()]
    elapsed = time.monotonic() - started
    assert 0.35 <= elapsed < 1.5  # 400 events at 1000 per second: 0.4 s
    assert 2 <= len(arrivals) < 400  # batched as they fall due, not one write per event
    body = client.get(mock.url_for("/stream", count=400, rate=1000)).content
    assert len(events(body)) == 400


def test_credential_parameters_are_accepted_and_ignored(
    mock: MockServer, client: httpx.Client
) -> None:
    response = client.get(mock.url_for("/stream", count=2) + "&api_key=sk-fake&access_token=t")
    assert response.status_code == 200
    assert len(events(response.content)) == 2


def test_tokens_are_sent_without_nagles_delay(mock: MockServer, client: httpx.Client) -> None:
    # Each token is a small write; with Nagle's algorithm it could wait up to 40 ms for
    # the client's delayed ACK. Real API servers set TCP_NODELAY; so does the mock.
    with client.stream("GET", mock.url_for("/stream", count=50, delay=0.01)) as response:
        chunks = response.iter_raw()  # kept: a dropped iterator closes the response
        next(chunks)
        with mock._lock:
            served = list(mock._connections)
        options = [s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in served]
    assert options
    assert all(options), options
