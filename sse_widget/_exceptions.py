"""Every failure of a stream is a ``StreamError``.

The tree::

    StreamError                   root: catch this for "the stream failed"
    ├── ResponseError             the server answered, but not with an event stream
    │   ├── HTTPStatusError       a status other than 200 (after redirects)
    │   └── ContentTypeError      200, but the Content-Type is not text/event-stream
    ├── NetworkError              the connection could not be made or did not last
    │   ├── ConnectError          connecting, sending the request or waiting for the
    │   │   │                     response headers failed or timed out (``timeout``)
    │   │   └── NoPageError       transport="browser": no page showed the widget to make
    │   │                         the request within ``timeout``
    │   ├── CORSError             transport="browser": the browser blocked the request,
    │   │                         since the server does not allow the page's origin
    │   ├── IdleTimeoutError      no byte (not even a comment) for ``idle_timeout`` seconds
    │   └── ConnectionLostError   the connection broke in the middle of the stream (or the
    │                             page making the request went away)
    ├── EventTooLargeError        a line or event was larger than ``max_event_bytes``
    ├── RetriesExhaustedError     reconnecting failed ``max_attempts`` times in a row
    └── ServerEventError          the stream itself reported an error (an ``error`` event)

Errors build their own message, so ``str(exc)`` reads well in a notebook: an HTTP error
shows its status and the first KB of the body (a 401's JSON explains itself). Whatever
ends a stream after a response carries its ``status_code``, ``headers`` and ``body``
(``RetriesExhaustedError`` too, from its ``last_error``). A
``NetworkError`` keeps the httpx exception as ``__cause__``. None of them hides events
already received: the iterator raises only after yielding everything before the failure.
URLs in messages have their credentials redacted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._redact import redact_url

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CORSError",
    "ConnectError",
    "ConnectionLostError",
    "ContentTypeError",
    "EventTooLargeError",
    "HTTPStatusError",
    "IdleTimeoutError",
    "NetworkError",
    "NoPageError",
    "ResponseError",
    "RetriesExhaustedError",
    "ServerEventError",
    "StreamError",
]

#: How much of a failed response's body an error keeps and shows.
BODY_EXCERPT_BYTES = 1024


class StreamError(Exception):
    """A stream failed. ``url`` is the request URL with credentials redacted ("" if unknown)."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class ResponseError(StreamError):
    """The server answered, but not with an event stream.

    ``status_code``, ``headers`` and ``body`` (the first KB, decoded as UTF-8 with
    replacement characters) describe the response.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        status_code: int,
        headers: httpx.Headers | None = None,
        body: str = "",
    ) -> None:
        super().__init__(message, url=url)
        self.status_code = status_code
        self.headers = headers
        self.body = body


class HTTPStatusError(ResponseError):
    """The final response had a status other than 200."""

    @classmethod
    def from_response(cls, response: httpx.Response, body: bytes) -> HTTPStatusError:
        url = redact_url(str(response.request.url))
        text = _excerpt(body)
        reason = response.reason_phrase or ""
        message = f"HTTP {response.status_code} {reason}".rstrip()
        message += f" from {response.request.method} {url}"
        if text:
            message += f": {text}"
        return cls(
            message,
            url=url,
            status_code=response.status_code,
            headers=response.headers,
            body=text,
        )


class ContentTypeError(ResponseError):
    """A 200 response whose Content-Type is not ``text/event-stream``.

    ``content_type`` is the header as received ("" when absent).
    """

    def __init__(self, message: str, *, content_type: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.content_type = content_type

    @classmethod
    def from_response(cls, response: httpx.Response, body: bytes) -> ContentTypeError:
        url = redact_url(str(response.request.url))
        received = response.headers.get("content-type", "")
        text = _excerpt(body)
        shown = repr(received) if received else "no Content-Type"
        message = f"expected Content-Type text/event-stream from {url}, got {shown}"
        if text:
            message += f"; the body begins: {text[:200]!r}"
        return cls(
            message,
            url=url,
            content_type=received,
            status_code=response.status_code,
            headers=response.headers,
            body=text,
        )


class NetworkError(StreamError):
    """The connection could not be made or did not last; ``__cause__`` is httpx's error."""


