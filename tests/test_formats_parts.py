"""Reasoning, tool calls and finish reasons, per format, as each provider streams them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sse_widget import (
    JSONFormat,
    ReasoningPart,
    ServerEventError,
    TextPart,
    ToolCall,
    ToolCallPart,
    get_extractor,
)
from sse_widget._formats import Extractor, Part
from sse_widget._models import Event


def events(*datas: Any, names: list[str] | None = None) -> list[Event]:
    """Events whose data is each value's JSON (strings are sent as they are)."""
    out = []
    for number, data in enumerate(datas):
        text = data if isinstance(data, str) else json.dumps(data)
        name = (
            names[number]
            if names
            else (data.get("type", "message") if isinstance(data, dict) else "message")
        )
        out.append(Event(event=name, data=text))
    return out


def all_parts(extractor: Extractor, stream: list[Event]) -> list[Part]:
    return [part for event in stream for part in extractor.parts(event)]


def joined(parts: list[Part], kind: type) -> str:
    return "".join(part.text for part in parts if isinstance(part, kind))  # type: ignore[attr-defined]


def chat(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> dict[str, Any]:
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


# -- OpenAI Chat Completions ---------------------------------------------------------


def test_chat_reasoning_content_then_the_answer() -> None:
    extractor = get_extractor("openai")
    stream = events(
        chat({"role": "assistant", "reasoning_content": "The user "}),
        chat({"reasoning_content": "greets."}),
        chat({"content": "Hi", "reasoning_content": None}),
        chat({"content": "!"}),
        chat({}, finish="stop"),
        "[DONE]",
    )
    parts = all_parts(extractor, stream)
    assert parts == [
        ReasoningPart("The user "),
        ReasoningPart("greets."),
        TextPart("Hi"),
        TextPart("!"),
    ]
    assert extractor.reasoning == "The user greets."
    assert extractor.finish_reason == "stop"
    assert extractor.done
    assert extractor.tool_calls == []


def test_chat_reasoning_field_as_openrouter_and_ollama_name_it() -> None:
    extractor = get_extractor("openai")
    texts = [extractor.feed(e) for e in events(chat({"reasoning": "hmm"}), chat({"content": "ok"}))]
    assert texts == [None, "ok"]  # feed returns the answer only
    assert extractor.reasoning == "hmm"


def test_chat_tool_calls_by_index_across_chunks() -> None:
    extractor = get_extractor("openai")
    call = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    second = {
        "index": 1,
        "id": "call_2",
        "type": "function",
        "function": {"name": "get_time", "arguments": '{"tz"'},
    }
    stream = events(
        chat({"role": "assistant", "content": None, "tool_calls": [call]}),
        chat({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        chat({"tool_calls": [second]}),
        chat({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
        chat({"tool_calls": [{"index": 1, "function": {"arguments": ': "UTC"}'}}]}),
        chat({}, finish="tool_calls"),
        "[DONE]",
    )
    parts = all_parts(extractor, stream)
    assert [p for p in parts if not isinstance(p, ToolCallPart)] == []
    assert parts[:2] == [
        ToolCallPart(0, "call_1", "get_weather", "", False),
        ToolCallPart(0, "call_1", "get_weather", '{"city": ', False),
    ]
    # The finish reason completes every call.
    assert parts[-2:] == [
        ToolCallPart(0, "call_1", "get_weather", "", True),
        ToolCallPart(1, "call_2", "get_time", "", True),
    ]
    assert extractor.tool_calls == [
        ToolCall("call_1", "get_weather", '{"city": "Paris"}', True),
        ToolCall("call_2", "get_time", '{"tz": "UTC"}', True),
    ]
    assert extractor.tool_calls[0].json() == {"city": "Paris"}
    assert extractor.finish_reason == "tool_calls"


def test_chat_other_choices_are_not_read() -> None:
    extractor = get_extractor("openai")
    stream = events(
        chat({"content": "A", "reasoning_content": "r0"}),
        chat({"content": "B", "reasoning_content": "r1", "tool_calls": [{"index": 0}]}, index=1),
        chat({}, finish="length", index=1),
        chat({}, finish="stop"),
    )
    assert [extractor.feed(e) for e in stream] == ["A", None, None, None]
    assert extractor.reasoning == "r0"
    assert extractor.tool_calls == []
    assert extractor.finish_reason == "stop"


def test_chat_a_cut_answer_says_length() -> None:
    extractor = get_extractor("openai")
    all_parts(extractor, events(chat({"content": "Once upon"}), chat({}, finish="length")))
    assert extractor.finish_reason == "length"


# -- OpenAI Responses ----------------------------------------------------------------


def test_responses_reasoning_summary_function_call_and_text() -> None:
    extractor = get_extractor("openai-responses")
    item = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_9",
        "name": "lookup",
        "arguments": "",
    }
    stream = events(
        {"type": "response.created", "response": {"status": "in_progress"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "reasoning", "id": "rs_1"},
        },
        {"type": "response.reasoning_summary_part.added", "summary_index": 0},
        {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "delta": "First."},
        {"type": "response.reasoning_summary_part.added", "summary_index": 1},
        {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "delta": "Second."},
        {"type": "response.output_item.added", "output_index": 1, "item": item},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": '{"q":'},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": ' "sse"}'},
        {
            "type": "response.function_call_arguments.done",
            "item_id": "fc_1",
            "arguments": '{"q": "sse"}',
        },
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": {**item, "status": "completed"},
        },
        {"type": "response.output_text.delta", "delta": "Done", "logprobs": []},
        {
            "type": "response.completed",
            "response": {"status": "completed", "usage": {"input_tokens": 5, "output_tokens": 9}},
        },
    )
    parts = all_parts(extractor, stream)
    assert joined(parts, ReasoningPart) == "First.\n\nSecond."
    assert joined(parts, TextPart) == "Done"
    assert extractor.tool_calls == [ToolCall("call_9", "lookup", '{"q": "sse"}', True)]
    assert [p.done for p in parts if isinstance(p, ToolCallPart)] == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert extractor.finish_reason == "completed"
    assert extractor.usage == {"input_tokens": 5, "output_tokens": 9}
    assert extractor.done


def test_responses_arguments_sent_only_whole_and_an_incomplete_answer() -> None:
    extractor = get_extractor("openai-responses")
    item = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f"}
    all_parts(
        extractor,
        events(
            {"type": "response.output_item.added", "item": item},
            {"type": "response.function_call_arguments.done", "item_id": "fc_1", "arguments": "{}"},
            {
                "type": "response.incomplete",
                "response": {
                    "status": "incomplete",
                    "incomplete_details": {"reason": "max_output_tokens"},
                },
            },
        ),
    )
    assert extractor.tool_calls == [ToolCall("call_1", "f", "{}", True)]
    assert extractor.finish_reason == "max_output_tokens"


# -- Anthropic -----------------------------------------------------------------------


def test_anthropic_thinking_text_and_tool_use() -> None:
    extractor = get_extractor("anthropic")
    stream = events(
        {"type": "message_start", "message": {"usage": {"input_tokens": 10, "output_tokens": 1}}},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Let me"},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": " see."},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "EqQB"},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "text_delta", "text": "Checking."},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "get_weather",
                "input": {},
            },
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": ""},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"city"'},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": ': "Oslo"}'},
        },
        {"type": "content_block_stop", "index": 2},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 40},
        },
        {"type": "message_stop"},
    )
    parts = all_parts(extractor, stream)
    assert joined(parts, ReasoningPart) == "Let me see."
    assert joined(parts, TextPart) == "Checking."
    assert "EqQB" not in extractor.reasoning
    assert extractor.tool_calls == [ToolCall("toolu_1", "get_weather", '{"city": "Oslo"}', True)]
    tool_parts = [p for p in parts if isinstance(p, ToolCallPart)]
    assert tool_parts[-1] == ToolCallPart(0, "toolu_1", "get_weather", "", True)
    assert [p.done for p in tool_parts].count(True) == 1  # done at its block's stop, once
    assert extractor.finish_reason == "tool_use"
    assert extractor.usage == {"input_tokens": 10, "output_tokens": 40}


