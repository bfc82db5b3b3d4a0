"""Formats that need no provider: raw data, a function of yours, a JSON path."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._models import Event
from ._base import Extractor, JSONExtractor, json_kind


class TextExtractor(Extractor):
    def feed(self, event: Event) -> str | None:
        self.parts(event)
        return event.data  # as is, even empty

    def _parse(self, event: Event) -> None:
        self._add_text(event.data)


class CallableExtractor(Extractor):
    def __init__(self, function: Callable[[Event], str | None]) -> None:
        super().__init__("callable")
        self._function = function
        self._returned: str | None = None

    def feed(self, event: Event) -> str | None:
        self.parts(event)
        return self._returned  # as the function said, even ""

    def _parse(self, event: Event) -> None:
        text = self._returned = self._function(event)
        # Caught here rather than where the tokens are joined, far from the user's code.
        if text is not None and not isinstance(text, str):
            raise TypeError(
                f"the format callable {self._function!r} returned "
                f"{type(text).__name__}, not str or None"
            )
        self._add_text(text)


@dataclass(frozen=True)
class JSONFormat:
    """A format for any JSON stream, by dotted paths into each event's data.

    ``JSONFormat("content")`` is the same as ``"json:content"``. ``reasoning`` is where
    reasoning text is, if the server streams some; ``done`` where the server says it is
    done when that value is true (llama.cpp's ``"stop": true``: ``done="stop"``), besides
    ``data: [DONE]``. A segment of ASCII digits indexes a list.

    >>> JSONFormat("content", done="stop")
    JSONFormat(text='content', reasoning=None, done='stop')
    """

    text: str
    reasoning: str | None = None
    done: str | None = None


def _steps(path: str, what: str, example: str) -> tuple[tuple[str, int | None], ...]:
    segments = path.split(".")
    if not path or "" in segments:
        raise ValueError(
            f"invalid {what}: the path needs dot-separated, non-empty segments, e.g. {example!r}"
        )
    # Resolved once here so that reading an event does no string parsing.
    return tuple(
        (segment, int(segment) if segment.isascii() and segment.isdigit() else None)
        for segment in segments
    )


def _walk(node: Any, steps: tuple[tuple[str, int | None], ...]) -> Any:
    for key, index in steps:
        if isinstance(node, dict):
            node = node.get(key)
        elif index is not None and isinstance(node, list) and index < len(node):
            node = node[index]
        else:
            return None
    return node


class JSONPathExtractor(JSONExtractor):
    _done_data = "[DONE]"
    _needs_object = False

    def __init__(self, spec: JSONFormat) -> None:
        super().__init__(f"json:{spec.text}")
        self._text = _steps(spec.text, f"format {self.format!r}", "json:choices.0.delta.content")
        self._reasoning_steps = self._done_steps = None
        if spec.reasoning is not None:
            what = f"JSONFormat reasoning={spec.reasoning!r}"
            self._reasoning_steps = _steps(spec.reasoning, what, "choices.0.delta.reasoning")
        if spec.done is not None:
            self._done_steps = _steps(spec.done, f"JSONFormat done={spec.done!r}", "stop")

    def _extract(self, data: Any, event: Event) -> None:
        if self._reasoning_steps is not None:
            reasoning = _walk(data, self._reasoning_steps)
            self._add_reasoning(self._scalar(reasoning, event, "its reasoning path"))
        self._add_text(self._scalar(_walk(data, self._text), event, self.format))
        if self._done_steps is not None and _walk(data, self._done_steps):
            self.done = True

    def _scalar(self, node: Any, event: Event, what: str) -> str | None:
        if isinstance(node, str) or node is None:
            return node
        if isinstance(node, (dict, list)):
            self._record_malformed(event, f"{what} is {json_kind(node)}, not text")
            return None
        # A number or a boolean: spelled as in the data (true, not True).
        return json.dumps(node)
