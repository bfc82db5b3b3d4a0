"""StreamWidget without a browser: every message it sends is recorded and inspected."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import comm
import pytest
from comm.base_comm import BaseComm

from sse_widget import (
    HTTPStatusError,
    MockServer,
    ServerEventError,
    StreamWidget,
    iter_events,
)
from sse_widget._budget import PER_WIDGET_RATE
from sse_widget._output import FINAL_MARKDOWN_CHARS

#: Bytes a Jupyter message adds around its content (header, parent header, metadata,
#: signature): about 500 measured on ipykernel 6; counted per message in the byte ratio.
ENVELOPE_BYTES = 500


@dataclass
class Sent:
    at: float
    msg_type: str
    data: dict[str, Any]

    @property
    def size(self) -> int:
        return len(json.dumps(self.data, separators=(",", ":"))) + ENVELOPE_BYTES


@dataclass
class Recorder:
    """Every comm message every widget sends, in order, with the time it was sent."""

    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def custom(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            messages = [s.data["content"] for s in self.sent if s.data.get("method") == "custom"]
        return [m for m in messages if kind is None or m["kind"] == kind]

    def all_text(self) -> str:
        with self.lock:
            return "\n".join(json.dumps(s.data) for s in self.sent)


class RecordingComm(BaseComm):
    recorder: Recorder

    def publish_msg(
        self,
        msg_type: str,
        data: Any = None,
        metadata: Any = None,
        buffers: Any = None,
        **keys: Any,
    ) -> None:
        with self.recorder.lock:
            self.recorder.sent.append(Sent(time.monotonic(), msg_type, data or {}))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()

    # The comm publishes its "open" from __init__: the recorder must be there before.
    recording = type("BoundRecordingComm", (RecordingComm,), {"recorder": recorder})

    def create_comm(*args: Any, **kwargs: Any) -> BaseComm:
        return recording(*args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(comm, "create_comm", create_comm)
    return recorder


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


CHAT = {"model": "mock-gpt", "stream": True, "messages": [{"role": "user", "content": "hi"}]}


def from_front_end(widget: StreamWidget, content: dict[str, Any]) -> None:
    """Deliver a message as the front end would (on the kernel's main thread)."""
    widget._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    )


def rebuild(deltas: list[dict[str, Any]], generation: int = 1) -> str:
    mine = [d for d in deltas if d["gen"] == generation]
    assert [d["seq"] for d in mine] == list(range(1, len(mine) + 1))
    return "".join(d["text"] for d in mine)


def test_text_is_complete_in_order_and_coalesced_at_20k_tokens_per_second(
    recorder: Recorder, mock: MockServer
) -> None:
    url = mock.url_for("/stream", count=60_000, rate=20_000)
    expected = "".join(e.data for e in iter_events(mock.url_for("/stream", count=60_000)))
    started = time.monotonic()
    widget = StreamWidget(url, format="text", render="text")
    assert widget.wait(30) == expected
    duration = time.monotonic() - started
    tokens_per_s = 60_000 / duration
    assert rebuild(recorder.custom("delta")) == expected  # nothing lost, nothing twice
    with recorder.lock:
        # Steady state: the widget's own comm_open (and its layout's) are one-off.
        during = [s for s in recorder.sent if s.at >= started and s.msg_type == "comm_msg"]
    rate = len(during) / duration
    ratio = sum(s.size for s in during) / len(expected.encode())
    print(f"\n{tokens_per_s:,.0f} tok/s: {rate:.1f} msgs/s, {ratio:.3f} bytes per text byte")
    assert tokens_per_s > 8_000, "the source was too slow to test coalescing"
    assert rate <= PER_WIDGET_RATE + 1  # one widget alone: at most a frame's worth a second
    assert ratio <= 1.4
    widget.close()


def test_a_late_view_catches_up_from_a_snapshot_in_parts(
    recorder: Recorder, mock: MockServer
) -> None:
    widget = StreamWidget(mock.url_for("/stream", count=50, huge=150_000), format="text")
    text = widget.wait(10)
    assert len(text) > 150_000
    from_front_end(widget, {"kind": "sync", "gen": 0, "seq": 0})
    deadline = time.monotonic() + 5
    while len(recorder.custom("snapshot")) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    parts = recorder.custom("snapshot")
    assert [(p["part"], p["parts"]) for p in parts] == [(0, 3), (1, 3), (2, 3)]
    assert all(len(p["text"]) <= 65536 for p in parts)
    assert "".join(p["text"] for p in parts) == text
    assert {p["seq"] for p in parts} == {recorder.custom("delta")[-1]["seq"]}
    widget.close()