def test_anthropic_thinking_blocks_are_paragraphs_and_max_tokens() -> None:
    extractor = get_extractor("anthropic")
    all_parts(
        extractor,
        events(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": ""},
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": "A"},
            },
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "thinking", "thinking": ""},
            },
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "thinking_delta", "thinking": "B"},
            },
            {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}},
        ),
    )
    assert extractor.reasoning == "A\n\nB"
    assert extractor.finish_reason == "max_tokens"


# -- Gemini --------------------------------------------------------------------------


def gemini(parts: list[dict[str, Any]], **candidate: Any) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": parts}, "index": 0, **candidate}]}


def test_gemini_thoughts_text_function_call_finish_and_usage() -> None:
    extractor = get_extractor("gemini")
    last = gemini([{"text": " there."}], finishReason="STOP")
    last["usageMetadata"] = {
        "promptTokenCount": 4,
        "candidatesTokenCount": 6,
        "thoughtsTokenCount": 12,
    }
    stream = events(
        gemini([{"text": "Thinking about it", "thought": True}]),
        gemini([{"text": "Hello"}, {"functionCall": {"name": "get_time", "args": {"tz": "UTC"}}}]),
        last,
    )
    parts = all_parts(extractor, stream)
    assert parts == [
        ReasoningPart("Thinking about it"),
        TextPart("Hello"),
        ToolCallPart(0, None, "get_time", '{"tz": "UTC"}', True),
        TextPart(" there."),
    ]
    assert extractor.tool_calls[0].json() == {"tz": "UTC"}
    assert extractor.finish_reason == "STOP"
    assert extractor.done
    assert extractor.usage == {
        "promptTokenCount": 4,
        "candidatesTokenCount": 6,
        "thoughtsTokenCount": 12,
    }


