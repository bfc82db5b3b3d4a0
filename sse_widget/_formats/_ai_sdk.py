"""The Vercel AI SDK's UI message stream (``useChat``'s protocol), over SSE."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from .._exceptions import ServerEventError
from .._models import Event
from ._base import Handler, TypedJSONExtractor


class AISDKExtractor(TypedJSONExtractor):
    _done_data = "[DONE]"

    def __init__(self, format: str) -> None:
        super().__init__(format)
        self._reasoning_blocks = 0

    def _text(self, data: dict[str, Any], event: Event) -> None:
        self._add_text(data.get("delta"))

    def _reasoning_start(self, data: dict[str, Any], event: Event) -> None:
        if self._reasoning_blocks:
            self._add_reasoning("\n\n")  # a new reasoning part: a new paragraph
        self._reasoning_blocks += 1

    def _reasoning(self, data: dict[str, Any], event: Event) -> None:
        self._add_reasoning(data.get("delta"))

    def _tool_start(self, data: dict[str, Any], event: Event) -> None:
        self._add_tool_call(
            data.get("toolCallId"), id=data.get("toolCallId"), name=data.get("toolName")
        )

    def _tool_delta(self, data: dict[str, Any], event: Event) -> None:
        self._add_tool_call(data.get("toolCallId"), arguments=data.get("inputTextDelta"))

    def _tool_input(self, data: dict[str, Any], event: Event) -> None:
        # The whole input, parsed: taken as the arguments only if none were streamed.
        key = data.get("toolCallId")
        whole = json.dumps(data["input"]) if "input" in data else ""
        self._complete_tool_call(key, whole, id=key, name=data.get("toolName"))

    def _finish(self, data: dict[str, Any], event: Event) -> None:
        self._set_finish_reason(data.get("finishReason"))
        self.done = True
        self._finish_tool_calls()

    def _abort(self, data: dict[str, Any], event: Event) -> None:
        self._set_finish_reason("abort")
        self.done = True

    def _error(self, data: dict[str, Any], event: Event) -> None:
        message = data.get("errorText")
        raise ServerEventError(
            str(message) if message else "the stream reported an error", event=event
        )

    _handlers: ClassVar[Mapping[str, Handler]] = {
        "text-delta": _text,
        "reasoning-start": _reasoning_start,
        "reasoning-delta": _reasoning,
        "tool-input-start": _tool_start,
        "tool-input-delta": _tool_delta,
        "tool-input-available": _tool_input,
        "tool-input-error": _tool_input,
        "finish": _finish,
        "abort": _abort,
        "error": _error,
    }
