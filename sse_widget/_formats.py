"""Extractors: turn the events of a stream into the text tokens they carry.

A *format* says how. ``get_extractor(format)`` returns a fresh, stateful
:class:`Extractor` for one stream; ``feed()`` it every event in order and it returns the
text that event adds. Besides the text, it keeps what the stream said about itself:
``done``, ``usage`` and the events it could not parse (``malformed``).

======================  ==================================  ==================================
format                  text comes from                     done / usage / error
======================  ==================================  ==================================
``"text"``              each event's ``data`` as is,        never done; no usage; no errors
                        whatever the event type
``"openai"``            Chat Completions chunks:            done: ``data: [DONE]``;
                        ``choices[].delta.content`` of      usage: a chunk's non-null
                        choice 0, else ``delta.refusal``;   ``usage`` (``prompt_tokens``,
                        legacy Completions                  ``completion_tokens``,
                        ``choices[].text``                  ``total_tokens``, ...);
                                                            error: a top-level ``error``
                                                            object (``message``, ``type``)
``"openai-responses"``  Responses API events (type from     done: ``response.completed`` or
                        ``data["type"]``, else the event    ``response.incomplete``; usage:
                        name): ``delta`` of                 their ``response.usage``; error:
                        ``response.output_text.delta`` and  ``response.failed``
                        ``response.refusal.delta``          (``response.error``) and
                                                            ``error`` (``code``, ``message``)
``"anthropic"``         Messages events (type as above):    done: ``message_stop``; usage:
                        ``delta.text`` of a                 ``message_start``'s
                        ``content_block_delta`` whose       ``message.usage``, then each
                        ``delta.type`` is ``text_delta``    ``message_delta``'s ``usage``;
                                                            error: ``error`` (``error.type``,
                                                            ``error.message``)
``"json:<path>"``       the value at a dotted path in the   done: ``data: [DONE]``; no usage;
                        JSON data, e.g.                     no errors
                        ``json:choices.0.delta.content``
a callable              ``fn(event)``, returned as is       never done; no usage; its own
                                                            exceptions propagate
======================  ==================================  ==================================

Rules shared by the JSON formats (all but ``"text"`` and callables):

- An event adds no text when it has none: ``feed`` returns ``None``, never ``""``.
- Empty (or blank) data is a keep-alive: no text, nothing recorded.
- Data that is not valid JSON, or JSON that is not an object where the format reads an
  object, is *malformed*: ``feed`` returns ``None``, the event is kept in ``malformed``
  (the last :data:`MALFORMED_KEPT`) with the reason, ``malformed_count`` counts it, and the
  stream goes on.
- An error the provider reports inside the stream raises
  :class:`~sse_widget.ServerEventError` with the provider's message, its error type (or
  code) as ``error_type`` and the raw event as ``event``. An error never sets ``done``.
- ``usage`` is merged key by key as usage figures arrive; a ``null`` figure does not
  erase one already received. Each merge makes a new dict, so a watcher sees a change.

``"openai"`` treats ``delta.refusal`` as text: a model that refuses streams its refusal
there instead of in ``content``, and the reader should see it. ``"openai-responses"`` does
the same with ``response.refusal.delta``.

``"json:<path>"``: a segment of ASCII digits indexes a list (or is a key of an object);
any other segment is an object key. A missing path or ``null`` adds no text; a string is
the token; a number or boolean becomes its JSON spelling (``1.5``, ``true``); an object or
array is malformed ("json:a.b is an object, not text"). It also takes ``data: [DONE]`` as
the end, since it is mostly used on OpenAI-compatible streams, which all end with it.
"""

from __future__ import annotations

import collections
import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

from ._exceptions import ServerEventError
from ._models import Event

__all__ = ["FORMATS", "Extractor", "MalformedEvent", "get_extractor"]

#: How many malformed events an extractor keeps (the most recent ones).
MALFORMED_KEPT = 100

#: What ``get_extractor`` accepts: a format name, ``"json:<path>"``, or a callable.
FormatSpec: TypeAlias = str | Callable[[Event], str | None]

# A handler of one event type: (extractor, parsed data, raw event) -> text. The first
# parameter is Any because each handler takes its own subclass as self.
_Handler: TypeAlias = Callable[[Any, dict[str, Any], Event], str | None]


@dataclass(frozen=True)
class MalformedEvent:
    """An event an extractor could not parse, kept so the user can see what arrived."""

    #: The raw event, data as received.
    event: Event
    #: Why it was rejected, e.g. ``"invalid JSON: Expecting value at line 1 column 1"``.
    reason: str