def test_secrets_never_reach_the_front_end(recorder: Recorder, mock: MockServer) -> None:
    base = mock.url.replace("http://", "http://alice:hunter2@")
    widget = StreamWidget(
        f"{base}/v1/chat/completions",
        params={"access_token": "tok-param-secret", "api_key": "sk-query-secret", "delay": "0"},
        headers={"Authorization": "Bearer sk-header-secret", "Cookie": "session=cookie-secret"},
        json=CHAT,
        format="openai",
    )
    widget.wait(10)
    from_front_end(widget, {"kind": "sync", "gen": 1, "seq": 0})
    time.sleep(0.1)
    everything = recorder.all_text() + repr(widget) + json.dumps(widget._repr_mimebundle_()[0])
    for secret in (
        "hunter2",
        "sk-query-secret",
        "tok-param-secret",
        "sk-header-secret",
        "cookie-secret",
    ):
        assert secret not in everything
    assert widget.display_url.startswith("http://***@127.0.0.1:")
    assert "api_key=***" in widget.display_url
    assert "access_token=***" in widget.display_url
    sent = mock.requests[-1].headers  # the credentials did reach the server
    assert sent["cookie"] == "session=cookie-secret"
    assert sent["authorization"].startswith("Basic ")  # httpx: URL userinfo wins
    widget.close()


def test_stop_cancels_the_request_and_the_server_sees_it(
    recorder: Recorder, mock: MockServer
) -> None:
    widget = StreamWidget(mock.url_for("/stream", count=1000, delay=0.05), format="text")
    deadline = time.monotonic() + 5
    while (
        widget.stats.get("tokens", 0) < 3 and len(widget.text) < 10 and time.monotonic() < deadline
    ):
        time.sleep(0.01)
    record = [r for r in mock.requests if r.path == "/stream"][-1]
    stopped_at = time.monotonic()
    widget.stop()
    assert widget.status == "stopped"
    assert record.ended.wait(1)
    assert record.outcome == "disconnected"
    assert record.ended_at - stopped_at < 0.1
    assert widget.wait(1) == widget.text  # stopping is not an error; the text stays
    widget.close()


def test_stop_from_the_front_end_button(recorder: Recorder, mock: MockServer) -> None:
    widget = StreamWidget(mock.url_for("/stream", count=1000, delay=0.05), format="text")
    from_front_end(widget, {"kind": "stop"})
    assert widget.status == "stopped"
    widget.close()


def test_restart_streams_again_as_a_new_generation(recorder: Recorder, mock: MockServer) -> None:
    widget = StreamWidget(mock.url_for("/stream", count=20), format="text")
    first = widget.wait(10)
    from_front_end(widget, {"kind": "restart"})
    assert widget.generation == 2
    assert widget.wait(10) == first
    deltas = recorder.custom("delta")
    assert rebuild(deltas, 1) == first
    assert rebuild(deltas, 2) == first
    widget.close()


def test_twenty_widgets_stream_at_once(recorder: Recorder, mock: MockServer) -> None:
    url = mock.url_for("/stream", count=100, delay=0.01)  # one second each, alone
    expected = "".join(e.data for e in iter_events(mock.url_for("/stream", count=100)))
    started = time.monotonic()
    widgets = [StreamWidget(url, format="text") for _ in range(20)]
    texts = [w.wait(30) for w in widgets]
    elapsed = time.monotonic() - started
    assert texts == [expected] * 20
    assert elapsed < 5  # concurrent: far less than 20 seconds
    for widget in widgets:
        widget.close()


def test_a_busy_main_thread_does_not_freeze_the_stream(
    recorder: Recorder, mock: MockServer
) -> None:
    widget = StreamWidget(mock.url_for("/stream", count=60, delay=0.02), format="text")
    busy_from = time.monotonic()
    time.sleep(1.0)  # the next cell blocks the kernel's main thread
    busy_until = time.monotonic()
    with recorder.lock:
        while_busy = [
            s
            for s in recorder.sent
            if busy_from < s.at < busy_until and s.data.get("method") == "custom"
        ]
    assert len(while_busy) >= 10  # deltas kept flowing, about 20 per second
    widget.wait(10)
    widget.close()


