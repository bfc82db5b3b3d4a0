"""OpenAI's two streaming APIs: Chat Completions chunks and Responses events.

The shapes follow OpenAI's API reference and streams recorded from the real API: field
names, which fields are ``null`` rather than absent, the order of events. The official
``openai`` SDK parses every shape without a field it models left unset (see
``tests/test_mock_sdks.py``). What the mock leaves out: the random ``obfuscation`` padding
the real API adds to each delta, and ``logprobs`` content (always an empty list).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

from ._answer import CREATED, TOOLS, Call, Plan, ToolCall, cut, data, plan
from ._faults import WireEvent

__all__ = ["chat_document", "chat_events", "responses_document", "responses_events"]

_SERVER_ERROR = "The server had an error while processing your request."

#: Makes one Responses event: its type, then its fields (the sequence number is added).
_Emit = Callable[..., WireEvent]


def _finish_reason(answer: Plan) -> str:
    if answer.cut:
        return "length"
    return "tool_calls" if answer.calls else "stop"


def _call_id(call: Call, tool: ToolCall) -> str:
    return f"call_mock_{call.digest}_{tool.number}"


def _function_tools(nested: bool) -> list[dict[str, Any]]:
    """The mock's tools as a request would declare them (Chat nests the function)."""
    tools: list[dict[str, Any]] = []
    for name, arguments in TOOLS:
        properties = {key: {"type": "string"} for key in arguments}
        schema = {"type": "object", "properties": properties, "required": list(arguments)}
        function: dict[str, Any] = {
            "name": name,
            "description": f"Mock tool {name}.",
            "parameters": schema,
        }
        if nested:
            tools.append({"type": "function", "function": function})
        else:
            tools.append({"type": "function", **function, "strict": True})
    return tools


# --- Chat Completions ------------------------------------------------------------------


def _chat_plan(call: Call) -> Plan:
    return plan(call, call.payload.get("messages"), "mock-gpt", text_with_tools=False)


def _chat_head(call: Call, answer: Plan, kind: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-mock-{call.digest}",
        "object": kind,
        "created": CREATED,
        "model": answer.model,
        "service_tier": "default",
        "system_fingerprint": "fp_mock",
    }


def _chat_usage(answer: Plan) -> dict[str, Any]:
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": answer.total_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": len(answer.reasoning),
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _reasoning_field(call: Call) -> str:
    """Where a Chat Completions server puts reasoning: ``reasoning_content`` (DeepSeek,
    vLLM, Qwen) or ``reasoning`` (OpenRouter, Ollama). OpenAI's own API sends none."""
    return "reasoning" if call.knobs.reasoning == "openrouter" else "reasoning_content"


def _role_delta(call: Call, answer: Plan) -> dict[str, Any]:
    if answer.reasoning and call.knobs.reasoning == "on":
        return {"role": "assistant", "content": None, "reasoning_content": ""}
    # Content is null when the answer is only tool calls, as OpenAI sends it.
    content = None if answer.calls and not answer.tokens else ""
    return {"role": "assistant", "content": content, "refusal": None}


def _tool_deltas(call: Call, answer: Plan) -> Iterator[dict[str, Any]]:
    for tool in answer.calls:
        function = {"name": tool.name, "arguments": ""}
        head = {"index": tool.number, "id": _call_id(call, tool), "type": "function"}
        yield {"tool_calls": [{**head, "function": function}]}
        for piece in tool.pieces():
            yield {"tool_calls": [{"index": tool.number, "function": {"arguments": piece}}]}


