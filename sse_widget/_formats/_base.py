"""What every extractor shares: the parts an event adds, tool calls, the JSON plumbing."""

from __future__ import annotations

import collections
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

from .._coalesce import utf16_length
from .._exceptions import ServerEventError
from .._models import Event

#: How many malformed events an extractor keeps (the most recent ones).
MALFORMED_KEPT = 100


@dataclass(frozen=True)
class TextPart:
    """Answer text an event added."""

    text: str


@dataclass(frozen=True)
class ReasoningPart:
    """Reasoning ("thinking") text an event added, before or between the answer's parts."""

    text: str


@dataclass(frozen=True)
class ToolCallPart:
    """A piece of tool call number ``index`` (0-based, in order of appearance)."""

    index: int
    #: The call's id and the tool's name, as far as they are known (from its first part on,
    #: for every provider but a few that send them late).
    id: str | None
    name: str | None
    #: Argument text this event appended (streamed JSON, raw: it parses only once done).
    arguments: str
    #: Whether the arguments are complete with this part.
    done: bool


#: One thing an event adds: see :meth:`Extractor.parts`.
Part: TypeAlias = TextPart | ReasoningPart | ToolCallPart


@dataclass
class ToolCall:
    """A tool call as streamed so far: ``arguments`` is the raw text received."""

    id: str | None = None
    name: str | None = None
    arguments: str = ""
    #: Whether the stream said the arguments are complete.
    done: bool = False

    def json(self) -> Any:
        """The arguments, parsed. ``{}`` when the call has none.

        Raises ``ValueError`` naming the tool and where the JSON breaks when the
        arguments are not valid JSON (a call cut short, or a model's mistake).
        """
        if not self.arguments.strip():
            return {}
        try:
            return json.loads(self.arguments)
        except json.JSONDecodeError as exc:
            excerpt = self.arguments if len(self.arguments) <= 80 else self.arguments[:77] + "..."
            state = "" if self.done else " (the call is not complete yet)"
            raise ValueError(
                f"the arguments of tool call {self.name!r} (id {self.id!r}) are not valid "
                f"JSON{state}: {exc.msg} at line {exc.lineno} column {exc.colno}: {excerpt!r}"
            ) from exc


@dataclass(frozen=True)
class MalformedEvent:
    """An event an extractor could not parse, kept so the user can see what arrived."""

    #: The raw event, data as received.
    event: Event
    #: Why it was rejected, e.g. ``"invalid JSON: Expecting value at line 1 column 1"``.
    reason: str


class Extractor:
    """Stateful, one per stream. For each event in order, call :meth:`feed` (the answer
    text it adds) or :meth:`parts` (everything it adds, typed): one of the two per event.

    Get one with :func:`~sse_widget.get_extractor`.
    """

    def __init__(self, format: str) -> None:
        #: The format's name: ``"openai"``, ``"json:choices.0.delta.content"``, ``"callable"``...
        self.format = format
        #: Provider usage figures, merged as they arrive; ``None`` until the stream sends some.
        self.usage: dict[str, Any] | None = None
        #: Whether the stream said it finished (``[DONE]``, ``message_stop``, ...).
        self.done = False
        #: Why the model stopped, in the provider's own word (``"stop"``, ``"length"``,
        #: ``"tool_calls"``, ``"end_turn"``, ``"max_tokens"``, ``"STOP"``...); ``None``
        #: until the stream says.
        self.finish_reason: str | None = None
        #: Every tool call so far, in order of appearance.
        self.tool_calls: list[ToolCall] = []
        #: Keep at most this many characters of reasoning (the oldest go); ``None``: all.
        self.max_reasoning_chars: int | None = None
        #: Characters of reasoning dropped to stay within ``max_reasoning_chars``.
        self.reasoning_dropped = 0
        # The same in UTF-16 units, the unit of a browser's strings (for the views).
        self._reasoning_dropped_units = 0
        #: The last :data:`MALFORMED_KEPT` events that could not be parsed.
        self.malformed: collections.deque[MalformedEvent] = collections.deque(maxlen=MALFORMED_KEPT)
        #: How many events could not be parsed, in total.
        self.malformed_count = 0
        self._reasoning_pieces: list[str] = []
        self._reasoning_chars = 0
        self._tool_index: dict[object, int] = {}
        self._out: list[Part] = []

    @property
    def reasoning(self) -> str:
        """The reasoning ("thinking") text so far (its kept tail, with a limit)."""
        # Safe to read from another thread than the one feeding: only that one changes
        # the list, and a copy of a list is atomic.
        return "".join(list(self._reasoning_pieces))

    def feed(self, event: Event) -> str | None:
        """Return the answer text ``event`` adds, or ``None`` when it adds none.

        Reasoning and tool calls are kept (``reasoning``, ``tool_calls``) but not
        returned. Raises ``ServerEventError`` for an error the provider reports inside
        the stream.
        """
        texts = [part.text for part in self.parts(event) if isinstance(part, TextPart)]
        return "".join(texts) if texts else None

    def parts(self, event: Event) -> list[Part]:
        """Everything ``event`` adds, in stream order: answer text, reasoning, pieces of
        tool calls. Raises as :meth:`feed` does."""
        self._out = []
        self._parse(event)
        parts, self._out = self._out, []
        return parts

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.format!r} done={self.done} "
            f"finish_reason={self.finish_reason!r} usage={self.usage!r} "
            f"tool_calls={len(self.tool_calls)} malformed={self.malformed_count}>"
        )

    # -- for the formats ----------------------------------------------------------------

    def _parse(self, event: Event) -> None:
        """Read ``event``, adding its parts with the ``_add_*`` methods."""
        raise NotImplementedError

    def _add_text(self, text: object) -> None:
        if isinstance(text, str) and text:
            self._out.append(TextPart(text))

    def _add_reasoning(self, text: object) -> None:
        if not isinstance(text, str) or not text:
            return
        self._out.append(ReasoningPart(text))
        pieces = self._reasoning_pieces
        pieces.append(text)
        self._reasoning_chars += len(text)
        if len(pieces) >= 256:  # joined now and then: a piece costs more than its text
            self._reasoning_pieces = ["".join(pieces)]
        limit = self.max_reasoning_chars
        if limit is not None and self._reasoning_chars > limit:
            # Drop a sixteenth more than needed, so that trimming is not per piece.
            whole = self.reasoning
            cut = self._reasoning_chars - limit + limit // 16
            kept = whole[cut:]
            self.reasoning_dropped += cut
            self._reasoning_dropped_units += utf16_length(whole[:cut])
            self._reasoning_pieces, self._reasoning_chars = [kept], len(kept)

    def _add_tool_call(
        self,
        key: object,
        *,
        id: object = None,
        name: object = None,
        arguments: object = "",
        done: bool = False,
    ) -> None:
        """A piece of the call the provider knows as ``key`` (its index, item id or block
        index); a key not seen before starts a new call."""
        index = self._tool_index.get(key)
        if index is None:
            index = self._tool_index[key] = len(self.tool_calls)
            self.tool_calls.append(ToolCall())
        call = self.tool_calls[index]
        if call.id is None and isinstance(id, str) and id:
            call.id = id
        if call.name is None and isinstance(name, str) and name:
            call.name = name
        text = arguments if isinstance(arguments, str) else ""
        call.arguments += text
        call.done = call.done or done
        self._out.append(ToolCallPart(index, call.id, call.name, text, call.done))

    def _complete_tool_call(
        self, key: object, whole: object, *, id: object = None, name: object = None
    ) -> None:
        """Call ``key`` is complete. ``whole`` is its arguments as sent in one piece at
        the end, taken only when none were streamed before."""
        index = self._tool_index.get(key)
        streamed = index is not None and self.tool_calls[index].arguments
        self._add_tool_call(key, id=id, name=name, arguments="" if streamed else whole, done=True)

    def _finish_tool_calls(self) -> None:
        """The model stopped: every call it streamed is complete."""
        for key, index in self._tool_index.items():
            if not self.tool_calls[index].done:
                self._add_tool_call(key, done=True)

    def _set_finish_reason(self, reason: object) -> None:
        if isinstance(reason, str) and reason:
            self.finish_reason = reason

    def _record_malformed(self, event: Event, reason: str) -> None:
        self.malformed.append(MalformedEvent(event, reason))
        self.malformed_count += 1

    def _merge_usage(self, usage: object) -> None:
        if not isinstance(usage, dict):
            return
        figures = {key: value for key, value in usage.items() if value is not None}
        if figures:
            self.usage = {**(self.usage or {}), **figures}


