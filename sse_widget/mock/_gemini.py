"""Google Gemini's ``streamGenerateContent``: a GenerateContentResponse per event.

The shapes follow the Gemini API reference and streams recorded from it: every chunk
carries ``usageMetadata`` (running counts), ``modelVersion`` and ``responseId``; thoughts
are text parts marked ``"thought": true``; a function call comes whole, its ``args`` an
object, in the last chunk, whose ``finishReason`` is ``STOP``; the stream has no end
marker. Like the real API, the JSON puts a space after each colon and none after commas,
and the endpoint's lines end with CRLF. Without ``alt=sse`` the real API answers one JSON
array of the same objects, and so does the mock (in one piece, not streamed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ._answer import Call, Plan, cut, plan, signature
from ._faults import WireEvent

__all__ = ["gemini_document", "gemini_events"]

_OVERLOADED = {
    "error": {
        "code": 503,
        "message": "The model is overloaded. Please try again later.",
        "status": "UNAVAILABLE",
    }
}


def _plan(call: Call) -> Plan:
    return plan(call, call.payload.get("contents"), "gemini-mock", text_with_tools=True)


def _gemini_json(value: Any) -> str:
    """JSON spaced the way Gemini's servers write it: ``{"a": 1,"b": 2}``."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ": "))


def _usage(answer: Plan, thoughts: int, candidates: int) -> dict[str, Any]:
    usage: dict[str, Any] = {"promptTokenCount": answer.prompt_tokens}
    if candidates:
        usage["candidatesTokenCount"] = candidates
    usage["totalTokenCount"] = answer.prompt_tokens + thoughts + candidates
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": answer.prompt_tokens}]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def _chunks(call: Call) -> Iterator[dict[str, Any]]:
    """The GenerateContentResponse objects of one answer, in order (an error object
    instead of the rest when ``error_after`` says so)."""
    answer = _plan(call)
    thoughts = candidates = 0

    def chunk(parts: list[Any], finish: str | None = None) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if finish is not None:
            candidate["finishReason"] = finish
        candidate["index"] = 0
        return {
            "candidates": [candidate],
            "usageMetadata": _usage(answer, thoughts, candidates),
            "modelVersion": answer.model,
            "responseId": f"mock-{call.digest}",
        }

    finish = "MAX_TOKENS" if answer.cut else "STOP"
    for token in answer.reasoning:
        thoughts += 1
        yield chunk([{"text": token, "thought": True}])
    sent, failed = cut(len(answer.tokens), call.knobs.error_after)
    for number, token in enumerate(answer.tokens[:sent], 1):
        candidates += 1
        last = number == len(answer.tokens) and not answer.calls and not failed
        yield chunk([{"text": token}], finish if last else None)
    if failed:
        yield _OVERLOADED
        return
    if answer.calls:
        parts: list[dict[str, Any]] = []
        for tool in answer.calls:
            candidates += len(tool.pieces())
            parts.append({"functionCall": {"name": tool.name, "args": tool.arguments}})
        if answer.reasoning:
            # After thinking, Gemini signs its first call; a client sends it back.
            parts[0]["thoughtSignature"] = signature(answer.thinking)
        yield chunk(parts, finish)
    elif not answer.tokens:
        yield chunk([{"text": ""}], finish)


def gemini_events(call: Call) -> Iterator[WireEvent]:
    for value in _chunks(call):
        yield WireEvent(_gemini_json(value))


def gemini_document(call: Call) -> Any:
    """The answer without ``alt=sse``: the same objects, as one JSON array."""
    return list(_chunks(call))