class Extractor:
    """Stateful, one per stream. ``feed()`` each event in order.

    Get one with :func:`get_extractor`. Subclasses implement :meth:`feed`.
    """

    def __init__(self, format: str) -> None:
        #: The format's name: ``"openai"``, ``"json:choices.0.delta.content"``, ``"callable"``...
        self.format = format
        #: Provider usage figures, merged as they arrive; ``None`` until the stream sends some.
        self.usage: dict[str, Any] | None = None
        #: Whether the stream said it finished (``[DONE]``, ``message_stop``, ...).
        self.done = False
        #: The last :data:`MALFORMED_KEPT` events that could not be parsed.
        self.malformed: collections.deque[MalformedEvent] = collections.deque(maxlen=MALFORMED_KEPT)
        #: How many events could not be parsed, in total.
        self.malformed_count = 0

    def feed(self, event: Event) -> str | None:
        """Return the text ``event`` adds (``""`` or ``None`` when it adds none).

        Raises ``ServerEventError`` for an error the provider reports inside the stream.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.format!r} done={self.done} "
            f"usage={self.usage!r} malformed={self.malformed_count}>"
        )

    def _record_malformed(self, event: Event, reason: str) -> None:
        self.malformed.append(MalformedEvent(event, reason))
        self.malformed_count += 1

    def _merge_usage(self, usage: object) -> None:
        if not isinstance(usage, dict):
            return
        figures = {key: value for key, value in usage.items() if value is not None}
        if figures:
            self.usage = {**(self.usage or {}), **figures}


class _TextExtractor(Extractor):
    def feed(self, event: Event) -> str | None:
        return event.data


class _CallableExtractor(Extractor):
    def __init__(self, function: Callable[[Event], str | None]) -> None:
        super().__init__("callable")
        self._function = function

    def feed(self, event: Event) -> str | None:
        text = self._function(event)
        # Caught here rather than where the tokens are joined, far from the user's code.
        if text is not None and not isinstance(text, str):
            raise TypeError(
                f"the format callable {self._function!r} returned "
                f"{type(text).__name__}, not str or None"
            )
        return text


class _JSONExtractor(Extractor):
    """The formats whose data is JSON: parses once, records what does not parse."""

    #: Data that ends the stream instead of being JSON (``None``: no such marker).
    _done_data: ClassVar[str | None] = None
    #: Whether the data must be a JSON object (else anything JSON will do).
    _needs_object: ClassVar[bool] = True

    def feed(self, event: Event) -> str | None:
        data = event.data
        if not data or data.isspace():
            return None
        if data == self._done_data:
            self.done = True
            return None
        try:
            parsed = json.loads(data)
        except json.JSONDecodeError as exc:
            self._record_malformed(
                event, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            )
            return None
        except (ValueError, RecursionError) as exc:
            # Too many digits in an integer, or nesting deeper than the stack.
            self._record_malformed(event, f"invalid JSON: {exc}")
            return None
        if self._needs_object and not isinstance(parsed, dict):
            self._record_malformed(event, f"expected a JSON object, got {_json_kind(parsed)}")
            return None
        return self._extract(parsed, event)

    def _extract(self, data: Any, event: Event) -> str | None:
        """Return the text of ``data``, the parsed JSON (a dict if ``_needs_object``)."""
        raise NotImplementedError


class _OpenAIExtractor(_JSONExtractor):
    _done_data = "[DONE]"

    def _extract(self, data: dict[str, Any], event: Event) -> str | None:
        error = data.get("error")
        if error:
            raise _provider_error(event, error, ("type", "code"), "the stream reported an error")
        usage = data.get("usage")
        if usage is not None:
            self._merge_usage(usage)
        choices = data.get("choices")
        if not isinstance(choices, list):
            return None
        for choice in choices:
            # Only the first choice is shown; with n > 1 the others interleave with it.
            if isinstance(choice, dict) and choice.get("index") in (0, None):
                break
        else:
            return None
        delta = choice.get("delta")
        if isinstance(delta, dict):
            text = delta.get("content") or delta.get("refusal")
        else:
            text = choice.get("text")
        return text if isinstance(text, str) and text else None


class _TypedJSONExtractor(_JSONExtractor):
    """The formats whose events name their type: dispatch to a handler per type."""

    #: Handler per event type; a type not listed adds no text.
    _handlers: ClassVar[Mapping[str, _Handler]] = {}

    def _extract(self, data: dict[str, Any], event: Event) -> str | None:
        kind = data.get("type")
        if not isinstance(kind, str):
            kind = event.event
        handler = self._handlers.get(kind)
        return None if handler is None else handler(self, data, event)


class _OpenAIResponsesExtractor(_TypedJSONExtractor):
    def _delta(self, data: dict[str, Any], event: Event) -> str | None:
        text = data.get("delta")
        return text if isinstance(text, str) and text else None

    def _finished(self, data: dict[str, Any], event: Event) -> str | None:
        response = data.get("response")
        if isinstance(response, dict):
            self._merge_usage(response.get("usage"))
        self.done = True
        return None

    def _failed(self, data: dict[str, Any], event: Event) -> str | None:
        response = data.get("response")
        if not isinstance(response, dict):
            response = {}
        self._merge_usage(response.get("usage"))
        raise _provider_error(event, response.get("error"), ("code", "type"), "the response failed")

    def _error(self, data: dict[str, Any], event: Event) -> str | None:
        # The documented shape has code and message at the top level (where "type" is
        # "error" itself); some servers nest them in an "error" object instead.
        nested = data.get("error")
        if isinstance(nested, dict):
            raise _provider_error(event, nested, ("code", "type"), "the stream reported an error")
        raise _provider_error(event, data, ("code",), "the stream reported an error")

    _handlers: ClassVar[Mapping[str, _Handler]] = {
        "response.output_text.delta": _delta,
        "response.refusal.delta": _delta,
        "response.completed": _finished,
        "response.incomplete": _finished,
        "response.failed": _failed,
        "error": _error,
    }


class _AnthropicExtractor(_TypedJSONExtractor):
    def _content_block_delta(self, data: dict[str, Any], event: Event) -> str | None:
        delta = data.get("delta")
        # Tool input (input_json_delta) and thinking are not part of the answer's text.
        if not isinstance(delta, dict) or delta.get("type") != "text_delta":
            return None
        text = delta.get("text")
        return text if isinstance(text, str) and text else None

    def _message_start(self, data: dict[str, Any], event: Event) -> str | None:
        message = data.get("message")
        if isinstance(message, dict):
            self._merge_usage(message.get("usage"))
        return None

    def _message_delta(self, data: dict[str, Any], event: Event) -> str | None:
        # Its output_tokens is the running total, so merging replaces the earlier figure.
        self._merge_usage(data.get("usage"))
        return None

    def _message_stop(self, data: dict[str, Any], event: Event) -> str | None:
        self.done = True
        return None

    def _error(self, data: dict[str, Any], event: Event) -> str | None:
        raise _provider_error(event, data.get("error"), ("type",), "the stream reported an error")

    _handlers: ClassVar[Mapping[str, _Handler]] = {
        "content_block_delta": _content_block_delta,
        "message_start": _message_start,
        "message_delta": _message_delta,
        "message_stop": _message_stop,
        "error": _error,
    }


class _JSONPathExtractor(_JSONExtractor):
    _done_data = "[DONE]"
    _needs_object = False

    def __init__(self, path: str) -> None:
        super().__init__(f"json:{path}")
        segments = path.split(".")
        if not path or "" in segments:
            raise ValueError(
                f"invalid format {self.format!r}: the path after 'json:' needs dot-separated,"
                " non-empty segments, e.g. 'json:choices.0.delta.content'"
            )
        # Resolved once here so that feed() does no string parsing per event.
        self._steps: tuple[tuple[str, int | None], ...] = tuple(
            (segment, int(segment) if segment.isascii() and segment.isdigit() else None)
            for segment in segments
        )

    def _extract(self, data: Any, event: Event) -> str | None:
        node = data
        for key, index in self._steps:
            if isinstance(node, dict):
                node = node.get(key)
            elif index is not None and isinstance(node, list) and index < len(node):
                node = node[index]
            else:
                return None
        if isinstance(node, str):
            return node or None
        if node is None:
            return None
        if isinstance(node, (dict, list)):
            self._record_malformed(event, f"{self.format} is {_json_kind(node)}, not text")
            return None
        # A number or a boolean: spelled as in the data (true, not True).
        return json.dumps(node)


_NAMED: dict[str, type[Extractor]] = {
    "text": _TextExtractor,
    "openai": _OpenAIExtractor,
    "openai-responses": _OpenAIResponsesExtractor,
    "anthropic": _AnthropicExtractor,
}

#: The named formats; ``"json:<path>"`` and callables are accepted too.
FORMATS: tuple[str, ...] = tuple(_NAMED)


def get_extractor(format: FormatSpec) -> Extractor:
    """Return a new extractor for ``format``: a name in :data:`FORMATS`,
    ``"json:<dotted.path>"``, or a callable ``event -> str | None``.

    Raises ``ValueError`` for an unknown name or an empty path, ``TypeError`` for
    anything else.
    """
    if isinstance(format, str):
        extractor_class = _NAMED.get(format)
        if extractor_class is not None:
            return extractor_class(format)
        if format.startswith("json:"):
            return _JSONPathExtractor(format[len("json:") :])
        valid = ", ".join(repr(name) for name in FORMATS)
        message = f"unknown format {format!r}; expected one of {valid}, 'json:<path>' or a callable"
        close = difflib.get_close_matches(format.lower(), FORMATS, n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
        raise ValueError(message)
    if callable(format):
        return _CallableExtractor(format)
    raise TypeError(
        "format must be a format name (str) or a callable event -> str | None, "
        f"not {type(format).__name__}"
    )


def _provider_error(
    event: Event, details: object, type_keys: tuple[str, ...], fallback: str
) -> ServerEventError:
    """Build the error for a provider's error object ``details``.

    ``error_type`` is the first of ``type_keys`` that ``details`` has; the message is the
    provider's, or ``fallback`` when it sent none.
    """
    if isinstance(details, str):
        return ServerEventError(details or fallback, event=event)
    if not isinstance(details, dict):
        details = {}
    error_type = ""
    for key in type_keys:
        value = details.get(key)
        if value is not None and value != "":
            error_type = str(value)
            break
    message = details.get("message")
    if message is None or message == "":
        message = f"{fallback} ({error_type})" if error_type else fallback
    return ServerEventError(str(message), error_type=error_type, event=event)


def _json_kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
