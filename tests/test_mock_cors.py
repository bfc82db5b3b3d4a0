"""The mock server's CORS, as a browser would exercise it, over loopback HTTP with httpx.

A page's ``fetch`` of a JSON POST with ``Authorization`` is preflighted (``OPTIONS`` with
``Origin`` and ``Access-Control-Request-*``) and then sent with ``Origin``; httpx sends
the same requests here, so no browser is needed. Every wait is bounded by a timeout.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sse_widget import iter_events
from sse_widget.mock import MockServer, RecordedRequest
from sse_widget.mock import __main__ as cli
from tests.test_mock import last_request

CHAT = "/v1/chat/completions"
PAGE = "http://127.0.0.1:8888"  # a JupyterLab page: another origin than the mock's
ASKED = "authorization, content-type, last-event-id"
PREFLIGHT = {
    "Origin": PAGE,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": ASKED,
}
FROM_PAGE = {"Origin": PAGE, "Authorization": "Bearer sk-fake"}
BODY: dict[str, Any] = {
    "model": "gpt-test",
    "stream": True,
    "messages": [{"role": "user", "content": "Hi"}],
}
EXPOSED = "retry-after, retry-after-ms, x-request-id, request-id, content-type"
#: What every answer to a page's request carries, exactly.
RESPONSE_CORS = {
    "access-control-allow-origin": PAGE,
    "vary": "Origin",
    "access-control-expose-headers": EXPOSED,
}
#: A preflight's whole answer: these headers and nothing else.
PREFLIGHT_CORS = {
    "access-control-allow-origin": PAGE,
    "vary": "Origin",
    "access-control-allow-methods": "GET, POST",
    "access-control-allow-headers": ASKED,
    "access-control-max-age": "600",
}


def serve(*, cors: bool) -> Iterator[MockServer]:
    with MockServer(cors=cors) as server:
        yield server
        assert server.errors == []


@pytest.fixture(scope="module")
def cors_mock() -> Iterator[MockServer]:
    yield from serve(cors=True)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    yield from serve(cors=False)


def cors_of(response: httpx.Response) -> dict[str, str]:
    """The response's CORS headers, and its Vary (lower-case names)."""
    return {
        name: value
        for name, value in response.headers.items()
        if name.startswith("access-control-") or name == "vary"
    }


def ended(record: RecordedRequest) -> RecordedRequest:
    assert record.ended.wait(5)
    return record


# --- on: MockServer(cors=True) ---------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        CHAT,
        "/v1/responses",
        "/v1/messages",
        "/v1beta/models/gemini-test:streamGenerateContent?alt=sse",
        "/api/chat",
        "/stream",
        "/feed",
        "/",
        "/nowhere",  # so that the page reads the 404 rather than a CORS error
    ],
)
def test_preflight_answers_204_with_exactly_the_cors_headers(
    cors_mock: MockServer, client: httpx.Client, path: str
) -> None:
    response = client.options(cors_mock.url + path, headers=PREFLIGHT)
    assert response.status_code == 204
    assert dict(response.headers) == PREFLIGHT_CORS
    assert response.content == b""


def test_preflight_adds_the_requested_method(cors_mock: MockServer, client: httpx.Client) -> None:
    for requested, allowed in [("PUT", "GET, POST, PUT"), ("GET", "GET, POST")]:
        headers = {"Origin": PAGE, "Access-Control-Request-Method": requested}
        response = client.options(cors_mock.url + "/stream", headers=headers)
        assert response.status_code == 204
        assert response.headers["access-control-allow-methods"] == allowed
        assert "access-control-allow-headers" not in response.headers  # none asked for


def test_stream_from_a_page_parses_fully_with_cors_headers(
    cors_mock: MockServer, client: httpx.Client
) -> None:
    opened: list[httpx.Response] = []
    events = list(
        iter_events(
            cors_mock.url_for(CHAT, text="Hello from another origin"),
            method="POST",
            json=BODY,
            headers=FROM_PAGE,
            client=client,
            reconnect=False,
            on_open=opened.append,
        )
    )
    assert events[-1].data == "[DONE]"
    chunks = [json.loads(event.data) for event in events[:-1]]
    text = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)
    assert text == "Hello from another origin"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    [response] = opened
    assert response.headers["content-type"] == "text/event-stream"
    assert cors_of(response) == RESPONSE_CORS
    assert last_request(cors_mock).outcome == "complete"


@pytest.mark.parametrize(
    ("path", "status", "retry_after"),
    [
        (f"{CHAT}?status=429", 429, "1"),
        ("/v1/messages?status=429", 429, "1"),
        (f"{CHAT}?status=401", 401, None),
        (f"{CHAT}?status=500&error_body=html", 500, None),
        ("/nowhere", 404, None),
        ("/stream?delay=soon", 400, None),
    ],
)
def test_error_statuses_carry_the_cors_headers(
    cors_mock: MockServer, client: httpx.Client, path: str, status: int, retry_after: str | None
) -> None:
    response = client.post(cors_mock.url + path, json=BODY, headers=FROM_PAGE)
    assert response.status_code == status
    assert cors_of(response) == RESPONSE_CORS
    assert response.headers.get("retry-after") == retry_after
    # What a page may read: the retry hint and the request id, by name.
    exposed = response.headers["access-control-expose-headers"].split(", ")
    assert {"retry-after", "x-request-id", "request-id"} <= set(exposed)


