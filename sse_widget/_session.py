"""One stream's state across its connections, and every decision about it, without I/O.

The sync and async loops in ``_api.py`` do the I/O; they ask a ``StreamSession`` what to
send, whether a response is acceptable, and what to do when a connection ends. Keeping the
decisions here is what lets the twins stay short and agree.

The lifecycle of one stream::

    request ──► response ──► check ──► events … ──► end of body ──► done (safe)
       ▲           │            │                        │        └► wait, reconnect (eventsource)
       │           │            ├─ 204: done             │
       │           │            └─ other status / type: ResponseError
       │           └─ network failure, idle timeout ─────┤
       │                                                 ▼
       └──── wait (backoff, retry:, Retry-After) ◄── may we reconnect?  no ──► raise
                                                         (attempts left? resumable?)

A request sends ``Last-Event-ID`` when the stream has a last event id (from the events,
or the caller's own ``Last-Event-ID`` header, which resumes a stream saved earlier). Each
connection gets a fresh decoder that starts from that id; the reconnection time set by
``retry:`` lasts for the whole stream.

Every wait up to the response headers (connecting, sending, the server thinking before
it answers) is bounded by ``timeout``: a server that accepts the connection and never
answers is a ``ConnectError`` after ``timeout`` seconds, not an idle stream. Only the
body's reads wait ``idle_timeout``, since a model may think for minutes between bytes.
"""

from __future__ import annotations

import email.utils
import enum
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ._arguments import (
    checked_content,
    checked_headers,
    checked_hook,
    checked_limit,
    checked_method,
    checked_params,
    checked_seconds,
    json_body,
)
from ._decoder import EventDecoder
from ._exceptions import (
    ConnectError,
    ConnectionLostError,
    ContentTypeError,
    EventTooLargeError,
    HTTPStatusError,
    IdleTimeoutError,
    NetworkError,
    ResponseError,
    RetriesExhaustedError,
    StreamError,
)
from ._models import ReconnectAttempt
from ._reconnect import Reconnect, ReconnectSpec, resolve_policy
from ._redact import redact_url

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_TIMEOUT",
    "ErrorHook",
    "OpenHook",
    "ReconnectHook",
    "ResponseCheck",
    "StreamSession",
]

#: Seconds to connect, to send the request, and to wait for the response headers.
DEFAULT_TIMEOUT = 10.0
#: Seconds without a single byte before a stream counts as dead. Generous on purpose:
#: reasoning models can think for minutes before their first token.
DEFAULT_IDLE_TIMEOUT = 300.0
#: The largest line or event (its data) a stream may send: far above any real event,
#: low enough that a server that never ends a line cannot exhaust memory.
DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024

#: Request headers the session sets itself, whatever the caller gave.
_SET_BY_US = (b"accept", b"cache-control", b"last-event-id")

OpenHook = Callable[[httpx.Response], object]
ReconnectHook = Callable[[ReconnectAttempt], object]
#: ``on_error(error)``: return seconds to retry after, ``None`` to let the policy decide,
#: or raise to stop with that exception.
ErrorHook = Callable[[StreamError], "float | None"]


class ResponseCheck(enum.Enum):
    """What a response's status and headers say about the stream."""

    OK = "ok"
    NO_CONTENT = "no content"  # 204: the server says there is nothing to stream; not an error
    BAD_STATUS = "bad status"
    BAD_CONTENT_TYPE = "bad content type"

    def error(self, response: httpx.Response, body: bytes) -> ResponseError:
        if self is ResponseCheck.BAD_CONTENT_TYPE:
            return ContentTypeError.from_response(response, body)
        return HTTPStatusError.from_response(response, body)


