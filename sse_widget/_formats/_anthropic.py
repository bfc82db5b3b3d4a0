"""Anthropic's Messages stream: content blocks of text, thinking and tool use."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from .._models import Event
from ._base import Handler, TypedJSONExtractor, as_dict, provider_error


class MessagesExtractor(TypedJSONExtractor):
    def __init__(self, format: str) -> None:
        super().__init__(format)
        #: The type of each content block by its index ("text", "thinking", "tool_use"...).
        self._blocks: dict[object, str] = {}

    def _block_start(self, data: dict[str, Any], event: Event) -> None:
        block = as_dict(data.get("content_block"))
        kind = str(block.get("type"))
        index = data.get("index")
        if kind == "thinking" and "thinking" in self._blocks.values():
            self._add_reasoning("\n\n")  # a new thinking block: a new paragraph
        self._blocks[index] = kind
        if kind in ("tool_use", "server_tool_use"):
            # The input is streamed as input_json_delta; one sent whole comes here.
            given = block.get("input")
            self._add_tool_call(
                index,
                id=block.get("id"),
                name=block.get("name"),
                arguments=json.dumps(given) if given else "",
            )
        elif kind == "thinking":
            self._add_reasoning(block.get("thinking"))
        elif kind == "text":
            self._add_text(block.get("text"))

    def _block_delta(self, data: dict[str, Any], event: Event) -> None:
        delta = as_dict(data.get("delta"))
        kind = delta.get("type")
        if kind == "text_delta":
            self._add_text(delta.get("text"))
        elif kind == "thinking_delta":
            self._add_reasoning(delta.get("thinking"))
        elif kind == "input_json_delta":
            self._add_tool_call(data.get("index"), arguments=delta.get("partial_json"))
        # signature_delta (the thinking block's signature) and citations are not text.

    def _block_stop(self, data: dict[str, Any], event: Event) -> None:
        index = data.get("index")
        if index in self._tool_index:
            self._add_tool_call(index, done=True)

    def _message_start(self, data: dict[str, Any], event: Event) -> None:
        self._merge_usage(as_dict(data.get("message")).get("usage"))

    def _message_delta(self, data: dict[str, Any], event: Event) -> None:
        # Its output_tokens is the running total, so merging replaces the earlier figure.
        self._merge_usage(data.get("usage"))
        self._set_finish_reason(as_dict(data.get("delta")).get("stop_reason"))

    def _message_stop(self, data: dict[str, Any], event: Event) -> None:
        self.done = True
        self._finish_tool_calls()

    def _error(self, data: dict[str, Any], event: Event) -> None:
        raise provider_error(event, data.get("error"), ("type",), "the stream reported an error")

    _handlers: ClassVar[Mapping[str, Handler]] = {
        "content_block_start": _block_start,
        "content_block_delta": _block_delta,
        "content_block_stop": _block_stop,
        "message_start": _message_start,
        "message_delta": _message_delta,
        "message_stop": _message_stop,
        "error": _error,
    }
