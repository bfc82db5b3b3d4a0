"""StreamWidget under real use: bounded text, no leaks, one timer, small on the wire,
arguments checked at the call. Messages are recorded as in test_widget.py."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
import weakref
from pathlib import Path
from typing import Any

import pytest
from ipywidgets.widgets.widget import _instances as widget_registry
from loopback import serve, silent

from sse_widget import (
    ConnectError,
    EventTooLargeError,
    MockServer,
    RetriesExhaustedError,
    StreamWidget,
    iter_events,
)
from sse_widget._front_end import ModuleWidget, module_key, module_parts, module_source
from tests.test_widget import Recorder, from_front_end, mock, recorder

__all__ = ["mock", "recorder"]  # fixtures


def rss_bytes() -> int:
    """The process's resident memory, after glibc gives back what it holds free (its
    arenas keep freed blocks of the streams thread's 100 KB strings otherwise, several
    MB that vary from run to run and are not retained by anything)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")  # pragma: no cover - Linux only


def replay(messages: list[dict[str, Any]], generation: int = 1) -> str:
    """The text a view holds after these deltas: append, then drop to `dropped`."""
    text, dropped = "", 0
    for message in messages:
        if message["kind"] != "delta" or message["gen"] != generation:
            continue
        text += message["text"]
        total = message.get("dropped", dropped)
        text = text.encode("utf-16-le")[2 * (total - dropped) :].decode("utf-16-le")
        dropped = total
    return text


# -- bounded text -------------------------------------------------------------------


def test_a_long_feed_keeps_only_max_chars_and_the_view_drops_the_same(
    recorder: Recorder, mock: MockServer
) -> None:
    url = mock.url_for("/stream", count=20_000, rate=20_000)
    whole = "".join(e.data for e in iter_events(mock.url_for("/stream", count=20_000)))
    widget = StreamWidget(url, format="text", render="text", max_chars=10_000)
    kept = widget.wait(30)
    assert len(whole) > 100_000
    assert 0 < len(kept) <= 10_000
    assert whole.endswith(kept)
    assert widget.stats["chars_dropped"] == len(whole) - len(kept)
    assert replay(recorder.custom()) == kept
    # A late view gets only the kept text, and how much went before it.
    from_front_end(widget, {"kind": "sync", "gen": 1, "seq": 0})
    deadline = time.monotonic() + 5
    while not recorder.custom("snapshot") and time.monotonic() < deadline:
        time.sleep(0.01)
    [snapshot] = recorder.custom("snapshot")
    assert snapshot["text"] == kept
    assert snapshot["dropped"] == len(whole) - len(kept)  # ASCII: units are characters
    assert widget._repr_mimebundle_()[0]["text/plain"] == kept  # the saved output too
    widget.close()


def test_an_answer_under_the_limit_is_untouched(recorder: Recorder, mock: MockServer) -> None:
    expected = "".join(e.data for e in iter_events(mock.url_for("/stream", count=300)))
    widget = StreamWidget(mock.url_for("/stream", count=300), format="text", max_chars=10_000)
    assert widget.wait(10) == expected
    assert widget.stats["chars_dropped"] == 0
    assert all("dropped" not in m for m in recorder.custom())
    widget.close()


def test_no_limit_keeps_everything(recorder: Recorder, mock: MockServer) -> None:
    url = mock.url_for("/stream", count=50, huge=3_000_000)
    widget = StreamWidget(url, format="text", render="text", max_chars=None)
    assert len(widget.wait(20)) > 3_000_000
    widget.close()


# -- no leaks -----------------------------------------------------------------------


#: How this test runs itself in a fresh interpreter.
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
#: Set in the fresh interpreter that measures memory (see below).
ISOLATED = "SSE_WIDGET_MEMORY_TEST_ISOLATED"


