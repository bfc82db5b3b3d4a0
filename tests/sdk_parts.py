"""What the official SDKs make of a stream, as plain data.

Each ``sdk_*_parts`` function reads the objects an SDK parsed from one stream (its
``Stream``, or a list of what it yielded) and returns the answer's parts in one plain
dict, so a test can compare them with anything else that reads the same bytes (the mock's
own plan, or the package's extractors)::

    {"text": str,              # the answer's text, joined
     "reasoning": str,         # the reasoning (thinking, summary) text, joined
     "tool_calls": [{"id": str | None, "name": str, "arguments": str}],  # as streamed
     "finish_reason": str | None,   # the provider's own word
     "usage": dict | None}          # the usage the stream sent, keys as on the wire

``unset_fields(model)`` lists the fields an SDK model requires but the stream left out
(or null), recursively: the SDKs build their models without validation, so a missing
field only shows up later, as ``None`` where the user's code expects a value.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

__all__ = [
    "sdk_anthropic_parts",
    "sdk_openai_chat_parts",
    "sdk_openai_responses_parts",
    "unset_fields",
    "unset_paths",
]


PROMPT = "How do Server-Sent Events work?"
MESSAGES: list[Any] = [{"role": "user", "content": PROMPT}]

#: The knobs of each stream shape.
SHAPES: dict[str, dict[str, str]] = {
    "plain": {},
    "reasoning": {"reasoning": "1"},
    "tools": {"tools": "2"},
    "both": {"reasoning": "1", "tools": "1"},
    "cut": {"finish": "length"},
}


def _parts() -> dict[str, Any]:
    return {"text": "", "reasoning": "", "tool_calls": [], "finish_reason": None, "usage": None}


def _wire(model: BaseModel | None) -> dict[str, Any] | None:
    """A model as the JSON it came from: only the fields the stream sent."""
    return None if model is None else model.model_dump(mode="json", exclude_unset=True)


def sdk_openai_chat_parts(chunks: Iterable[Any]) -> dict[str, Any]:
    """Chat Completions chunks (``openai`` ``ChatCompletionChunk``): text from
    ``delta.content``, reasoning from ``delta.reasoning_content`` or ``delta.reasoning``
    (fields the SDK does not model: read from its extras), tool calls joined by
    ``index``, choice 0's ``finish_reason``, and the usage chunk."""
    parts = _parts()
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        if chunk.usage is not None:
            parts["usage"] = _wire(chunk.usage)
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            delta = choice.delta
            parts["text"] += delta.content or ""
            extra = delta.model_extra or {}
            parts["reasoning"] += extra.get("reasoning_content") or extra.get("reasoning") or ""
            for piece in delta.tool_calls or ():
                call = calls.setdefault(piece.index, {"id": None, "name": "", "arguments": ""})
                call["id"] = call["id"] or piece.id
                if piece.function is not None:
                    call["name"] += piece.function.name or ""
                    call["arguments"] += piece.function.arguments or ""
            if choice.finish_reason is not None:
                parts["finish_reason"] = choice.finish_reason
    parts["tool_calls"] = [calls[index] for index in sorted(calls)]
    return parts


def sdk_openai_responses_parts(events: Iterable[Any]) -> dict[str, Any]:
    """Responses events (``openai`` ``ResponseStreamEvent``): text from
    ``response.output_text.delta``, reasoning from the summary deltas, function calls
    from their items (id: ``call_id``) and argument deltas; the finish reason is the
    incomplete reason, else the final status; usage from the final response."""
    parts = _parts()
    calls: dict[str, dict[str, Any]] = {}  # by item id
    for event in events:
        kind = event.type
        if kind == "response.output_text.delta":
            parts["text"] += event.delta
        elif kind == "response.reasoning_summary_text.delta":
            parts["reasoning"] += event.delta
        elif kind == "response.output_item.added" and event.item.type == "function_call":
            item = event.item
            calls[item.id] = {"id": item.call_id, "name": item.name, "arguments": ""}
        elif kind == "response.function_call_arguments.delta":
            calls[event.item_id]["arguments"] += event.delta
        elif kind in ("response.completed", "response.incomplete"):
            response = event.response
            details = response.incomplete_details
            reason = details.reason if details is not None else None
            parts["finish_reason"] = reason or response.status
            parts["usage"] = _wire(response.usage)
    parts["tool_calls"] = list(calls.values())
    return parts


def sdk_anthropic_parts(events: Iterable[Any]) -> dict[str, Any]:
    """Messages events (``anthropic`` raw stream events): text and thinking deltas,
    ``tool_use`` blocks with their ``partial_json`` joined, ``message_delta``'s
    ``stop_reason``; usage is ``message_start``'s, updated by ``message_delta``'s."""
    parts = _parts()
    calls: dict[int, dict[str, Any]] = {}  # by block index
    usage: dict[str, Any] = {}
    for event in events:
        kind = event.type
        if kind == "message_start":
            usage.update(_wire(event.message.usage) or {})
        elif kind == "content_block_start" and event.content_block.type == "tool_use":
            block = event.content_block
            calls[event.index] = {"id": block.id, "name": block.name, "arguments": ""}
        elif kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta":
                parts["text"] += delta.text
            elif delta.type == "thinking_delta":
                parts["reasoning"] += delta.thinking
            elif delta.type == "input_json_delta":
                calls[event.index]["arguments"] += delta.partial_json
        elif kind == "message_delta":
            parts["finish_reason"] = event.delta.stop_reason
            usage.update(_wire(event.usage) or {})
    parts["tool_calls"] = [calls[index] for index in sorted(calls)]
    parts["usage"] = usage or None
    return parts


# --- fields left unset -----------------------------------------------------------------


def _allows_none(annotation: Any) -> bool:
    if annotation is None or annotation is type(None):
        return True
    return any(_allows_none(arg) for arg in typing.get_args(annotation))


def unset_fields(value: Any, path: str = "") -> list[str]:
    """Paths of the required fields left out of (or null in) ``value`` and everything it
    contains: ``["response.tools (missing)", ...]``; empty when every one is set."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            where = f"{path}.{name}" if path else name
            field_value = getattr(value, name, None)
            if info.is_required() and name not in value.model_fields_set:
                found.append(f"{where} (missing)")
            elif info.is_required() and field_value is None and not _allows_none(info.annotation):
                found.append(f"{where} (null)")
            found += unset_fields(field_value, where)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += unset_fields(item, f"{path}[{index}]")
    elif isinstance(value, dict) and not isinstance(value, types.MappingProxyType):
        for key, item in value.items():
            found += unset_fields(item, f"{path}.{key}")
    return found


def unset_paths(value: Any, paths: Iterable[str]) -> list[str]:
    """Which of the dotted ``paths`` (optional fields the real API always sends) are
    ``None`` on ``value``; a path through a ``None`` counts as unset."""
    unset = []
    for path in paths:
        current = value
        for name in path.split("."):
            current = getattr(current, name, None)
            if current is None:
                unset.append(path)
                break
    return unset