class FakeDisplay:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update(self, data: dict[str, Any], metadata: Any = None, raw: bool = False) -> None:
        assert raw
        self.updates.append(data)


def test_the_final_text_is_written_into_the_notebook_output(
    recorder: Recorder, mock: MockServer
) -> None:
    widget = StreamWidget(
        mock.url_for("/v1/chat/completions"), json=CHAT, format="openai", autostart=False
    )
    before, _ = widget._repr_mimebundle_()
    assert "text/markdown" not in before
    assert before["text/plain"] == repr(widget)
    display = FakeDisplay()
    widget._displays.add(display)
    widget.start()
    text = widget.wait(10)
    (final,) = display.updates
    assert final["text/markdown"] == text
    assert final["text/plain"] == text
    assert final["application/vnd.jupyter.widget-view+json"]["model_id"] == widget.model_id
    widget.close()


def test_a_long_markdown_answer_is_saved_once_as_its_source(
    recorder: Recorder, mock: MockServer
) -> None:
    count = 30_000  # tokens cycling through the mock's answer: well over 64 K characters
    widget = StreamWidget(
        mock.url_for("/v1/chat/completions", count=count),
        json=CHAT,
        format="openai",
        autostart=False,
    )
    display = FakeDisplay()
    widget._displays.add(display)
    widget.start()
    text = widget.wait(20)
    assert len(text) > FINAL_MARKDOWN_CHARS
    (final,) = display.updates
    # The whole answer, once: no text/markdown for JupyterLab's table of contents to
    # parse and list, heading by heading, as the stream ends.
    assert final["text/plain"] == text
    assert "text/markdown" not in final
    assert "application/vnd.jupyter.widget-view+json" in final
    widget.close()

    plain = StreamWidget(mock.url_for("/stream", count=count), render="text", autostart=False)
    display = FakeDisplay()
    plain._displays.add(display)
    plain.start()
    plain.wait(20)
    (final,) = display.updates
    assert final["text/plain"] == plain.text
    assert "text/markdown" not in final
    plain.close()


def test_an_http_error_is_shown_with_the_servers_words(
    recorder: Recorder, mock: MockServer
) -> None:
    widget = StreamWidget(
        mock.url_for("/v1/chat/completions", status=401), json=CHAT, format="openai"
    )
    with pytest.raises(HTTPStatusError, match="Incorrect API key"):
        widget.wait(10)
    assert widget.status == "error"
    assert widget.error_info["status_code"] == 401
    assert widget.error_info["type"] == "HTTPStatusError"
    assert "Incorrect API key" in widget.error_info["body"]
    widget.close()


def test_a_provider_error_mid_stream_keeps_the_text_so_far(
    recorder: Recorder, mock: MockServer
) -> None:
    url = mock.url_for("/v1/messages", error_after=5)
    widget = StreamWidget(url, json={**CHAT, "max_tokens": 100}, format="anthropic")
    with pytest.raises(ServerEventError, match="Overloaded"):
        widget.wait(10)
    assert widget.stats["tokens"] == 5
    assert len(widget.text) > 0
    assert widget.error_info["type"] == "ServerEventError"
    widget.close()


def test_callbacks_run_with_their_documented_meaning(recorder: Recorder, mock: MockServer) -> None:
    seen: dict[str, list[Any]] = {"open": [], "message": [], "close": []}
    widget = StreamWidget(
        mock.url_for("/stream", count=7),
        format="text",
        on_open=lambda response: seen["open"].append(response.status_code),
        on_message=lambda event: seen["message"].append(event.data),
        on_close=lambda: seen["close"].append(threading.current_thread().name),
    )
    widget.wait(10)
    assert seen["open"] == [200]
    assert len(seen["message"]) == 7
    assert seen["close"] == ["sse-widget-streams"]  # callbacks run on the streams thread
    widget.close()


