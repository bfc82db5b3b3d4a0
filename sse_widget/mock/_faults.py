"""Fault-injection knobs: parsing them from a query string, and the writer that applies them.

The endpoints in ``_streams.py`` decide *what* a stream says (content knobs such as
``text``, ``huge``, ``invalid_utf8`` and ``error_after`` shape it there). Everything about
*how* it goes over the wire — timing, pings, ids, framing, line endings, drops — is
applied here, once, for every endpoint by ``write_stream``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal, Protocol

from .._redact import is_secret_name

__all__ = [
    "KNOB_HELP",
    "Flavor",
    "KnobError",
    "Knobs",
    "Link",
    "Outcome",
    "WireEvent",
    "dump_json",
    "encode_event",
    "error_response",
    "parse_knobs",
    "resume_point",
    "stream_content_type",
    "to_json",
    "write_stream",
]

#: How a response ended (see ``RecordedRequest.outcome``).
Outcome = Literal["complete", "disconnected", "dropped", "status", "stopped"]
#: Whose error shapes an endpoint imitates.
Flavor = Literal["openai", "anthropic", "gemini"]

#: Flush the write buffer once it holds this much; a client reading 100,000 small events
#: then costs dozens of socket writes instead of 100,000.
FLUSH_BYTES = 64 * 1024
#: Longest accepted delay: keeps ``select`` timeouts in range and typos like 1e9 visible.
MAX_SECONDS = 3600.0
#: Largest accepted ``huge`` event, so a typo cannot exhaust the kernel's memory.
MAX_HUGE = 256 * 1024 * 1024
#: Most tool calls one answer makes (``tools=N``): the mock has this many tools.
MAX_TOOLS = 2

_BOM = "\ufeff".encode()
_NEWLINES = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class WireEvent:
    """One event of a stream, before encoding. ``data`` may carry raw bytes as surrogate
    escapes (PEP 383: U+DC80..U+DCFF stand for the bytes 0x80..0xFF)."""

    data: str
    event: str | None = None
    id: str | None = None


def encode_event(
    data: str | None = None,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
    newline: str = "\n",
) -> bytes:
    r"""One block of a ``text/event-stream`` body, blank line included.

    Multi-line ``data`` becomes one ``data:`` line per line (any of CRLF, CR, LF splits
    it, as the client's parser would), so the client rebuilds exactly ``data``.

    >>> encode_event("a\nb", event="greet", id="7")
    b'event: greet\nid: 7\ndata: a\ndata: b\n\n'
    >>> encode_event(retry=3000, newline="\r\n")
    b'retry: 3000\r\n\r\n'
    >>> encode_event(comment="ping")
    b': ping\n\n'
    """
    lines: list[str] = []
    if comment is not None:
        lines.append(f": {comment}")
    if event is not None:
        lines.append(f"event: {event}")
    if id is not None:
        lines.append(f"id: {id}")
    if retry is not None:
        lines.append(f"retry: {retry}")
    if data is not None:
        lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
    text = newline.join(lines) + newline + newline
    # surrogateescape turns the invalid_utf8 knob's escapes back into the raw bytes.
    return text.encode("utf-8", "surrogateescape")


# --- knobs -----------------------------------------------------------------------------


class KnobError(ValueError):
    """A query parameter is not a knob, or its value is not acceptable."""

    def __init__(self, knob: str, message: str) -> None:
        super().__init__(message)
        self.knob = knob


#: Events paced by ``rate`` that fall due within this many seconds go out in one write.
_PACE_SLACK = 0.002


@dataclass(frozen=True)
class Knobs:
    """The parsed knobs of one request; ``None`` means "not given"."""

    delay: float | None = None
    rate: int | None = None
    first_delay: float = 0.0
    drop_after: int | None = None
    error_after: int | None = None
    status: int | None = None
    error_body: Literal["json", "html", "text"] = "json"
    content_type: str | None = None
    charset: str | None = None
    ping: int | None = None
    retry: int | None = None
    bom: bool = False
    #: None: the endpoint's own line endings (LF, or CRLF for Gemini, as each API sends).
    newline: str | None = None
    huge: int | None = None
    invalid_utf8: bool = False
    ids: bool = False
    text: str | None = None
    reply: Literal["markdown", "echo"] = "markdown"
    count: int | None = None
    event: str | None = None
    limit: int | None = None
    reasoning: Literal["off", "on", "openrouter"] = "off"
    tools: int = 0
    finish: Literal["stop", "length"] = "stop"
    alt: Literal["sse", "json"] | None = None
    #: Answer CORS preflights and name the origin on every response (see ``_cors``).
    cors: bool = False


def _seconds(raw: str) -> float:
    value = float(raw)
    if not (math.isfinite(value) and 0 <= value <= MAX_SECONDS):
        raise ValueError(f"expected seconds between 0 and {MAX_SECONDS:g}")
    return value


def _count(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()):
        raise ValueError("expected a whole number >= 0")
    return int(raw)


def _positive(raw: str) -> int:
    value = _count(raw)
    if value == 0:
        raise ValueError("expected a whole number > 0")
    return value


def _huge(raw: str) -> int:
    value = _count(raw)
    if value > MAX_HUGE:
        raise ValueError(f"at most {MAX_HUGE} bytes")
    return value


def _status(raw: str) -> int:
    value = _count(raw)
    if not 200 <= value <= 599:
        raise ValueError("expected an HTTP status from 200 to 599")
    return value


def _flag(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected 1 or 0")


def _token(raw: str) -> str:
    # Goes into a header or an event field: a line break would forge another one.
    if not raw or not raw.isprintable() or not raw.isascii():
        raise ValueError("expected printable ASCII")
    return raw


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return raw

    return parse


def _newline(raw: str) -> str:
    return _NEWLINES[_choice(*_NEWLINES)(raw)]


def _reasoning(raw: str) -> str:
    # "openrouter" names where Chat Completions puts it; the other APIs have one place.
    if raw == "openrouter":
        return raw
    return "on" if _flag(raw) else "off"


def _tools(raw: str) -> int:
    value = _count(raw)
    if value > MAX_TOOLS:
        raise ValueError(f"expected 0 to {MAX_TOOLS} tool calls")
    return value


@dataclass(frozen=True)
class _Spec:
    parse: Callable[[str], Any]
    usage: str
    field: str = ""  # the Knobs field it sets, when it is an alias


_SPECS: dict[str, _Spec] = {
    "delay": _Spec(_seconds, "S  seconds between events (/feed: default 1)"),
    "interval": _Spec(_seconds, "S  alias of delay, for /feed", field="delay"),
    "rate": _Spec(_positive, "N  pace events at N per second, in batches as they fall due"),
    "first_delay": _Spec(_seconds, "S  seconds before the first event (headers go at once)"),
    "drop_after": _Spec(_count, "N  cut the connection after N events, no final chunk"),
    "error_after": _Spec(_count, "N  after N text tokens send the provider's error event"),
    "status": _Spec(_status, "CODE  answer with this HTTP status and no stream"),
    "error_body": _Spec(_choice("json", "html", "text"), "json|html|text  body of status"),
    "content_type": _Spec(_token, "VALUE  Content-Type of the stream"),
    "charset": _Spec(_token, "NAME  append '; charset=NAME' to the Content-Type"),
    "ping": _Spec(_positive, "MS  send ': ping' every MS ms while waiting"),
    "retry": _Spec(_count, "MS  send 'retry: MS' before the first event"),
    "bom": _Spec(_flag, "1  start the body with a UTF-8 BOM"),
    "newline": _Spec(_newline, "lf|crlf|cr  line endings"),
    "huge": _Spec(_huge, "BYTES  a first event (text token) this many bytes long"),
    "invalid_utf8": _Spec(_flag, "1  the first text token carries invalid UTF-8 bytes"),
    "ids": _Spec(_flag, "1  ids 1, 2, 3... and resume from Last-Event-ID"),
    "text": _Spec(str, "TEXT  answer with exactly this text"),
    "reply": _Spec(_choice("markdown", "echo"), "markdown|echo  providers' answer"),
    "count": _Spec(_count, "N  exactly N text tokens, cycling through the answer"),
    "event": _Spec(_token, "NAME  /stream, /feed: the event type of every event"),
    "limit": _Spec(_count, "N  /feed: end cleanly after event N"),
    "reasoning": _Spec(
        _reasoning, "1|openrouter  providers: reasoning first (chat: delta.reasoning_content)"
    ),
    "tools": _Spec(_tools, "N  providers: N tool calls (0-2) instead of the answer"),
    "finish": _Spec(_choice("stop", "length"), "stop|length  providers: length cuts the answer"),
    "alt": _Spec(_choice("sse", "json"), "sse|json  Gemini: sse streams, json one array"),
    "cors": _Spec(_flag, "1  CORS for pages on other origins: preflights, echoed Origin"),
}

#: One line per knob, for the server's help page.
KNOB_HELP = tuple(f"{name}={spec.usage}" for name, spec in _SPECS.items())


def parse_knobs(query: Mapping[str, str]) -> Knobs:
    """The knobs of a request's query parameters; ``KnobError`` for anything unknown/bad.

    >>> parse_knobs({"delay": "0.5", "bom": "1"}).delay
    0.5
    """
    values: dict[str, Any] = {}
    for name, raw in query.items():
        spec = _SPECS.get(name)
        if spec is None and is_secret_name(name):
            continue  # api_key=..., access_token=...: credentials a real API would check
        if spec is None:
            raise KnobError(name, f"unknown knob {name!r}; knobs: {', '.join(_SPECS)}")
        field = spec.field or name
        if field in values:
            raise KnobError(name, f"{name} is an alias of {field}: give only one")
        try:
            values[field] = spec.parse(raw)
        except ValueError as exc:
            raise KnobError(name, f"{name}={raw!r}: {exc}") from None
    return Knobs(**values)


def stream_content_type(knobs: Knobs) -> str:
    """The Content-Type header of a stream under these knobs."""
    value = knobs.content_type or "text/event-stream"
    return f"{value}; charset={knobs.charset}" if knobs.charset else value


# --- error bodies (the status knob) ----------------------------------------------------

_OPENAI_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("invalid_request_error", "Invalid request (mock).", None),
    401: (
        "invalid_request_error",
        "Incorrect API key provided: sk-fake****mock. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid_api_key",
    ),
    403: ("permission_error", "You are not allowed to use this resource (mock).", None),
    404: ("invalid_request_error", "The model does not exist (mock).", "model_not_found"),
    429: (
        "requests",
        "Rate limit reached for requests (mock). Please try again in 1s.",
        "rate_limit_exceeded",
    ),
    500: ("server_error", "The server had an error while processing your request.", None),
    503: ("server_error", "The engine is currently overloaded (mock).", None),
}

_ANTHROPIC_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request (mock)."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission (mock)."),
    404: ("not_found_error", "Not found (mock)."),
    413: ("request_too_large", "Request exceeds the maximum allowed size (mock)."),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit (mock)."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}


#: Google's canonical codes (google.rpc.Code) by HTTP status, as Gemini's errors name them.
_GEMINI_STATUSES: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument. (mock)"),
    401: ("UNAUTHENTICATED", "API key not valid. Please pass a valid API key. (mock)"),
    403: ("PERMISSION_DENIED", "The caller does not have permission. (mock)"),
    404: ("NOT_FOUND", "models/mock is not found for API version v1beta. (mock)"),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota). (mock)"),
    500: ("INTERNAL", "An internal error has occurred. (mock)"),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete. (mock)"),
}


def _reason(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _json_error(status: int, flavor: Flavor) -> Any:
    generic = _reason(status) + " (mock)."
    if flavor == "gemini":
        fallback = ("INVALID_ARGUMENT" if status < 500 else "INTERNAL", generic)
        canonical, message = _GEMINI_STATUSES.get(status, fallback)
        error: dict[str, Any] = {"code": status, "message": message, "status": canonical}
        if status == 429:
            # Gemini says when to retry in the body (google.rpc.RetryInfo), not a header.
            retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}
            error["details"] = [retry]
        return {"error": error}
    if flavor == "anthropic":
        fallback = ("invalid_request_error" if status < 500 else "api_error", generic)
        kind, message = _ANTHROPIC_ERRORS.get(status, fallback)
        return {"type": "error", "error": {"type": kind, "message": message}}
    default = ("invalid_request_error" if status < 500 else "server_error", generic, None)
    kind, message, code = _OPENAI_ERRORS.get(status, default)
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def error_response(status: int, flavor: Flavor, style: str) -> tuple[str, bytes]:
    """(Content-Type, body) answering ``status=CODE``; ``("", b"")`` when it has no body."""
    if status in (204, 205, 304):
        return "", b""
    if style == "html":
        reason = _reason(status)
        page = (
            f"<!DOCTYPE html>\n<html><head><title>{reason}</title></head>\n"
            f"<body><h1>{reason}</h1><p>sse_widget mock server</p></body></html>\n"
        )
        return "text/html; charset=utf-8", page.encode()
    if style == "text":
        return "text/plain; charset=utf-8", f"{_reason(status)}\n".encode()
    return "application/json", dump_json(_json_error(status, flavor))


def to_json(value: Any) -> str:
    """Compact, deterministic JSON; non-ASCII stays as is (surrogate escapes too)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dump_json(value: Any) -> bytes:
    """``to_json`` as UTF-8, turning surrogate escapes back into the raw bytes."""
    return to_json(value).encode("utf-8", "surrogateescape")


# --- the writer ------------------------------------------------------------------------


class Link(Protocol):
    """The connection a stream is written to (HTTP chunk framing is the link's business)."""

    def send(self, data: bytes, events: int) -> None:
        """Send ``data`` holding ``events`` events now; raise ``OSError`` if the peer left."""

    def idle(self, seconds: float) -> Outcome | None:
        """Wait up to ``seconds``; return early with "disconnected" or "stopped"."""


class _Buffer:
    """Events waiting to be sent, so fast streams go out in large writes."""

    def __init__(self, link: Link) -> None:
        self._link = link
        self._parts: list[bytes] = []
        self._size = 0
        self._pending = 0
        self.events = 0  # every event of this response, sent or pending

    def add(self, data: bytes, *, event: bool = False) -> None:
        self._parts.append(data)
        self._size += len(data)
        if event:
            self._pending += 1
            self.events += 1

    @property
    def full(self) -> bool:
        return self._size >= FLUSH_BYTES

    def flush(self) -> None:
        if self._parts:
            self._link.send(b"".join(self._parts), self._pending)
            self._parts, self._size, self._pending = [], 0, 0


def resume_point(last_event_id: str) -> int:
    """The number in a ``Last-Event-ID`` header, or 0 when it holds none."""
    value = last_event_id.strip()
    return int(value) if value.isascii() and value.isdigit() else 0


def _numbered(events: Iterable[WireEvent], last_event_id: str) -> Iterator[WireEvent]:
    """Ids 1, 2, 3…, skipping what a client that saw ``last_event_id`` already has."""
    skip = resume_point(last_event_id)
    for number, event in enumerate(events, 1):
        if number > skip:
            yield dataclasses.replace(event, id=str(number))


def _wait(link: Link, seconds: float, ping_ms: int | None, newline: str) -> Outcome | None:
    """Wait, sending a ping comment every ``ping_ms`` ms; an early return ends the stream."""
    now = time.monotonic()
    deadline = now + seconds
    step = ping_ms / 1000 if ping_ms else math.inf
    next_ping = now + step
    while now < deadline:
        interrupted = link.idle(min(deadline, next_ping) - now)
        if interrupted:
            return interrupted
        now = time.monotonic()
        if next_ping <= now < deadline:
            link.send(encode_event(comment="ping", newline=newline), 0)
            next_ping = now + step  # a late ping does not bring on a burst of them
    return None


def write_stream(
    events: Iterable[WireEvent],
    knobs: Knobs,
    link: Link,
    *,
    delay: float,
    last_event_id: str = "",
    number: bool = False,
    newline: str = "\n",
) -> Outcome:
    """Write a stream's body to ``link`` under ``knobs``; "complete", "dropped",
    "disconnected" or "stopped". The caller ends the HTTP message as the outcome says.

    ``delay`` is the pause between events; ``number`` gives every event an id (and
    resumes after ``last_event_id``) for endpoints that have no ids of their own;
    ``newline`` ends the lines unless the ``newline`` knob says otherwise.
    """
    newline = knobs.newline or newline
    out = _Buffer(link)
    if knobs.bom:
        out.add(_BOM)
    if knobs.retry is not None:
        out.add(encode_event(retry=knobs.retry, newline=newline))
    if number:
        events = _numbered(events, last_event_id)
    if knobs.drop_after == 0:
        out.flush()
        return "dropped"
    pause = knobs.first_delay
    paced_from: float | None = None
    for index, event in enumerate(events):
        if knobs.rate is not None:
            # A fast model: event i falls due at i / rate; whatever is due goes out
            # together, so 20,000 per second does not need 20,000 writes per second.
            now = time.monotonic()
            if paced_from is None:
                paced_from = now + pause
            pause = max(pause, paced_from + index / knobs.rate - now)
            if pause < _PACE_SLACK:
                pause = 0.0
        if pause > 0:
            # Whatever the client should see before the pause must go out first.
            out.flush()
            interrupted = _wait(link, pause, knobs.ping, newline)
            if interrupted:
                return interrupted
        block = encode_event(event.data, event=event.event, id=event.id, newline=newline)
        out.add(block, event=True)
        if out.events == knobs.drop_after:
            out.flush()
            return "dropped"
        if out.full:
            out.flush()
            # Fast streams never wait, so look for a gone client or a stop here.
            interrupted = link.idle(0)
            if interrupted:
                return interrupted
        pause = delay
    out.flush()
    return "complete"
