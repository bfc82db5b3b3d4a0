"""What each endpoint answers, and which path is which endpoint.

The provider APIs live in their own modules (``_openai``, ``_anthropic``, ``_gemini``,
``_ai_sdk``), built on the shared answer of ``_answer``; this module has the two generic
streams and the routes. Content knobs (``text``, ``reply``, ``huge``, ``invalid_utf8``,
``error_after``, ``count``, ``event``, ``limit``, ``reasoning``, ``tools``, ``finish``)
are applied where the events are made; ``_faults.write_stream`` applies the rest while it
writes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._ai_sdk import HEADERS as AI_SDK_HEADERS
from ._ai_sdk import ai_sdk_events
from ._answer import CREATED, INVALID_UTF8, PARAGRAPH, Call, cut, filler, shape, split_tokens
from ._anthropic import anthropic_document, anthropic_events
from ._faults import Flavor, WireEvent, resume_point, to_json
from ._gemini import gemini_document, gemini_events
from ._openai import chat_document, chat_events, responses_document, responses_events

__all__ = [
    "CREATED",
    "ENDPOINTS",
    "INVALID_UTF8",
    "PARAGRAPH",
    "Call",
    "Endpoint",
    "filler",
    "find_endpoint",
    "split_tokens",
]


# --- generic streams -------------------------------------------------------------------

_MOCK_ERROR = WireEvent("mock error", event="error")


def text_events(call: Call) -> Iterator[WireEvent]:
    knobs = call.knobs
    base = split_tokens(PARAGRAPH if knobs.text is None else knobs.text)
    total = len(base) if knobs.count is None or not base else knobs.count
    # Lazily: count=10**9 must not build a list first.
    tokens = shape(itertools.islice(itertools.cycle(base), total), knobs)
    sent, failed = cut(total + (knobs.huge is not None), knobs.error_after)
    for token in itertools.islice(tokens, sent):
        yield WireEvent(token, event=knobs.event)
    if failed:
        yield _MOCK_ERROR


def feed_events(call: Call) -> Iterator[WireEvent]:
    knobs = call.knobs
    first = resume_point(call.last_event_id) + 1
    for number in itertools.count(first):
        if knobs.limit is not None and number > knobs.limit:
            return
        if number - first == knobs.error_after:
            yield _MOCK_ERROR
            return
        tick = f"tick {number}"
        if number == first:
            tick = next(shape([tick], knobs))
        yield WireEvent(to_json({"n": number, "tick": tick}), event=knobs.event, id=str(number))


# --- the routes ------------------------------------------------------------------------


def _asks_for_stream(call: Call) -> bool:
    return bool(call.payload.get("stream"))


def _asks_for_sse(call: Call) -> bool:
    # Gemini streams events only with ?alt=sse; its default is one JSON array.
    return call.knobs.alt == "sse"


@dataclass(frozen=True)
class Endpoint:
    """One path of the mock server."""

    summary: str
    methods: frozenset[str]
    events: Callable[[Call], Iterator[WireEvent]]
    #: The answer when the request asks for no stream; ``None``: always streams.
    document: Callable[[Call], Any] | None = None
    #: Whether a request asks for the stream (default: ``"stream": true`` in its body).
    asks_for_stream: Callable[[Call], bool] = _asks_for_stream
    flavor: Flavor = "openai"
    #: Seconds between events when no ``delay`` knob is given.
    default_delay: float = 0.0
    #: The events carry ids and resume from ``Last-Event-ID`` by themselves.
    own_ids: bool = False
    #: The header naming each response, as the real API sends one (derived from the
    #: request, so the same request gets the same id).
    request_id_header: str | None = None
    #: ``Retry-After`` seconds on a 429, for the APIs whose rate limits send one.
    retry_after: str | None = None
    #: More headers of a streamed response.
    headers: tuple[tuple[str, str], ...] = ()
    #: Line endings of the stream when no ``newline`` knob is given.
    newline: str = "\n"

    def streams(self, call: Call) -> bool:
        return self.document is None or self.asks_for_stream(call)


_POST = frozenset({"POST"})
_GET_POST = frozenset({"GET", "POST"})

#: The paths, in the order the help page lists them; ``{name}`` matches one path segment
#: (up to a ``/`` or ``:``) and reaches the endpoint as ``Call.params[name]``.
ENDPOINTS: dict[str, Endpoint] = {
    "/v1/chat/completions": Endpoint(
        "OpenAI Chat Completions (SSE when the body has stream: true)",
        _POST,
        chat_events,
        chat_document,
        request_id_header="x-request-id",
        retry_after="1",
    ),
    "/v1/responses": Endpoint(
        "OpenAI Responses (SSE when the body has stream: true)",
        _POST,
        responses_events,
        responses_document,
        request_id_header="x-request-id",
        retry_after="1",
    ),
    "/v1/messages": Endpoint(
        "Anthropic Messages (SSE when the body has stream: true)",
        _POST,
        anthropic_events,
        anthropic_document,
        flavor="anthropic",
        request_id_header="request-id",
        retry_after="1",
    ),
    "/v1beta/models/{model}:streamGenerateContent": Endpoint(
        "Google Gemini (SSE with ?alt=sse, else one JSON array)",
        _POST,
        gemini_events,
        gemini_document,
        asks_for_stream=_asks_for_sse,
        flavor="gemini",
        newline="\r\n",
    ),
    "/api/chat": Endpoint(
        "Vercel AI SDK UI message stream (what useChat reads)",
        _POST,
        ai_sdk_events,
        headers=AI_SDK_HEADERS,
    ),
    "/stream": Endpoint("one 'data: <token>' event per token of a text", _GET_POST, text_events),
    "/feed": Endpoint(
        "endless feed, an event per interval (1 s), resumes from Last-Event-ID",
        _GET_POST,
        feed_events,
        default_delay=1.0,
        own_ids=True,
    ),
}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    # re.split alternates literal text and names: escape the one, capture the other.
    regex = "".join(
        re.escape(part) if n % 2 == 0 else f"(?P<{part}>[^/:]+)" for n, part in enumerate(parts)
    )
    return re.compile(regex)


_ROUTES = [(_pattern(template), endpoint) for template, endpoint in ENDPOINTS.items()]


def find_endpoint(path: str) -> tuple[Endpoint, Mapping[str, str]] | None:
    """The endpoint serving ``path`` and the segments its pattern names, or ``None``.

    >>> endpoint, params = find_endpoint("/v1beta/models/gemini-2.5-flash:streamGenerateContent")
    >>> params
    {'model': 'gemini-2.5-flash'}
    """
    for pattern, endpoint in _ROUTES:
        match = pattern.fullmatch(path)
        if match:
            return endpoint, match.groupdict()
    return None