class ConnectError(NetworkError):
    """Connecting, sending the request or waiting for the response headers failed or
    timed out: each of these waits at most ``timeout`` seconds."""


class NoPageError(ConnectError):
    """``transport="browser"``: no page showed the widget to make the request within
    ``timeout`` seconds (a script, nbval, or a widget never displayed)."""


class CORSError(NetworkError):
    """``transport="browser"``: the browser blocked the request because the server does
    not allow the page's origin (CORS). Never retried: the answer would be the same.

    ``origin`` is the page's origin; ``method`` and ``header_names`` what the server must
    allow. The message says how, including for the local model servers people use.
    """

    def __init__(
        self, *, url: str, origin: str, method: str, header_names: list[str], detail: str = ""
    ) -> None:
        self.origin = origin
        self.method = method
        self.header_names = header_names
        allowed = ", ".join(header_names) or "(none)"
        super().__init__(
            f"the browser blocked the request to {url} (CORS){f': {detail}' if detail else ''}. "
            f"The server must allow this page's origin: answer the preflight (OPTIONS) with "
            f"Access-Control-Allow-Origin: {origin}, Access-Control-Allow-Methods: {method} "
            f"and Access-Control-Allow-Headers: {allowed}, and send "
            f"Access-Control-Allow-Origin: {origin} on its responses. For Ollama, start it "
            f"with OLLAMA_ORIGINS={origin}; for LM Studio, turn on CORS in its server "
            f"settings. Or use transport='kernel' if the kernel can reach the server.",
            url=url,
        )


class IdleTimeoutError(NetworkError):
    """No byte arrived for ``idle_timeout`` seconds (comments count as bytes)."""

    def __init__(self, message: str, *, url: str = "", idle_timeout: float | None) -> None:
        super().__init__(message, url=url)
        self.idle_timeout = idle_timeout


class ConnectionLostError(NetworkError):
    """The connection broke while the body was streaming."""


class EventTooLargeError(StreamError):
    """A line, or an event's data, was larger than ``max_event_bytes`` (``limit``).

    Raised as soon as the limit is passed, after the events completed before it; never
    retried, since the same event would come again.
    """

    def __init__(self, *, limit: int, url: str = "", part: str = "event") -> None:
        what = "a line" if part == "line" else "an event"
        size = "longer" if part == "line" else "larger"
        super().__init__(
            f"{what} from {url or 'the stream'} is {size} than the {_bytes(limit)} limit "
            f"(max_event_bytes={limit})",
            url=url,
        )
        self.limit = limit


class RetriesExhaustedError(StreamError):
    """Reconnecting failed ``attempts`` times in a row; ``last_error`` (also ``__cause__``)
    is the failure of the last attempt.

    When that failure was a response (a ``ResponseError``), ``status_code``, ``headers``
    and ``body`` are its, as on the ``ResponseError`` itself; otherwise they are ``None``,
    ``None`` and ``""``.
    """

    def __init__(self, *, attempts: int, last_error: StreamError) -> None:
        noun = "attempt" if attempts == 1 else "attempts"
        super().__init__(
            f"gave up after {attempts} reconnection {noun}: {last_error}", url=last_error.url
        )
        self.attempts = attempts
        self.last_error = last_error
        self.status_code: int | None = None
        self.headers: httpx.Headers | None = None
        self.body = ""
        if isinstance(last_error, ResponseError):
            self.status_code = last_error.status_code
            self.headers = last_error.headers
            self.body = last_error.body


class ServerEventError(StreamError):
    """The stream reported an error in an event (e.g. Anthropic's ``event: error``).

    ``error_type`` is the provider's error type ("" when none), ``event`` the raw event.
    """

    def __init__(self, message: str, *, error_type: str = "", event: Any = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.event = event


def _bytes(count: int) -> str:
    """``count`` bytes for a reader: ``16 MiB``, ``1.5 KiB``, ``100 bytes``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.4g} {unit}"
    return f"{count} byte" if count == 1 else f"{count} bytes"


def _excerpt(body: bytes) -> str:
    text = body[:BODY_EXCERPT_BYTES].decode("utf-8", errors="replace").strip()
    if len(body) > BODY_EXCERPT_BYTES:
        text += " …"
    return text