class JSONExtractor(Extractor):
    """The formats whose data is JSON: parses once, records what does not parse."""

    #: Data that ends the stream instead of being JSON (``None``: no such marker).
    _done_data: ClassVar[str | None] = None
    #: Whether the data must be a JSON object (else anything JSON will do).
    _needs_object: ClassVar[bool] = True

    def _parse(self, event: Event) -> None:
        data = event.data
        if not data or data.isspace():
            return
        if data == self._done_data:
            self.done = True
            self._finish_tool_calls()
            return
        try:
            parsed = json.loads(data)
        except json.JSONDecodeError as exc:
            self._record_malformed(
                event, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            )
            return
        except (ValueError, RecursionError) as exc:
            # Too many digits in an integer, or nesting deeper than the stack.
            self._record_malformed(event, f"invalid JSON: {exc}")
            return
        if self._needs_object and not isinstance(parsed, dict):
            self._record_malformed(event, f"expected a JSON object, got {json_kind(parsed)}")
            return
        self._extract(parsed, event)

    def _extract(self, data: Any, event: Event) -> None:
        """Read ``data``, the parsed JSON (a dict if ``_needs_object``)."""
        raise NotImplementedError


# A handler of one event type: (extractor, parsed data, raw event). The first parameter
# is Any because each handler takes its own subclass as self.
Handler: TypeAlias = Callable[[Any, dict[str, Any], Event], None]


class TypedJSONExtractor(JSONExtractor):
    """The formats whose events name their type: dispatch to a handler per type."""

    #: Handler per event type; a type not listed adds nothing.
    _handlers: ClassVar[Mapping[str, Handler]] = {}

    def _extract(self, data: dict[str, Any], event: Event) -> None:
        kind = data.get("type")
        if not isinstance(kind, str):
            kind = event.event
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(self, data, event)


def first_choice(choices: object, index_key: str = "index") -> dict[str, Any] | None:
    """Choice (or candidate) 0 of a list: the answer. With several (``n > 1``) the others
    interleave with it and are not read."""
    if not isinstance(choices, list):
        return None
    for choice in choices:
        if isinstance(choice, dict) and choice.get(index_key) in (0, None):
            return choice
    return None


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def provider_error(
    event: Event, details: object, type_keys: tuple[str, ...], fallback: str
) -> ServerEventError:
    """Build the error for a provider's error object ``details``.

    ``error_type`` is the first of ``type_keys`` that ``details`` has; the message is the
    provider's, or ``fallback`` when it sent none.
    """
    if isinstance(details, str):
        return ServerEventError(details or fallback, event=event)
    details = as_dict(details)
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


def json_kind(value: object) -> str:
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