def chat_events(call: Call) -> Iterator[WireEvent]:
    answer = _chat_plan(call)
    head = _chat_head(call, answer, "chat.completion.chunk")
    options = call.payload.get("stream_options")
    with_usage = isinstance(options, dict) and bool(options.get("include_usage"))

    def chunk(choices: list[Any], usage: Any = None) -> WireEvent:
        body = {**head, "choices": choices}
        if with_usage:
            body["usage"] = usage
        return data(body)

    def choice(delta: dict[str, Any], finish: str | None = None) -> list[Any]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    role = _role_delta(call, answer)
    tools = _tool_deltas(call, answer)
    if not answer.reasoning and not answer.tokens and answer.calls:
        # The first call rides on the role chunk, as OpenAI sends a tool-only answer.
        role = {**role, **next(tools)}
    yield chunk(choice(role))
    field = _reasoning_field(call)
    empty = "" if field == "reasoning" else None
    for token in answer.reasoning:
        yield chunk(choice({"content": empty, field: token}))
    sent, failed = cut(len(answer.tokens), call.knobs.error_after)
    for token in answer.tokens[:sent]:
        yield chunk(choice({"content": token}))
    if failed:
        error = {"message": _SERVER_ERROR, "type": "server_error"}
        yield data({"error": {**error, "param": None, "code": None}})
        return
    for delta in tools:
        yield chunk(choice(delta))
    yield chunk(choice({}, _finish_reason(answer)))
    if with_usage:
        yield chunk([], _chat_usage(answer))
    yield WireEvent("[DONE]")


def chat_document(call: Call) -> Any:
    answer = _chat_plan(call)
    content = answer.text if answer.tokens or not answer.calls else None
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if answer.reasoning:
        message[_reasoning_field(call)] = answer.thinking
    if answer.calls:
        message["tool_calls"] = [
            {
                "id": _call_id(call, tool),
                "type": "function",
                "function": {"name": tool.name, "arguments": tool.json()},
            }
            for tool in answer.calls
        ]
    message["annotations"] = []
    finish = _finish_reason(answer)
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
    return {
        **_chat_head(call, answer, "chat.completion"),
        "choices": [choice],
        "usage": _chat_usage(answer),
    }


# --- Responses -------------------------------------------------------------------------


def _responses_plan(call: Call) -> Plan:
    return plan(call, call.payload.get("input"), "mock-gpt", text_with_tools=False)


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _message_item(call: Call, status: str, content: list[Any]) -> dict[str, Any]:
    return {
        "id": f"msg_mock_{call.digest}",
        "type": "message",
        "status": status,
        "content": content,
        "role": "assistant",
    }


def _reasoning_item(call: Call, summary: str | None) -> dict[str, Any]:
    parts = [] if summary is None else [{"type": "summary_text", "text": summary}]
    return {"id": f"rs_mock_{call.digest}", "type": "reasoning", "summary": parts}


def _function_item(call: Call, tool: ToolCall, *, done: bool) -> dict[str, Any]:
    return {
        "id": f"fc_mock_{call.digest}_{tool.number}",
        "type": "function_call",
        "status": "completed" if done else "in_progress",
        "arguments": tool.json() if done else "",
        "call_id": _call_id(call, tool),
        "name": tool.name,
    }


def _output(call: Call, answer: Plan) -> list[dict[str, Any]]:
    """The output items of a finished response, in order."""
    items = [_reasoning_item(call, answer.thinking)] if answer.reasoning else []
    items += [_function_item(call, tool, done=True) for tool in answer.calls]
    if answer.tokens or not answer.calls:
        status = "incomplete" if answer.cut else "completed"
        items.append(_message_item(call, status, [_output_text(answer.text)]))
    return items


def _responses_usage(answer: Plan) -> dict[str, Any]:
    return {
        "input_tokens": answer.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": answer.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": len(answer.reasoning)},
        "total_tokens": answer.total_tokens,
    }


def _response(call: Call, answer: Plan, *, done: bool) -> dict[str, Any]:
    """The response object: every field the API reference lists, with the values the
    real API sends for a request that does not set them."""
    payload = call.payload
    status = ("incomplete" if answer.cut else "completed") if done else "in_progress"
    requested = payload.get("tools")
    if isinstance(requested, list):
        tools: list[Any] = requested
    else:
        tools = _function_tools(nested=False)[: call.knobs.tools]
    instructions = payload.get("instructions")
    max_output = payload.get("max_output_tokens")
    parallel = payload.get("parallel_tool_calls")
    effort, summary = ("medium", "detailed") if answer.reasoning else (None, None)
    return {
        "id": f"resp_mock_{call.digest}",
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if done and answer.cut else None,
        "instructions": instructions if isinstance(instructions, str) else None,
        "max_output_tokens": max_output if isinstance(max_output, int) else None,
        "max_tool_calls": None,
        "model": answer.model,
        "output": _output(call, answer) if done else [],
        "parallel_tool_calls": parallel if isinstance(parallel, bool) else True,
        "previous_response_id": None,
        "prompt_cache_key": None,
        "reasoning": {"effort": effort, "summary": summary},
        "safety_identifier": None,
        "service_tier": "default",
        "store": payload.get("store") is not False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": payload.get("tool_choice") or "auto",
        "tools": tools,
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": _responses_usage(answer) if done else None,
        "user": None,
        "metadata": {},
    }


