"""Anthropic's Messages stream: one content block after another, thinking first.

The shapes follow Anthropic's streaming reference and the streams recorded in the
official SDK's tests: a ``thinking`` block ends with one ``signature_delta``; a
``tool_use`` block starts with ``input: {}`` and streams its input as ``partial_json``
pieces, the first one empty; Claude says a sentence before it calls a tool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._answer import Call, Plan, ToolCall, cut, data, plan, signature
from ._faults import WireEvent

__all__ = ["PING_EVERY", "anthropic_document", "anthropic_events"]

#: Anthropic sends a ``ping`` event after this many deltas (and one after the first block
#: starts).
PING_EVERY = 20


def _plan(call: Call) -> Plan:
    return plan(call, call.payload.get("messages"), "mock-claude", text_with_tools=True)


def _stop_reason(answer: Plan) -> str:
    if answer.cut:
        return "max_tokens"
    return "tool_use" if answer.calls else "end_turn"


def _tool_id(call: Call, tool: ToolCall) -> str:
    return f"toolu_mock_{call.digest}_{tool.number}"


def _blocks(call: Call, answer: Plan) -> list[dict[str, Any]]:
    """The content of the finished message, block by block."""
    blocks: list[dict[str, Any]] = []
    if answer.reasoning:
        thinking = answer.thinking
        blocks.append({"type": "thinking", "thinking": thinking, "signature": signature(thinking)})
    if answer.tokens or not answer.calls:
        blocks.append({"type": "text", "text": answer.text})
    for tool in answer.calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": _tool_id(call, tool),
                "name": tool.name,
                "input": tool.arguments,
            }
        )
    return blocks


def _message(call: Call, answer: Plan, *, done: bool) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "input_tokens": answer.prompt_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": answer.completion_tokens if done else 1,
        "service_tier": "standard",
    }
    return {
        "id": f"msg_mock_{call.digest}",
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": _blocks(call, answer) if done else [],
        "stop_reason": _stop_reason(answer) if done else None,
        "stop_sequence": None,
        "usage": usage,
    }


def anthropic_events(call: Call) -> Iterator[WireEvent]:
    answer = _plan(call)
    deltas = 0

    def emit(kind: str, **fields: Any) -> WireEvent:
        return data({"type": kind, **fields}, kind)

    def delta(index: int, body: dict[str, Any]) -> Iterator[WireEvent]:
        nonlocal deltas
        deltas += 1
        yield emit("content_block_delta", index=index, delta=body)
        if deltas % PING_EVERY == 0:
            yield emit("ping")

    def start(index: int, block: dict[str, Any]) -> Iterator[WireEvent]:
        yield emit("content_block_start", index=index, content_block=block)
        if index == 0:
            yield emit("ping")

    yield emit("message_start", message=_message(call, answer, done=False))
    index = 0
    if answer.reasoning:
        yield from start(index, {"type": "thinking", "thinking": "", "signature": ""})
        for token in answer.reasoning:
            yield from delta(index, {"type": "thinking_delta", "thinking": token})
        signed = {"type": "signature_delta", "signature": signature(answer.thinking)}
        yield from delta(index, signed)
        yield emit("content_block_stop", index=index)
        index += 1
    sent, failed = cut(len(answer.tokens), call.knobs.error_after)
    if answer.tokens or not answer.calls:
        yield from start(index, {"type": "text", "text": ""})
        for token in answer.tokens[:sent]:
            yield from delta(index, {"type": "text_delta", "text": token})
    if failed:
        yield emit("error", error={"type": "overloaded_error", "message": "Overloaded"})
        return
    if answer.tokens or not answer.calls:
        yield emit("content_block_stop", index=index)
        index += 1
    for tool in answer.calls:
        block = {"type": "tool_use", "id": _tool_id(call, tool), "name": tool.name, "input": {}}
        yield from start(index, block)
        for piece in ["", *tool.pieces(spaced=True)]:
            yield from delta(index, {"type": "input_json_delta", "partial_json": piece})
        yield emit("content_block_stop", index=index)
        index += 1
    stop = {"stop_reason": _stop_reason(answer), "stop_sequence": None}
    yield emit("message_delta", delta=stop, usage={"output_tokens": answer.completion_tokens})
    yield emit("message_stop")


def anthropic_document(call: Call) -> Any:
    return _message(call, _plan(call), done=True)