def test_gemini_blocked_prompt_and_error() -> None:
    extractor = get_extractor("gemini")
    extractor.parts(events({"promptFeedback": {"blockReason": "SAFETY"}})[0])
    assert extractor.finish_reason == "SAFETY"
    assert not extractor.done
    error = {
        "error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}
    }
    with pytest.raises(ServerEventError, match="Resource exhausted") as caught:
        extractor.parts(events(error)[0])
    assert caught.value.error_type == "RESOURCE_EXHAUSTED"


def test_gemini_max_tokens() -> None:
    extractor = get_extractor("gemini")
    extractor.parts(events(gemini([{"text": "cut"}], finishReason="MAX_TOKENS"))[0])
    assert extractor.finish_reason == "MAX_TOKENS"


# -- Vercel AI SDK -------------------------------------------------------------------


def test_ai_sdk_ui_message_stream() -> None:
    extractor = get_extractor("ai-sdk")
    stream = events(
        {"type": "start", "messageId": "msg_1"},
        {"type": "start-step"},
        {"type": "reasoning-start", "id": "r1"},
        {"type": "reasoning-delta", "id": "r1", "delta": "Plan."},
        {"type": "reasoning-end", "id": "r1"},
        {"type": "reasoning-start", "id": "r2"},
        {"type": "reasoning-delta", "id": "r2", "delta": "Act."},
        {"type": "reasoning-end", "id": "r2"},
        {"type": "tool-input-start", "toolCallId": "call_a", "toolName": "search"},
        {"type": "tool-input-delta", "toolCallId": "call_a", "inputTextDelta": '{"q":'},
        {"type": "tool-input-delta", "toolCallId": "call_a", "inputTextDelta": '"x"}'},
        {
            "type": "tool-input-available",
            "toolCallId": "call_a",
            "toolName": "search",
            "input": {"q": "x"},
        },
        {"type": "tool-input-available", "toolCallId": "call_b", "toolName": "now", "input": {}},
        {"type": "text-start", "id": "t1"},
        {"type": "text-delta", "id": "t1", "delta": "Answer"},
        {"type": "text-end", "id": "t1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
        "[DONE]",
    )
    parts = all_parts(extractor, stream)
    assert joined(parts, ReasoningPart) == "Plan.\n\nAct."
    assert joined(parts, TextPart) == "Answer"
    assert extractor.tool_calls == [
        ToolCall("call_a", "search", '{"q":"x"}', True),  # streamed: kept as streamed
        ToolCall("call_b", "now", "{}", True),  # only whole: its input's JSON
    ]
    assert extractor.finish_reason == "stop"
    assert extractor.done


def test_ai_sdk_error_is_a_server_event_error() -> None:
    extractor = get_extractor("ai-sdk")
    with pytest.raises(ServerEventError, match=r"^Rate limited$"):
        extractor.parts(events({"type": "error", "errorText": "Rate limited"})[0])
    assert not extractor.done


# -- JSON paths, tool call arguments, bounds -----------------------------------------


def test_json_format_done_and_reasoning_paths_for_llama_cpp() -> None:
    extractor = get_extractor(JSONFormat("content", reasoning="reasoning_content", done="stop"))
    stream = events(
        {"content": "", "reasoning_content": "think", "stop": False},
        {"content": "Hi", "stop": False},
        {"content": "", "stop": True, "stop_type": "eos"},
    )
    assert [extractor.feed(e) for e in stream] == [None, "Hi", None]
    assert extractor.reasoning == "think"
    assert extractor.done
    assert extractor.format == "json:content"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (JSONFormat("a..b"), "invalid format 'json:a..b'"),
        (JSONFormat("a", done="x."), "invalid JSONFormat done='x.'"),
        (JSONFormat("a", reasoning=""), "invalid JSONFormat reasoning=''"),
    ],
)
def test_json_format_paths_are_checked(spec: JSONFormat, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        get_extractor(spec)


def test_tool_call_json_says_where_it_breaks() -> None:
    call = ToolCall("call_1", "get_weather", '{"city": "Par', done=False)
    with pytest.raises(ValueError, match="get_weather") as caught:
        call.json()
    message = str(caught.value)
    assert "call_1" in message
    assert "not complete yet" in message
    assert "line 1 column" in message
    assert ToolCall(arguments="").json() == {}
    assert ToolCall(arguments="[1, 2]", done=True).json() == [1, 2]


def test_reasoning_is_bounded_when_asked() -> None:
    extractor = get_extractor("openai")
    extractor.max_reasoning_chars = 1600
    trims = 0
    for number in range(100):
        before = extractor.reasoning_dropped
        extractor.parts(events(chat({"reasoning_content": f"{number:04d}" * 10}))[0])
        trims += extractor.reasoning_dropped != before
        assert len(extractor.reasoning) <= 1600
    kept = extractor.reasoning
    assert kept.endswith("0099" * 10)
    assert len(kept) >= 1500
    assert extractor.reasoning_dropped + len(kept) == 4000
    # Trimmed a sixteenth below the limit at a time, not by every piece past it (60).
    assert trims <= 2400 // 100 + 1


def test_parts_of_text_and_callable_formats() -> None:
    assert get_extractor("text").parts(Event(data="raw")) == [TextPart("raw")]
    assert get_extractor("text").parts(Event(data="")) == []
    assert get_extractor(lambda event: event.data * 2).parts(Event(data="ab")) == [TextPart("abab")]


def test_dropped_reasoning_is_counted_in_utf16_units_for_the_views() -> None:
    extractor = get_extractor("openai")
    extractor.max_reasoning_chars = 160
    for _ in range(10):
        extractor.parts(events(chat({"reasoning_content": "\U0001f600" * 40}))[0])
    # Each emoji is one character in Python and two units in a browser's string.
    assert extractor._reasoning_dropped_units == 2 * extractor.reasoning_dropped
    assert extractor.reasoning_dropped + len(extractor.reasoning) == 400
