"""StreamWidget(transport="browser") end to end in the kernel, a fake page in a thread.

The fake page does what the view does (js/transport.js): it volunteers when asked, makes
the request it is handed with httpx (as fetch would), parses the stream with httpx-sse
(as fetch-event-source would) and forwards the events in batches. The widget must then
hold what the kernel's own transport holds from the same server, and keep the key in the
one message that hands the request over.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import httpx_sse
import pytest

from sse_widget import MockServer, NoPageError, StreamWidget
from tests.test_widget import Recorder, from_front_end, mock, recorder

__all__ = ["mock", "recorder"]  # fixtures, used by name

KEY = "sk-fake-page-key-4242"
CHAT = {"model": "mock-gpt", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
ORIGIN = "http://page.example"


class FakePage:
    """One view of `widget`, making its browser requests from a thread of its own."""

    def __init__(self, widget: StreamWidget, recorder: Recorder, view: str = "view-1") -> None:
        self.widget = widget
        self.recorder = recorder
        self.view = view
        self.stopped = threading.Event()
        self.aborted: set[int] = set()
        self.requests: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.stopped.set()
        self._thread.join(5)

    def _say(self, content: dict[str, Any]) -> None:
        from_front_end(self.widget, {"view": self.view, **content})

    def _watch(self) -> None:
        seen = 0
        while not self.stopped.is_set():
            messages = self.recorder.custom()
            for message in messages[seen:]:
                if message["kind"] == "call":
                    self._say({"kind": "volunteer"})
                elif message["kind"] == "abort":
                    self.aborted.add(message["attempt"])
                elif message["kind"] == "request" and message["view"] == self.view:
                    self.requests.append(message)
                    threading.Thread(target=self._fetch, args=(message,), daemon=True).start()
            seen = len(messages)
            time.sleep(0.005)

    def _fetch(self, request: dict[str, Any]) -> None:
        attempt = request["attempt"]
        base = {"attempt": attempt, "hidden": False}
        headers = {**dict(request["headers"]), "origin": ORIGIN}
        with (
            httpx.Client() as client,
            client.stream(
                request["method"], request["url"], headers=headers, content=request["body"]
            ) as response,
        ):
            self._say(
                {
                    **base,
                    "kind": "response",
                    "status": response.status_code,
                    "headers": list(response.headers.items()),
                    "url": str(response.url),
                }
            )
            batch: list[list[Any]] = []
            for event in httpx_sse.EventSource(response).iter_sse():
                if attempt in self.aborted:
                    return  # leaving the with-block closes the connection
                batch.append([event.event, event.data, event.id, event.retry, 0])
                if len(batch) >= 20:
                    self._say({**base, "kind": "events", "events": batch, "bytes": 1})
                    batch = []
            self._say({**base, "kind": "events", "events": batch, "bytes": 2})
            self._say({**base, "kind": "end"})


@pytest.fixture
def page_for(recorder: Recorder) -> Iterator[Any]:
    pages: list[FakePage] = []

    def make(widget: StreamWidget, view: str = "view-1") -> FakePage:
        pages.append(FakePage(widget, recorder, view))
        return pages[-1]

    yield make
    for page in pages:
        page.close()


def browser_widget(mock: MockServer, **options: Any) -> StreamWidget:
    return StreamWidget(
        mock.url_for("/v1/chat/completions", delay=0),
        json=CHAT,
        headers={"Authorization": f"Bearer {KEY}"},
        format="openai",
        transport="browser",
        **options,
    )


def test_the_page_streams_what_the_kernel_would_and_the_kernel_makes_no_request(
    recorder: Recorder, mock: MockServer, page_for: Any
) -> None:
    kernel = StreamWidget(mock.url_for("/v1/chat/completions", delay=0), json=CHAT, format="openai")
    expected = kernel.wait(10)
    kernel.close()
    before = len(mock.requests)
    widget = browser_widget(mock)
    page_for(widget)
    assert widget.wait(20) == expected
    assert widget.status == "done"
    assert widget.transport == "browser"
    assert widget.stats["tokens"] > 10
    # One request, and it was the page's (its Origin), with the key.
    [made] = mock.requests[before:]
    assert made.headers["origin"] == ORIGIN
    assert made.headers["authorization"] == f"Bearer {KEY}"
    assert made.json == CHAT
    widget.close()


def test_the_key_is_in_the_one_message_that_hands_the_request_over(
    recorder: Recorder, mock: MockServer, page_for: Any
) -> None:
    widget = browser_widget(mock)
    page_for(widget)
    widget.wait(20)
    from_front_end(widget, {"kind": "sync", "gen": 1, "seq": 0})
    time.sleep(0.1)
    with recorder.lock:
        sent = [json.dumps(s.data) for s in recorder.sent]
    holding = [text for text in sent if KEY in text]
    assert len(holding) == 1
    assert json.loads(holding[0])["content"]["kind"] == "request"
    assert KEY not in json.dumps(widget.get_state())
    assert KEY not in json.dumps(widget._repr_mimebundle_()) + repr(widget)
    widget.close()


def test_stop_aborts_the_pages_request_and_the_server_sees_the_close(
    recorder: Recorder, mock: MockServer, page_for: Any
) -> None:
    widget = StreamWidget(
        mock.url_for("/stream", count=1000, delay=0.05), format="text", transport="browser"
    )
    page = page_for(widget)
    deadline = time.monotonic() + 10
    while len(widget.text) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    record = [r for r in mock.requests if r.path == "/stream"][-1]
    widget.stop()
    assert widget.status == "stopped"
    deadline = time.monotonic() + 5
    while not page.aborted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert page.aborted == {1}
    assert record.ended.wait(2)
    assert record.outcome == "disconnected"
    widget.close()


def test_without_a_page_wait_raises_a_clear_error(recorder: Recorder, mock: MockServer) -> None:
    widget = browser_widget(mock, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(NoPageError, match=r"no page showed the widget within 0\.5 s"):
        widget.wait(10)
    assert time.monotonic() - started < 5
    assert widget.status == "error"
    assert widget.error_info["type"] == "NoPageError"
    widget.close()


def test_bad_transport_arguments_fail_at_construction(recorder: Recorder, mock: MockServer) -> None:
    with pytest.raises(ValueError, match="transport must be 'kernel' or 'browser'"):
        StreamWidget(mock.url, transport="pigeon")
    with pytest.raises(ValueError, match="client="):
        StreamWidget(mock.url, transport="browser", client=httpx.AsyncClient())