class StreamSession:
    """The state of one ``aiter_events``/``iter_events`` call, shared by its connections.

    Every argument is checked here, so a mistake raises ``TypeError`` or ``ValueError``
    at the call, before any request; ``json`` is serialized here, once.
    """

    def __init__(
        self,
        url: str | httpx.URL,
        *,
        method: str | None,
        headers: Mapping[str, str] | httpx.Headers | None,
        params: Any,
        json: Any,
        content: str | bytes | None,
        timeout: float | None,
        idle_timeout: float | None,
        reconnect: ReconnectSpec,
        on_open: OpenHook | None,
        on_reconnect: ReconnectHook | None,
        on_error: ErrorHook | None = None,
        max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self.url = _checked_url(url)
        if json is not None and content is not None:
            raise TypeError("pass json= or content=, not both")
        self.method = checked_method(method, has_body=json is not None or content is not None)
        self.timeout = checked_seconds("timeout", timeout)
        self.idle_timeout = checked_seconds("idle_timeout", idle_timeout)
        self.max_event_bytes = checked_limit(max_event_bytes)
        self.policy: Reconnect | None = resolve_policy(reconnect)
        self._headers = checked_headers(headers)
        self._params = checked_params(params)
        self._content = checked_content(content)
        if json is not None:
            self._content = json_body(json)
            if "content-type" not in self._headers:
                self._headers["Content-Type"] = "application/json"
        self._on_open = checked_hook("on_open", on_open)
        self._on_reconnect = checked_hook("on_reconnect", on_reconnect)
        self._on_error = checked_hook("on_error", on_error)
        self.shown_url = redact_url(str(self.url))
        try:
            # What the checks above leave to httpx (the URL with params merged, the
            # encoding of each part) fails here rather than at the first connection.
            httpx.Request(
                self.method,
                self.url,
                params=self._params,
                headers=self._headers,
                content=self._content,
            )
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"the request cannot be built: {exc}") from exc

        # A Last-Event-ID the caller sends resumes a stream saved earlier: it becomes the
        # stream's starting id (and is sent on the first request too).
        self._decoder = EventDecoder(self._headers.get("last-event-id", ""))
        self._retry_ms: int | None = None
        #: Events dispatched over all connections, and on the current one.
        self.events_total = 0
        self._events_on_connection = 0
        #: Consecutive attempts that have not yet delivered an event.
        self.attempt = 0
        # Whether the current connection got past its headers: a read timeout before
        # that is a server that does not answer, after it an idle stream.
        self._body_started = False

    # -- what to send ---------------------------------------------------------------

    @property
    def last_event_id(self) -> str:
        return self._decoder.last_event_id

    @property
    def reconnection_time(self) -> float | None:
        """The server's ``retry:`` in seconds, if it sent one on any connection."""
        retry = self._decoder.retry if self._decoder.retry is not None else self._retry_ms
        return None if retry is None else retry / 1000

    def request_args(self) -> dict[str, Any]:
        """Keyword arguments for ``client.build_request(method, url, ...)`` for the next
        connection (sent with ``follow_redirects=True``)."""
        raw = [(k, v) for k, v in self._headers.raw if k.lower() not in _SET_BY_US]
        # As httpx-sse sends them: caches and proxies must not hold the stream back.
        raw += [(b"Accept", b"text/event-stream"), (b"Cache-Control", b"no-store")]
        if self.last_event_id:
            # Encoded here: the spec says UTF-8, and httpx's default for str is ASCII.
            raw.append((b"Last-Event-ID", self.last_event_id.encode("utf-8")))
        headers = httpx.Headers(raw)
        return {
            "headers": headers,
            "params": self._params,
            "content": self._content,
            # Reads wait `timeout` until the headers are in; connected() then gives the
            # body's reads idle_timeout.
            "timeout": httpx.Timeout(self.timeout),
        }

    # -- what came back -------------------------------------------------------------

    @staticmethod
    def check(response: httpx.Response) -> ResponseCheck:
        if response.status_code == 204:
            return ResponseCheck.NO_CONTENT
        if response.status_code != 200:
            return ResponseCheck.BAD_STATUS
        if mime_essence(response.headers.get("content-type", "")) != "text/event-stream":
            return ResponseCheck.BAD_CONTENT_TYPE
        return ResponseCheck.OK

    def connected(self, response: httpx.Response) -> EventDecoder:
        """A fresh decoder for an accepted response; runs the ``on_open`` hook first.

        From here on the response's reads wait ``idle_timeout``, not ``timeout``.
        """
        if self._on_open is not None:
            self._on_open(response)
        # httpcore takes the read timeout of a body's reads from this dict when the body
        # is first read (HTTP/1.1) or at each read (HTTP/2): both come after this point.
        # It is the dict the request was sent with, shared by redirects of the request.
        timeouts = response.request.extensions.get("timeout")
        if isinstance(timeouts, dict):
            timeouts["read"] = self.idle_timeout
        self._body_started = True
        if self._decoder.retry is not None:
            self._retry_ms = self._decoder.retry
        self._decoder = EventDecoder(
            self._decoder.last_event_id, max_event_bytes=self.max_event_bytes
        )
        self._events_on_connection = 0
        return self._decoder

    def received(self, count: int) -> None:
        """``count`` events were dispatched on the current connection."""
        self.events_total += count
        self._events_on_connection += count
        self.attempt = 0

    def parsed_elsewhere(self, last_event_id: str, retry_ms: int | None) -> None:
        """An event the page parsed (``transport="browser"``): its last event id and
        reconnection time are the stream's, as if this session's decoder had read it."""
        self._decoder.last_event_id = last_event_id
        if retry_ms is not None:
            self._decoder.retry = retry_ms

    def too_large(self, decoder: EventDecoder) -> EventTooLargeError:
        """The error for a decoder that found a line or event over ``max_event_bytes``."""
        assert self.max_event_bytes is not None
        return EventTooLargeError(
            limit=self.max_event_bytes, url=self.shown_url, part=decoder.exceeded
        )

    # -- what to do next ------------------------------------------------------------

    def after_end(self) -> float | None:
        """The body ended cleanly: seconds to wait before reconnecting, or ``None`` to stop."""
        self._body_started = False
        if self.policy is None or self.policy.mode != "eventsource":
            return None
        return self._next_attempt(error=None)

    def after_failure(self, exc: httpx.HTTPError | StreamError) -> float:
        """A connection failed: seconds to wait before reconnecting; raises if we may not."""
        error, retryable = self._classify(exc)
        self._body_started = False
        if self._on_error is not None:
            chosen = self._on_error(error)
            if chosen is not None:
                # The caller decided, knowingly: retry even where the policy would not.
                return self._next_attempt(error=error, delay=float(chosen))
        if not retryable or self.policy is None:
            raise error
        return self._next_attempt(error=error)

    def _classify(self, exc: httpx.HTTPError | StreamError) -> tuple[StreamError, bool]:
        if isinstance(exc, ResponseError):
            return exc, self._may_retry_status(exc)
        if isinstance(exc, StreamError):
            return exc, False  # too large: the same event would come again
        error = self._network_error(exc)
        if error is None:
            return ConnectError(f"could not send the request to {self.shown_url}: {exc}"), False
        error.__cause__ = exc
        if self.policy is not None and self.policy.mode == "eventsource":
            return error, True  # EventSource reestablishes the connection after any failure.
        # Resuming by id is always safe; repeating the request only while nothing arrived.
        return error, bool(self.last_event_id) or self.events_total == 0

    def _may_retry_status(self, error: ResponseError) -> bool:
        policy = self.policy
        if policy is None or policy.mode == "eventsource" or isinstance(error, ContentTypeError):
            return False  # EventSource fails the connection on any non-200 or wrong type.
        resumable = bool(self.last_event_id) or self.events_total == 0
        wait = _retry_after(error)
        if wait is not None and wait > policy.max_retry_after:
            return False  # the server's answer now beats a silent wait that long
        return error.status_code in policy.retry_statuses and resumable

    def _network_error(self, exc: httpx.HTTPError) -> NetworkError | None:
        url = self.shown_url
        if isinstance(exc, httpx.ReadTimeout) and not self._body_started:
            return ConnectError(f"no response from {url} within {self.timeout:g} s (timeout)")
        if isinstance(exc, httpx.ReadTimeout):
            return IdleTimeoutError(
                f"no data from {url} for {self.idle_timeout:g} s (idle_timeout)",
                url=url,
                idle_timeout=self.idle_timeout,
            )
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            return ConnectError(f"could not connect to {url}: {_describe(exc)}", url=url)
        if isinstance(exc, (httpx.WriteError, httpx.WriteTimeout)):
            return ConnectError(f"could not send the request to {url}: {_describe(exc)}", url=url)
        if isinstance(exc, (httpx.ReadError, httpx.RemoteProtocolError, httpx.DecodingError)):
            received = self._events_on_connection
            noun = "event" if received == 1 else "events"
            return ConnectionLostError(
                f"connection to {url} lost after {received} {noun}: {_describe(exc)}", url=url
            )
        if isinstance(exc, httpx.NetworkError):
            return ConnectionLostError(f"connection to {url} failed: {_describe(exc)}", url=url)
        return None  # Not the network: a bad redirect, a protocol the URL names, ...

    def _next_attempt(self, *, error: StreamError | None, delay: float | None = None) -> float:
        self.attempt += 1
        limit = self.policy.max_attempts if self.policy is not None else None
        if delay is None and limit is not None and self.attempt > limit:
            if error is None:  # pragma: no cover - a clean end never exhausts attempts
                raise RuntimeError("reconnect attempts exhausted after a clean end")
            if limit == 0:
                raise error
            raise RetriesExhaustedError(attempts=limit, last_error=error) from error
        if delay is None:
            assert self.policy is not None
            delay = self.policy.delay(
                self.attempt,
                server_retry=self.reconnection_time,
                at_least=_retry_after(error) or 0.0,
            )
        if self._on_reconnect is not None:
            self._on_reconnect(
                ReconnectAttempt(
                    attempt=self.attempt,
                    max_attempts=limit,
                    delay=delay,
                    error=error,
                    last_event_id=self.last_event_id,
                )
            )
        return delay


def mime_essence(content_type: str) -> str:
    """The MIME type without parameters, lower-cased.

    >>> mime_essence("Text/Event-Stream; charset=latin-1")
    'text/event-stream'
    """
    return content_type.partition(";")[0].strip(" \t\r\n").lower()


def _checked_url(url: str | httpx.URL) -> httpx.URL:
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        shown = redact_url(str(url))
        raise ValueError(f"url must be an absolute http:// or https:// URL, not {shown!r}")
    return parsed


def _retry_after(error: StreamError | None) -> float | None:
    """Seconds the response asked to wait before a retry, or ``None`` when it did not say.

    As the OpenAI and Anthropic SDKs read it: ``retry-after-ms`` first, then
    ``Retry-After`` as seconds (a fraction too) or as an HTTP date.
    """
    headers = getattr(error, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name, "").strip()
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
