"""``StreamWidget``: a live view of one stream in a notebook.

The widget is a thin consumer of ``aiter_events``: it runs the stream as a task on the
shared streams thread (``_loop.py``), feeds each event to an extractor, and appends the
text to a ``DeltaChannel`` (``_coalesce.py``) that sends coalesced, numbered deltas to
the front end; the live figures (``stats``) ride along in those deltas, at most 4 times a
second. Status and errors are synced traitlets, changed only when they change.

Synced traitlets (kernel → front end, read-only in Python):

=====================  =================================================================
``status``             idle, connecting, streaming, reconnecting, done, stopped, error
``render``             markdown, text or events
``method``             the HTTP method
``display_url``        the URL with credentials redacted
``reconnect_info``     attempt, max_attempts, delay_s while reconnecting, else {}
``error_info``         type, message, status_code, body when failed, else {}
``generation``         increments on every (re)start; the view clears its text
``allow_remote_images``  whether the markdown view may load remote images (default off)
``max_event_rows``     rows the events view keeps
``transport``          kernel (the kernel makes the request) or browser (a view does)
=====================  =================================================================

Read-only in Python, not synced: ``stats`` (ttfb_s, ttft_s, tokens, events, bytes,
elapsed_s, tokens_per_s, reconnects, usage); the view gets them in the deltas.

Custom messages: deltas and snapshots (see ``_coalesce.py``), and from the front end
``{"kind": "sync"}``, ``{"kind": "stop"}``, ``{"kind": "restart"}``; with
``transport="browser"``, the conversation with the view that makes the request (see
``_browser.py``).

Credentials (headers, auth, cookies, URL userinfo, secret-looking query parameters) stay
in the kernel: only ``method`` and the redacted ``display_url`` describe the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import anywidget
import httpx
import traitlets

from ._arguments import checked_count, checked_flag, checked_hook
from ._browser import PageLink
from ._budget import MessageBudget
from ._coalesce import DeltaChannel
from ._exceptions import ResponseError, RetriesExhaustedError, StreamError
from ._feed import StreamFeed
from ._formats import FormatSpec, ToolCall, get_extractor
from ._front_end import (
    STATIC,
    ensure_module_widget,
    hot_reload,
    loader_source,
    module_key,
    module_parts,
)
from ._loop import streams_thread
from ._models import Event, ReconnectAttempt
from ._output import Displays, saved_answer
from ._reconnect import ReconnectSpec
from ._request import WidgetRequest
from ._session import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_TIMEOUT,
    ErrorHook,
    OpenHook,
)
from ._stats import StreamStats

__all__ = ["StreamWidget"]

logger = logging.getLogger("sse_widget")

RENDERS = ("markdown", "text", "events")
#: Messages of the conversation with the view making a browser request (see _browser.py).
_PAGE_KINDS = frozenset({"volunteer", "response", "events", "alive", "end", "fail", "gone"})
_ACTIVE = ("connecting", "streaming", "reconnecting")
#: Seconds between stats updates sent to the front end while streaming.
STATS_INTERVAL = 0.25


#: Characters of text a widget keeps by default (``max_chars``).
DEFAULT_MAX_CHARS = 2_000_000


def _schedule(delay: float, callback: Callable[[], None]) -> object:
    return streams_thread.loop.call_later(delay, callback)


#: Every widget of the kernel sends through this one budget (see _budget.py).
kernel_budget = MessageBudget(_schedule)


class StreamWidget(anywidget.AnyWidget):
    """A live view of a Server-Sent Events stream.

    Example::

        w = StreamWidget("https://api.example.com/v1/chat/completions",
                         json={"model": "gpt-4o-mini", "stream": True, "messages": [...]},
                         headers={"Authorization": f"Bearer {key}"},
                         format="openai")
        w               # the last line of a cell shows the live view
        w.wait()        # in a later cell: the final text, or the stream's error

    The request options are those of ``aiter_events``. ``format`` turns events into text
    (``"text"``, ``"openai"``, ``"openai-responses"``, ``"anthropic"``, ``"json:<path>"``
    or a callable); ``render`` is ``"markdown"``, ``"text"`` or ``"events"``. Streaming
    starts at once unless ``autostart=False``.

    ``transport="browser"`` has the page make the request instead of the kernel, for
    endpoints only the reader's browser can reach (a model on the reader's laptop, a VPN):
    the first view showing the widget fetches and forwards the events; everything else
    is the same. The headers, key included, then reach the page's JavaScript.

    Callbacks run on the streams thread, not the kernel's main thread:
    ``on_open(response)`` may reject a response by raising; ``on_message(event)`` sees
    every event; ``on_error(error)`` may return a retry delay in seconds, ``None`` (the
    policy decides) or raise to stop; ``on_close()`` runs once when the stream ends.
    """

    # A small loader that finds the front end the kernel sends once (see _front_end.py);
    # the whole module, watched, under anywidget's hot reload.
    _esm = (STATIC / "widget.js") if hot_reload() else loader_source()

    status = traitlets.Unicode("idle", read_only=True).tag(sync=True)
    render = traitlets.Unicode("markdown", read_only=True).tag(sync=True)
    method = traitlets.Unicode("GET", read_only=True).tag(sync=True)
    display_url = traitlets.Unicode("", read_only=True).tag(sync=True)
    # Not synced: the figures travel with the deltas (see _coalesce.py), costing no
    # messages of their own.
    stats = traitlets.Dict(read_only=True)
    reconnect_info = traitlets.Dict(read_only=True).tag(sync=True)
    error_info = traitlets.Dict(read_only=True).tag(sync=True)
    generation = traitlets.Int(0, read_only=True).tag(sync=True)
    allow_remote_images = traitlets.Bool(False).tag(sync=True)
    max_event_rows = traitlets.Int(500, read_only=True).tag(sync=True)
    transport = traitlets.Unicode("kernel", read_only=True).tag(sync=True)
    # A random id, so that the front end can hand a drawn view over to the new view that
    # JupyterLab makes when this widget's display is updated (see js/widget.js).
    _view_key = traitlets.Unicode(read_only=True).tag(sync=True)
    # Which build of the front end the loader waits for.
    _module_key = traitlets.Unicode(read_only=True).tag(sync=True)

    def __init__(
        self,
        url: str | httpx.URL,
        *,
        method: str | None = None,
        headers: Mapping[str, str] | httpx.Headers | None = None,
        params: Any = None,
        json: Any = None,
        content: str | bytes | None = None,
        format: FormatSpec = "text",
        render: str = "markdown",
        reconnect: ReconnectSpec = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        autostart: bool = True,
        client: httpx.AsyncClient | None = None,
        on_open: OpenHook | None = None,
        on_message: Callable[[Event], object] | None = None,
        on_error: ErrorHook | None = None,
        on_close: Callable[[], object] | None = None,
        max_events: int = 1000,
        max_event_rows: int = 500,
        max_chars: int | None = DEFAULT_MAX_CHARS,
        max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
        allow_remote_images: bool = False,
        transport: str = "kernel",
    ) -> None:
        if render not in RENDERS:
            raise ValueError(
                f"render must be one of {', '.join(map(repr, RENDERS))}, not {render!r}"
            )
        # A bad format fails here, not later on the streams thread.
        get_extractor(format)
        checked_hook("on_message", on_message)
        checked_hook("on_close", on_close)
        checked_count("max_events", max_events)
        checked_count("max_event_rows", max_event_rows)
        checked_count("max_chars", max_chars, none=True)
        checked_flag("autostart", autostart)
        checked_flag("allow_remote_images", allow_remote_images)
        self._format = format
        self._on_open = on_open
        self._on_message = on_message
        self._on_close = on_close
        # Checks every argument of the request now, on the caller's thread.
        self._request = WidgetRequest(
            url=url, method=method, headers=headers, params=params, json=json,
            content=content, timeout=timeout, idle_timeout=idle_timeout, reconnect=reconnect,
            client=client, on_error=on_error, max_event_bytes=max_event_bytes,
            transport=transport,
        )  # fmt: skip
        # The views' side of a browser request; it sends through the channel, made below.
        self._link = PageLink(self._send_custom)
        # Every message this widget sends goes through its channel's outbox, so the
        # channel exists before the first one (the state sent below).
        self._channel = DeltaChannel(
            self._send_now,
            kernel_budget,
            keep_rows=max_event_rows if render == "events" else 0,
            max_chars=max_chars,
        )
        # Set before the comm opens, so they travel in its one opening message.
        self.set_trait("method", self._request.shown_method)
        self.set_trait("display_url", self._request.display_url)
        self.set_trait("render", render)
        self.set_trait("max_event_rows", max_event_rows)
        self.set_trait("transport", transport)
        self.set_trait("_view_key", uuid.uuid4().hex)
        self.set_trait("_module_key", module_key())
        ensure_module_widget()  # before this widget's comm opens: the page gets it first
        super().__init__(allow_remote_images=allow_remote_images)
        self._path = self._request.shown_url.path

        # Reads a slow stream once per delta instead of once per token (see _coalesce.py).
        self._events: deque[Event] = deque(maxlen=max_events)
        self._stats = StreamStats()
        # The reader of a run (a new one each start); this one answers until then.
        self._feed = StreamFeed(format, self._channel, self._stats, keep_rows=False)
        self._channel.extras = lambda: self._feed.extras()
        self._error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.TimerHandle | None = None
        self._started = False
        self._finished = threading.Event()
        self._displays = Displays()
        self.on_msg(self._on_front_end_message)
        if autostart:
            self.start()

    # -- what users read ----------------------------------------------------------

    @property
    def text(self) -> str:
        """The text received so far (its last ``max_chars`` characters: see
        ``stats["chars_dropped"]`` for what went before)."""
        return self._channel.text

    @property
    def reasoning(self) -> str:
        """The model's reasoning ("thinking") so far, for formats that stream it (its last
        ``max_chars`` characters)."""
        return self._feed.extractor.reasoning

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls the model made so far: ``id``, ``name``, ``arguments`` (the raw
        streamed text; ``.json()`` parses it), ``done``. Copies: changing them changes
        nothing here."""
        return [dataclasses.replace(call) for call in list(self._feed.extractor.tool_calls)]

    @property
    def finish_reason(self) -> str | None:
        """Why the model stopped, in the provider's word (``"stop"``, ``"length"``,
        ``"tool_calls"``, ``"end_turn"``, ``"max_tokens"``, ``"STOP"``...); ``None`` until
        the stream says."""
        return self._feed.extractor.finish_reason

    @property
    def events(self) -> list[Event]:
        """The most recent events (at most ``max_events``)."""
        return list(self._events)

    @property
    def error(self) -> BaseException | None:
        """Why the stream failed (a ``StreamError``, or your callback's exception)."""
        return self._error

    def __repr__(self) -> str:
        # Stable across runs (no address, no host or port) so saved notebooks compare.
        format_name = self._format if isinstance(self._format, str) else "callable"
        return (
            f"StreamWidget({self.method} {self._path}, format={format_name!r}, "
            f"render={self.render!r})"
        )

    # -- control ------------------------------------------------------------------

    def start(self) -> None:
        """Start streaming (a no-op while a stream runs)."""
        if self.status in _ACTIVE:
            return
        events = self._open_stream()
        generation = self.generation + 1
        # A new event per run: the last run's end, still on its way to the views, must
        # not end this one's wait().
        self._finished = threading.Event()
        self._error = None
        self._stats = StreamStats()
        with self.hold_sync():
            self.set_trait("generation", generation)
            self.set_trait("stats", self._stats.as_dict())  # every figure there from the start
            self.set_trait("error_info", {})
            self.set_trait("reconnect_info", {})
            self.set_trait("status", "connecting")
        self._started = True
        streams_thread.call(self._launch, events, generation, self._finished)

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel the stream and close its connection; returns once it has stopped."""
        if self.status not in _ACTIVE:
            return
        # Queued behind _launch on the streams loop, so the task exists by then.
        streams_thread.call(self._cancel)
        if not streams_thread.in_thread():
            self._finished.wait(timeout)

    def restart(self) -> None:
        """Stop the stream if it runs, then start it again with the same request."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the stream (closing its connection) and close the widget's views."""
        self.stop()
        channel: DeltaChannel | None = self.__dict__.get("_channel")  # None: __init__ failed
        if channel is not None and not channel.outbox.closed:
            if self.comm is not None:
                # What is queued (the end's state and display update) goes now, then
                # nothing more.
                streams_thread.run(channel.outbox.drain)
            streams_thread.run(channel.outbox.close)
        super().close()
        # ipywidgets gives every widget a Layout widget of its own and never closes it:
        # each would stay registered, and open in the page, for the kernel's lifetime.
        layout = self.__dict__.get("_trait_values", {}).get("layout")
        if layout is not None:
            layout.close()

    def wait(self, timeout: float | None = None) -> str:
        """Block until the stream ends; return its text or raise its error.

        Safe in a notebook cell: the stream runs on its own thread. Raises
        ``TimeoutError`` if ``timeout`` seconds pass first.
        """
        if streams_thread.in_thread():
            raise RuntimeError("wait() would deadlock on the streams thread; use wait_async()")
        if not self._started:
            raise RuntimeError("the stream was never started: call start() first")
        if not self._finished.wait(timeout):
            raise TimeoutError(f"the stream did not end within {timeout} s")
        return self._result()

    async def wait_async(self, timeout: float | None = None) -> str:
        """``await widget.wait_async()``: the awaitable form of ``wait()``."""
        if not self._started:
            raise RuntimeError("the stream was never started: call start() first")
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, self._finished.wait, timeout):
            raise TimeoutError(f"the stream did not end within {timeout} s")
        return self._result()

    def _result(self) -> str:
        if self._error is not None:
            raise self._error
        return self.text

    # -- the notebook output ------------------------------------------------------

    def _ipython_display_(self) -> None:
        self._displays.show(self._repr_mimebundle_())

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        bundle = super()._repr_mimebundle_(**kwargs)
        assert bundle is not None  # None only for a widget without a view
        if self.status not in ("done", "stopped", "error"):
            return bundle
        return saved_answer(
            bundle,
            text=self.text,
            render=self.render,
            fallback=repr(self),
            reasoning=self.reasoning,
            tool_calls=self.tool_calls,
            finish_reason=self.finish_reason,
        )

    # -- the stream, on the streams thread ----------------------------------------

    def _open_stream(self) -> AsyncIterator[Event]:
        return self._request.open(
            on_open=self._opened, on_reconnect=self._reconnecting, link=self._link
        )

    def _launch(
        self, events: AsyncIterator[Event], generation: int, finished: threading.Event
    ) -> None:
        task = streams_thread.loop.create_task(self._run(events, generation, finished))
        task.add_done_callback(functools.partial(self._task_done, finished))
        self._task = task

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _task_done(self, finished: threading.Event, task: asyncio.Task[None]) -> None:
        # A task cancelled before its first step never enters _run's try/finally (_run
        # itself swallows cancellation, so only that task ends up cancelled).
        if task.cancelled():
            self._finish("stopped", finished)

    async def _run(
        self, events: AsyncIterator[Event], generation: int, finished: threading.Event
    ) -> None:
        channel = self._channel
        channel.reset(generation)
        self._events.clear()
        feed = self._feed = StreamFeed(
            self._format, channel, self._stats, keep_rows=self.render == "events"
        )
        self._schedule_tick(generation)
        outcome = "done"
        try:
            async for event in events:
                if self.status != "streaming":
                    self.set_trait("status", "streaming")
                self._events.append(event)
                if self._on_message is not None:
                    self._on_message(event)
                feed.event(event)
        except asyncio.CancelledError:
            outcome = "stopped"
        except Exception as exc:  # a StreamError, or a callback's own exception
            outcome = "error"
            self._error = exc
        finally:
            if self._ticker is not None:
                self._ticker.cancel()
                self._ticker = None
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]
            self._finish(outcome, finished)

    def _finish(self, outcome: str, finished: threading.Event) -> None:
        self._stats.end()
        self._publish_stats()
        self._channel.send_stats()
        with self.hold_sync():
            self.set_trait("reconnect_info", {})
            if self._error is not None:
                self.set_trait("error_info", _describe_error(self._error))
            self.set_trait("status", outcome)
        self._task = None
        self._displays.update(self._repr_mimebundle_(), self._channel.outbox)
        if self._on_close is not None:
            try:
                self._on_close()
            except Exception:
                logger.exception("on_close raised")
        # wait() returns once the views have been told everything, the end included.
        self._channel.outbox.then(finished.set)  # this run's event (see start)

    def _opened(self, response: httpx.Response) -> None:
        self._stats.opened()
        self.set_trait("reconnect_info", {})
        if self.status != "streaming":
            self.set_trait("status", "streaming")
        if self._on_open is not None:
            self._on_open(response)

    def _reconnecting(self, attempt: ReconnectAttempt) -> None:
        self._stats.reconnects += 1
        self.set_trait(
            "reconnect_info",
            {
                "attempt": attempt.attempt,
                "max_attempts": attempt.max_attempts,
                "delay_s": round(attempt.delay, 3),
            },
        )
        self.set_trait("status", "reconnecting")

    def _schedule_tick(self, generation: int) -> None:
        # One timer per widget: a restart's stream replaces the last one's.
        if self._ticker is not None:
            self._ticker.cancel()
        self._ticker = streams_thread.loop.call_later(STATS_INTERVAL, self._tick, generation)

    def _tick(self, generation: int) -> None:
        if self._task is None or generation != self.generation:
            return
        self._publish_stats()
        self._channel.send_stats()  # rides on the next delta, or goes alone if none flows
        self._schedule_tick(generation)

    def _publish_stats(self) -> None:
        # Read when the figures go out (4 a second), not on every event.
        self._stats.chars_dropped = self._channel.dropped_chars
        stats = self._stats.as_dict()
        self.set_trait("stats", stats)
        self._channel.set_stats(stats)

    # -- messages to the front end: every one waits for its turn in the budget ----

    def _send(self, msg: dict[str, Any], buffers: Any = None) -> None:
        # ipywidgets sends state updates and custom messages through here, from any
        # thread; they go out in order, on the streams thread, when the budget allows.
        channel = self.__dict__.get("_channel")
        if self.comm is None or channel is None:
            # Not open yet (anywidget's traits, added before the comm opens, are in its
            # opening message anyway) or closed: nothing to send, as in ipywidgets.
            return
        streams_thread.call(
            channel.outbox.put, lambda: super(StreamWidget, self)._send(msg, buffers)
        )

    def _send_now(self, message: dict[str, Any]) -> None:
        """Send a custom message now (its turn has come)."""
        super()._send({"method": "custom", "content": message})

    def _send_custom(self, message: dict[str, Any]) -> None:
        """Queue a custom message for its turn (on the streams thread)."""
        self._channel.outbox.put(functools.partial(self._send_now, message))

    def _on_front_end_message(self, _widget: object, content: Any, _buffers: object) -> None:
        kind = content.get("kind") if isinstance(content, dict) else None
        if kind in _PAGE_KINDS:
            streams_thread.call(self._link.receive, content)
        elif kind == "sync":
            streams_thread.call(self._channel.send_snapshot)
        elif kind == "stop":
            self.stop()
        elif kind == "restart":
            self.restart()
        elif kind == "module":
            streams_thread.call(self._send_module)

    def _send_module(self) -> None:
        # A host that never loaded the kernel's module widget (marimo) asks here.
        for message in module_parts():
            self._send_custom(message)


def _describe_error(error: BaseException) -> dict[str, Any]:
    info: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, (ResponseError, RetriesExhaustedError)) and error.status_code:
        info["status_code"] = error.status_code
        info["body"] = error.body
    elif not isinstance(error, StreamError):
        info["message"] = f"{type(error).__name__}: {error}"
    return info