def test_on_open_may_reject_a_response(recorder: Recorder, mock: MockServer) -> None:
    class WrongModel(Exception):
        pass

    def on_open(response: Any) -> None:
        raise WrongModel("not the model I asked for")

    widget = StreamWidget(mock.url_for("/stream", count=3), on_open=on_open)
    with pytest.raises(WrongModel):
        widget.wait(10)
    assert widget.status == "error"
    assert widget.error_info["message"] == "WrongModel: not the model I asked for"
    widget.close()


def test_stats_and_usage(recorder: Recorder, mock: MockServer) -> None:
    body = {**CHAT, "stream_options": {"include_usage": True}}
    widget = StreamWidget(mock.url_for("/v1/chat/completions"), json=body, format="openai")
    widget.wait(10)
    stats = widget.stats
    assert stats["tokens"] > 20
    assert stats["events"] == stats["tokens"] + 4  # role chunk, finish, usage, [DONE]
    assert stats["usage"]["completion_tokens"] == stats["tokens"]
    assert 0 <= stats["ttfb_s"] <= stats["ttft_s"] <= stats["elapsed_s"]
    widget.close()


def test_every_figure_is_there_from_the_start(recorder: Recorder, mock: MockServer) -> None:
    widget = StreamWidget(mock.url_for("/stream", first_delay=1), render="text")
    assert widget.stats["tokens"] == 0
    assert widget.stats["ttft_s"] is None
    assert set(widget.stats) >= {"ttfb_s", "events", "bytes", "elapsed_s", "tokens_per_s", "usage"}
    widget.close()


def test_the_events_view_gets_bounded_rows(recorder: Recorder, mock: MockServer) -> None:
    widget = StreamWidget(
        mock.url_for("/stream", count=30, event="tick"), render="events", max_event_rows=10
    )
    widget.wait(10)
    rows = [row for d in recorder.custom("delta") for row in d["rows"]]
    assert [r["event"] for r in rows] == ["tick"] * 30
    from_front_end(widget, {"kind": "sync", "gen": 1, "seq": 0})
    time.sleep(0.1)
    (snapshot,) = recorder.custom("snapshot")
    assert [r["data"] for r in snapshot["rows"]] == [r["data"] for r in rows[-10:]]
    widget.close()


def test_wait_async(recorder: Recorder, mock: MockServer) -> None:
    widget = StreamWidget(mock.url_for("/stream", count=5), format="text")
    text = asyncio.run(widget.wait_async(10))
    assert text == widget.text
    assert text
    widget.close()


def test_wait_times_out_and_a_stream_never_started_says_so(
    recorder: Recorder, mock: MockServer
) -> None:
    widget = StreamWidget(mock.url_for("/stream", count=5), autostart=False)
    assert widget.status == "idle"
    with pytest.raises(RuntimeError, match="never started"):
        widget.wait()
    slow = StreamWidget(mock.url_for("/stream", count=100, delay=0.1))
    with pytest.raises(TimeoutError):
        slow.wait(0.2)
    slow.stop()
    widget.close()
    slow.close()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"render": "html"}, ValueError, "render must be one of"),
        ({"format": "opanai"}, ValueError, "did you mean 'openai'"),
        ({"json": {}, "content": b"x"}, TypeError, "not both"),
        ({"url": "file:///etc/passwd"}, ValueError, "absolute http"),
    ],
)
def test_bad_arguments_fail_at_construction(
    recorder: Recorder, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    kwargs = {"url": "http://127.0.0.1:9/", "autostart": False, **kwargs}
    with pytest.raises(error, match=message):
        StreamWidget(**kwargs)


def test_repr_is_stable_without_address_or_port(recorder: Recorder, mock: MockServer) -> None:
    widget = StreamWidget(
        mock.url_for("/v1/chat/completions"), json=CHAT, format="openai", autostart=False
    )
    assert (
        repr(widget)
        == "StreamWidget(POST /v1/chat/completions, format='openai', render='markdown')"
    )
    widget.close()


def test_closing_the_widget_stops_its_stream(recorder: Recorder, mock: MockServer) -> None:
    widget = StreamWidget(mock.url_for("/stream", count=1000, delay=0.05), format="text")
    time.sleep(0.2)
    record = [r for r in mock.requests if r.path == "/stream"][-1]
    widget.close()
    assert widget.status == "stopped"
    assert record.ended.wait(1)
    assert record.outcome == "disconnected"