@pytest.mark.timeout(360)
def test_hundreds_of_widgets_made_and_closed_are_freed(
    recorder: Recorder, request: pytest.FixtureRequest
) -> None:
    if not os.environ.get(ISOLATED):
        # Measured in a fresh interpreter, as in a user's kernel: in the suite's process,
        # what earlier tests left in the C allocator (the SDK tests' clients, many
        # threads' arenas) moved RSS by 30-40 MB over the same 300 cycles, while the
        # Python objects kept stayed under 0.1 MB.
        result = subprocess.run(
            [*PYTEST, f"{__file__}::{request.node.name}"],
            env={**os.environ, ISOLATED: "1"},
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        assert "1 passed" in result.stdout, result.stdout[-4000:]
        return
    with MockServer() as mock:
        url = mock.url_for("/stream", count=20, huge=100_000)  # 100 KB each

        def cycle() -> weakref.ref[StreamWidget]:
            widget = StreamWidget(url, format="text", render="text")
            assert len(widget.wait(10)) > 100_000
            widget.close()
            # The test's own records would grow: every message, every request.
            with recorder.lock:
                recorder.sent.clear()
            mock.requests.clear()
            return weakref.ref(widget)

        for _ in range(20):  # warm up: caches, the pool of threads, the module widget
            cycle()
        gc.collect()
        before = rss_bytes()
        tracemalloc.start()
        traced = tracemalloc.get_traced_memory()[0]
        registered = len(widget_registry)
        refs = [cycle() for _ in range(300)]
    gc.collect()
    # What Python objects still hold: a leak of even 4 KB a widget would show here.
    kept = tracemalloc.get_traced_memory()[0] - traced
    tracemalloc.stop()
    assert kept < 2**20, f"{kept / 2**20:.1f} MB of Python objects kept after 300 widgets"
    assert len(widget_registry) <= registered + 1, "closed widgets left open comms behind"
    alive = [o for o in gc.get_objects() if isinstance(o, StreamWidget)]
    assert len(alive) <= 1, f"{len(alive)} StreamWidget instances still alive"
    assert sum(ref() is not None for ref in refs) <= 1
    grown = rss_bytes() - before
    assert grown < 10 * 2**20, f"RSS grew {grown / 2**20:.1f} MB over 300 widgets"


def test_restarts_leave_one_stats_timer(recorder: Recorder, mock: MockServer) -> None:
    widget = StreamWidget(mock.url_for("/stream", count=10_000, delay=0.05), format="text")
    for _ in range(30):
        widget.restart()
    time.sleep(0.6)
    # Figures-only deltas come from the stats timer: one timer sends ~4 a second.
    with recorder.lock:
        start = time.monotonic()
    time.sleep(1.5)
    with recorder.lock:
        recent = [
            s.data["content"]
            for s in recorder.sent
            if s.at >= start and s.data.get("method") == "custom"
        ]
    timers = [m for m in recent if m["kind"] == "delta" and "stats" in m and m["gen"] == 31]
    assert len(timers) <= 1.5 * 4 + 2, f"{len(timers)} figure messages in 1.5 s"
    assert widget._ticker is not None
    widget.close()
    assert widget._ticker is None


# -- bytes on the wire --------------------------------------------------------------


def test_a_new_widget_costs_a_few_kilobytes_not_the_whole_module(
    recorder: Recorder, mock: MockServer
) -> None:
    first = StreamWidget(mock.url_for("/stream"), autostart=False)
    with recorder.lock:
        recorder.sent.clear()
    widget = StreamWidget(mock.url_for("/stream"), autostart=False)
    time.sleep(0.1)
    with recorder.lock:
        size = sum(len(json.dumps(s.data)) for s in recorder.sent)
    assert size < 4096, f"a new widget sent {size} bytes"
    assert len(module_source()) > 100_000  # the module itself went once
    first.close()
    widget.close()


def test_the_module_goes_to_the_page_once_per_kernel(recorder: Recorder) -> None:
    StreamWidget("http://127.0.0.1:9/", autostart=False).close()
    with recorder.lock:
        recorder.sent.clear()
    widgets = [StreamWidget("http://127.0.0.1:9/", autostart=False) for _ in range(5)]
    with recorder.lock:
        opened = [
            s.data["state"]
            for s in recorder.sent
            if s.msg_type == "comm_open" and s.data["state"]["_model_name"] == "AnyModel"
        ]
    assert len(opened) == 5  # the module widget was open already: no sixth
    assert {state["_module_key"] for state in opened} == {module_key()}
    assert all(len(state["_esm"]) < 4096 for state in opened)
    ModuleWidget.close_all()  # e.g. Widget.close_all(): the next widget brings it again
    with recorder.lock:
        recorder.sent.clear()
    StreamWidget("http://127.0.0.1:9/", autostart=False).close()
    with recorder.lock:
        states = [
            s.data["state"]
            for s in recorder.sent
            if s.msg_type == "comm_open" and s.data["state"]["_model_name"] == "AnyModel"
        ]
    assert states[0]["provides"] == module_key()
    assert states[0]["_esm"] == module_source()
    for widget in widgets:
        widget.close()


def test_a_loader_that_asks_gets_the_module_in_parts(recorder: Recorder) -> None:
    widget = StreamWidget("http://127.0.0.1:9/", autostart=False)
    from_front_end(widget, {"kind": "module", "key": module_key()})
    deadline = time.monotonic() + 5
    while len(recorder.custom("module")) < len(module_parts()) and time.monotonic() < deadline:
        time.sleep(0.01)
    parts = recorder.custom("module")
    assert [p["part"] for p in parts] == list(range(len(parts)))
    assert "".join(p["source"] for p in parts) == module_source()
    widget.close()


# -- arguments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_chars": 0}, ValueError, "max_chars must be at least 1"),
        ({"max_chars": 1.5}, TypeError, "max_chars must be an int"),
        ({"max_events": "10"}, TypeError, "max_events must be an int"),
        ({"max_event_rows": -1}, ValueError, "max_event_rows must be at least 1"),
        ({"on_message": "print"}, TypeError, "on_message must be callable"),
        ({"on_close": 3}, TypeError, "on_close must be callable"),
        ({"autostart": "yes"}, TypeError, "autostart must be True or False"),
        ({"allow_remote_images": 1}, TypeError, "allow_remote_images must be True or False"),
    ],
)
def test_widget_arguments_are_checked_at_the_call(
    recorder: Recorder, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        StreamWidget("http://127.0.0.1:9/", **kwargs)


# -- hostile servers, through the widget ---------------------------------------------


def test_a_silent_server_leaves_connecting_with_a_typed_error(recorder: Recorder) -> None:
    with serve(silent) as server:
        started = time.monotonic()
        widget = StreamWidget(server.url + "/v1/chat/completions", json={}, timeout=0.5)
        with pytest.raises(RetriesExhaustedError) as caught:
            widget.wait(20)
        elapsed = time.monotonic() - started
        assert isinstance(caught.value.last_error, ConnectError)
        assert "no response from" in str(caught.value)
        assert widget.status == "error"
        assert widget.error_info["type"] == "RetriesExhaustedError"
        # Three tries of 0.5 s and two short waits, not minutes.
        assert 1.5 <= elapsed < 8, elapsed
        assert len(server.connections) == 3
        widget.close()


def test_an_event_past_max_event_bytes_ends_the_stream_with_the_text_so_far(
    recorder: Recorder, mock: MockServer
) -> None:
    url = mock.url_for("/stream", count=5, huge=50_000)  # the first event is 50 KB
    widget = StreamWidget(url, format="text", render="text", max_event_bytes=10_000)
    with pytest.raises(EventTooLargeError, match="max_event_bytes") as caught:
        widget.wait(10)
    assert caught.value.limit == 10_000
    assert widget.status == "error"
    assert widget.error_info["type"] == "EventTooLargeError"
    widget.close()


def test_a_persistent_http_error_carries_its_response_in_the_widget(
    recorder: Recorder, mock: MockServer
) -> None:
    widget = StreamWidget(mock.url_for("/stream", status=500), format="text")
    with pytest.raises(RetriesExhaustedError) as caught:
        widget.wait(15)
    assert caught.value.status_code == 500
    assert widget.error_info["status_code"] == 500
    widget.close()
