"""The Vercel AI SDK's UI message stream: what a ``useChat`` route sends its page.

The shapes follow the AI SDK's stream protocol page and its chunk schema
(``ui-message-chunks.ts``, strict objects: no field beyond those listed there): ``start``,
``start-step``, then start/delta/end triples for reasoning and text with an ``id``, tool
input as ``tool-input-start`` / ``tool-input-delta`` / ``tool-input-available``, then
``finish-step``, ``finish`` (with ``finishReason``, as AI SDK 5.0 late releases and 6
send it) and the literal ``data: [DONE]``. The response carries the
``x-vercel-ai-ui-message-stream: v1`` header a custom backend must send.

The route speaks for a model that says a sentence before its tool calls (as Claude and
Gemini do); a mid-stream error is an ``error`` part with the AI SDK's default, masked
message, then ``[DONE]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._answer import Call, Plan, cut, data, plan
from ._faults import WireEvent

__all__ = ["HEADERS", "ai_sdk_events"]

#: What ``createUIMessageStreamResponse`` adds to a response (Content-Type and
#: Cache-Control are the mock's own).
HEADERS = (("x-vercel-ai-ui-message-stream", "v1"), ("x-accel-buffering", "no"))

#: The AI SDK hides an error's details from the page unless the route says otherwise.
_MASKED_ERROR = "An error occurred."


def _finish_reason(answer: Plan) -> str:
    if answer.cut:
        return "length"
    return "tool-calls" if answer.calls else "stop"


def ai_sdk_events(call: Call) -> Iterator[WireEvent]:
    answer = plan(call, call.payload.get("messages"), "mock-ai-sdk", text_with_tools=True)

    def emit(kind: str, **fields: Any) -> WireEvent:
        return data({"type": kind, **fields})

    yield emit("start", messageId=f"msg-mock-{call.digest}")
    yield emit("start-step")
    if answer.reasoning:
        yield emit("reasoning-start", id="reasoning-0")
        for token in answer.reasoning:
            yield emit("reasoning-delta", id="reasoning-0", delta=token)
        yield emit("reasoning-end", id="reasoning-0")
    sent, failed = cut(len(answer.tokens), call.knobs.error_after)
    if answer.tokens or not answer.calls:
        yield emit("text-start", id="text-1")
        for token in answer.tokens[:sent]:
            yield emit("text-delta", id="text-1", delta=token)
    if failed:
        yield emit("error", errorText=_MASKED_ERROR)
        yield WireEvent("[DONE]")
        return
    if answer.tokens or not answer.calls:
        yield emit("text-end", id="text-1")
    for tool in answer.calls:
        call_id = f"call_mock_{call.digest}_{tool.number}"
        yield emit("tool-input-start", toolCallId=call_id, toolName=tool.name)
        for piece in tool.pieces():
            yield emit("tool-input-delta", toolCallId=call_id, inputTextDelta=piece)
        yield emit(
            "tool-input-available", toolCallId=call_id, toolName=tool.name, input=tool.arguments
        )
    yield emit("finish-step")
    yield emit("finish", finishReason=_finish_reason(answer))
    yield WireEvent("[DONE]")