def test_help_page_and_json_document_carry_the_cors_headers(
    cors_mock: MockServer, client: httpx.Client
) -> None:
    help_page = client.get(cors_mock.url + "/", headers=FROM_PAGE)
    assert help_page.status_code == 200
    assert "cors=1" in help_page.text
    assert cors_of(help_page) == RESPONSE_CORS
    body = {**BODY, "stream": False}
    document = client.post(cors_mock.url + CHAT, json=body, headers=FROM_PAGE)
    assert document.json()["object"] == "chat.completion"
    assert cors_of(document) == RESPONSE_CORS


def test_a_request_without_origin_gets_vary_only(
    cors_mock: MockServer, client: httpx.Client
) -> None:
    response = client.post(cors_mock.url_for(CHAT, text="ok"), json=BODY)
    assert response.status_code == 200
    assert cors_of(response) == {"vary": "Origin"}


def test_preflight_and_request_are_recorded(cors_mock: MockServer, client: httpx.Client) -> None:
    before = len(cors_mock.requests)
    url = cors_mock.url_for(CHAT, text="ok")
    client.options(url, headers=PREFLIGHT)
    client.post(url, json=BODY, headers=FROM_PAGE)
    client.post(url, json=BODY)  # a kernel's request: no Origin, no preflight
    preflight, from_page, from_kernel = map(ended, cors_mock.requests[before:])
    assert preflight.method == "OPTIONS"
    assert (preflight.path, preflight.query) == (CHAT, {"text": "ok"})
    assert preflight.headers["origin"] == PAGE
    assert preflight.headers["access-control-request-headers"] == ASKED
    assert (preflight.outcome, preflight.events_sent) == ("complete", 0)
    assert from_page.method == "POST"
    assert from_page.headers["origin"] == PAGE
    assert from_page.headers["authorization"] == "Bearer sk-fake"
    assert from_page.outcome == "complete"
    assert "origin" not in from_kernel.headers
    assert preflight.ended_at is not None
    assert from_page.ended_at is not None
    assert preflight.ended_at <= from_page.ended_at


# --- off (the default), and the knob ---------------------------------------------------


def test_off_by_default_nothing_cors_is_sent(mock: MockServer, client: httpx.Client) -> None:
    preflight = client.options(mock.url + CHAT, headers=PREFLIGHT)
    assert preflight.status_code == 405  # what a browser reports as a CORS error
    assert cors_of(preflight) == {}
    response = client.post(mock.url_for(CHAT, text="ok"), json=BODY, headers=FROM_PAGE)
    assert response.status_code == 200
    assert response.text.endswith("data: [DONE]\n\n")
    assert cors_of(response) == {}
    limited = client.post(mock.url_for(CHAT, status=429), json=BODY, headers=FROM_PAGE)
    assert limited.status_code == 429
    assert cors_of(limited) == {}
    assert ended(mock.requests[-3]).method == "OPTIONS"  # recorded all the same


def test_the_knob_turns_cors_on_for_one_url(mock: MockServer, client: httpx.Client) -> None:
    # Browsers preflight the exact URL, query and all: the knob reaches the preflight.
    url = mock.url_for(CHAT, cors=1, status=429)
    assert url.endswith("?cors=1&status=429")
    preflight = client.options(url, headers=PREFLIGHT)
    assert preflight.status_code == 204  # the status knob is for the request, not this
    assert dict(preflight.headers) == PREFLIGHT_CORS
    limited = client.post(url, json=BODY, headers=FROM_PAGE)
    assert limited.status_code == 429
    assert cors_of(limited) == RESPONSE_CORS
    assert limited.headers["retry-after"] == "1"
    stream = client.post(mock.url_for(CHAT, cors=True, text="ok"), json=BODY, headers=FROM_PAGE)
    assert stream.text.endswith("data: [DONE]\n\n")
    assert cors_of(stream) == RESPONSE_CORS
    off = client.post(mock.url_for(CHAT, cors=0, text="ok"), json=BODY, headers=FROM_PAGE)
    assert cors_of(off) == {}


def test_a_bad_cors_value_is_a_400(mock: MockServer, client: httpx.Client) -> None:
    with pytest.raises(ValueError, match="cors"):
        mock.url_for(CHAT, cors="maybe")
    response = client.post(mock.url + CHAT + "?cors=maybe", json=BODY, headers=FROM_PAGE)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "cors"
    assert cors_of(response) == {}


@pytest.mark.parametrize(("flags", "cors"), [(["--cors"], True), ([], False)])
def test_cli_cors_flag(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    cors: bool,
) -> None:
    made: list[dict[str, Any]] = []

    def refuse(host: str, port: int, *, cors: bool) -> MockServer:
        made.append({"host": host, "port": port, "cors": cors})
        raise OSError("port taken")  # main() then returns before serving forever

    monkeypatch.setattr(cli, "MockServer", refuse)
    assert cli.main(["--port", "0", *flags]) == 2
    assert made == [{"host": "127.0.0.1", "port": 0, "cors": cors}]
    assert capsys.readouterr().err == "error: port taken\n"