def responses_events(call: Call) -> Iterator[WireEvent]:
    answer = _responses_plan(call)
    sequence = itertools.count()

    def emit(kind: str, **fields: Any) -> WireEvent:
        return data({"type": kind, "sequence_number": next(sequence), **fields}, kind)

    started = _response(call, answer, done=False)
    yield emit("response.created", response=started)
    yield emit("response.in_progress", response=started)
    index = 0
    if answer.reasoning:
        yield from _reasoning_events(call, answer, emit)
        index += 1
    sent, failed = cut(len(answer.tokens), call.knobs.error_after)
    if failed and not answer.tokens:
        # The error comes where the text would start: before any tool call.
        yield emit("error", code="server_error", message=_SERVER_ERROR, param=None)
        return
    for tool in answer.calls:
        yield from _function_events(call, tool, index, emit)
        index += 1
    if answer.tokens or not answer.calls:
        where = {"item_id": f"msg_mock_{call.digest}", "output_index": index}
        yield emit(
            "response.output_item.added",
            output_index=index,
            item=_message_item(call, "in_progress", []),
        )
        text = {**where, "content_index": 0}
        yield emit("response.content_part.added", **text, part=_output_text(""))
        for token in answer.tokens[:sent]:
            yield emit("response.output_text.delta", **text, delta=token, logprobs=[])
        if failed:
            yield emit("error", code="server_error", message=_SERVER_ERROR, param=None)
            return
        yield emit("response.output_text.done", **text, text=answer.text, logprobs=[])
        yield emit("response.content_part.done", **text, part=_output_text(answer.text))
        status = "incomplete" if answer.cut else "completed"
        item = _message_item(call, status, [_output_text(answer.text)])
        yield emit("response.output_item.done", output_index=index, item=item)
    final = "response.incomplete" if answer.cut else "response.completed"
    yield emit(final, response=_response(call, answer, done=True))


def _reasoning_events(call: Call, answer: Plan, emit: _Emit) -> Iterator[WireEvent]:
    """A reasoning item with one summary part, streamed as the reasoning models do."""
    where = {"item_id": f"rs_mock_{call.digest}", "output_index": 0, "summary_index": 0}
    yield emit("response.output_item.added", output_index=0, item=_reasoning_item(call, None))
    yield emit("response.reasoning_summary_part.added", **where, part=_summary(""))
    for token in answer.reasoning:
        yield emit("response.reasoning_summary_text.delta", **where, delta=token)
    yield emit("response.reasoning_summary_text.done", **where, text=answer.thinking)
    yield emit("response.reasoning_summary_part.done", **where, part=_summary(answer.thinking))
    item = _reasoning_item(call, answer.thinking)
    yield emit("response.output_item.done", output_index=0, item=item)


def _summary(text: str) -> dict[str, str]:
    return {"type": "summary_text", "text": text}


def _function_events(call: Call, tool: ToolCall, index: int, emit: _Emit) -> Iterator[WireEvent]:
    """A function_call item: added with empty arguments, arguments in pieces, done."""
    item_id = f"fc_mock_{call.digest}_{tool.number}"
    where = {"item_id": item_id, "output_index": index}
    item = _function_item(call, tool, done=False)
    yield emit("response.output_item.added", output_index=index, item=item)
    for piece in tool.pieces():
        yield emit("response.function_call_arguments.delta", **where, delta=piece)
    yield emit("response.function_call_arguments.done", **where, arguments=tool.json())
    item = _function_item(call, tool, done=True)
    yield emit("response.output_item.done", output_index=index, item=item)


def responses_document(call: Call) -> Any:
    return _response(call, _responses_plan(call), done=True)
