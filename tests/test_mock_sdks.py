"""The official ``openai`` and ``anthropic`` SDKs, pointed at the mock, read every stream
shape (plain, reasoning, tools, both, cut) as they read the real APIs: nothing they model
as always sent is left unset, and the parts they collect are the mock's answer.

Fake keys only; every request goes to the mock on 127.0.0.1, with no retries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from sdk_parts import (
    MESSAGES,
    PROMPT,
    SHAPES,
    sdk_anthropic_parts,
    sdk_openai_chat_parts,
    sdk_openai_responses_parts,
    unset_fields,
    unset_paths,
)

from sse_widget.mock import MockServer
from sse_widget.mock._answer import markdown_reply, reasoning_reply, split_tokens

WEATHER = ("get_weather", '{"city":"Paris","unit":"celsius"}')
TIME = ("get_time", '{"timezone":"Europe/Paris"}')


@pytest.fixture(scope="module")
def openai_client(mock: MockServer) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(
        base_url=mock.url + "/v1", api_key="sk-test-fake", max_retries=0, timeout=10
    )
    with client:
        yield client


@pytest.fixture(scope="module")
def anthropic_client(mock: MockServer) -> Iterator[anthropic.Anthropic]:
    # Anthropic's SDK 2.x brings its own httpx fork: give it the URL, not a client.
    client = anthropic.Anthropic(
        base_url=mock.url, api_key="sk-ant-test-fake", max_retries=0, timeout=10
    )
    with client:
        yield client


def digest(mock: MockServer) -> str:
    """The 12 hex digits the mock names the last request's objects with."""
    record = mock.requests[-1]
    assert record.ended.wait(5)
    return hashlib.sha256(record.body).hexdigest()[:12]


def tools_of(shape: str) -> int:
    return int(SHAPES[shape].get("tools", "0"))


def expected_text(shape: str, *, says_before_calls: bool) -> str:
    """The answer a shape streams: the markdown reply, its first half when cut, a short
    sentence (or nothing, for OpenAI's models) before tool calls."""
    if tools_of(shape):
        return "Let me look that up." if says_before_calls else ""
    reply = markdown_reply(PROMPT)
    if shape == "cut":
        tokens = split_tokens(reply)
        return "".join(tokens[: (len(tokens) + 1) // 2])
    return reply


def expected_reasoning(shape: str) -> str:
    return reasoning_reply(PROMPT, tools_of(shape)) if "reasoning" in SHAPES[shape] else ""


def expected_calls(shape: str, call_id: str) -> list[dict[str, Any]]:
    calls = [WEATHER, TIME][: tools_of(shape)]
    return [
        {"id": f"{call_id}_{n}", "name": name, "arguments": arguments}
        for n, (name, arguments) in enumerate(calls)
    ]


def all_unset(models: list[Any]) -> list[str]:
    return [problem for model in models for problem in unset_fields(model)]


# --- OpenAI Chat Completions -----------------------------------------------------------

CHAT_USAGE_DETAILS = [
    "prompt_tokens_details.cached_tokens",
    "prompt_tokens_details.audio_tokens",
    "completion_tokens_details.reasoning_tokens",
    "completion_tokens_details.audio_tokens",
    "completion_tokens_details.accepted_prediction_tokens",
    "completion_tokens_details.rejected_prediction_tokens",
]


@pytest.mark.parametrize("shape", SHAPES)
def test_openai_sdk_reads_every_chat_shape(
    mock: MockServer, openai_client: openai.OpenAI, shape: str
) -> None:
    stream = openai_client.chat.completions.create(
        model="gpt-test",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_query=SHAPES[shape],
    )
    chunks = list(stream)
    assert stream.response.headers["x-request-id"].startswith("req_mock_")
    assert all_unset(chunks) == []
    for chunk in chunks:
        assert unset_paths(chunk, ["service_tier", "system_fingerprint"]) == []
    assert unset_paths(chunks[-1].usage, CHAT_USAGE_DETAILS) == []

    parts = sdk_openai_chat_parts(chunks)
    finish = {"tools": "tool_calls", "both": "tool_calls", "cut": "length"}.get(shape, "stop")
    assert parts["text"] == expected_text(shape, says_before_calls=False)
    assert parts["reasoning"] == expected_reasoning(shape)
    assert parts["tool_calls"] == expected_calls(shape, f"call_mock_{digest(mock)}")
    assert parts["finish_reason"] == finish
    usage = parts["usage"]
    reasoning_tokens = len(split_tokens(parts["reasoning"]))
    assert usage["completion_tokens_details"]["reasoning_tokens"] == reasoning_tokens
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens"] >= reasoning_tokens + len(split_tokens(parts["text"]))


def test_openai_sdk_reads_openrouter_reasoning(
    mock: MockServer, openai_client: openai.OpenAI
) -> None:
    chunks = list(
        openai_client.chat.completions.create(
            model="gpt-test",
            messages=MESSAGES,
            stream=True,
            extra_query={"reasoning": "openrouter"},
        )
    )
    assert all_unset(chunks) == []
    assert "reasoning_content" not in str([chunk.model_dump() for chunk in chunks])
    parts = sdk_openai_chat_parts(chunks)
    assert parts["reasoning"] == reasoning_reply(PROMPT)
    assert parts["text"] == markdown_reply(PROMPT)
    assert parts["usage"] is None  # no include_usage, no usage chunk


@pytest.mark.parametrize("shape", ["plain", "tools", "both"])
def test_openai_chat_stream_helper_accumulates(
    mock: MockServer, openai_client: openai.OpenAI, shape: str
) -> None:
    with openai_client.chat.completions.stream(
        model="gpt-test",
        messages=MESSAGES,
        stream_options={"include_usage": True},
        extra_query=SHAPES[shape],
    ) as stream:
        completion = stream.get_final_completion()
    assert all_unset([completion]) == []
    message = completion.choices[0].message
    calls = [(call.function.name, call.function.arguments) for call in message.tool_calls or []]
    assert calls == [WEATHER, TIME][: tools_of(shape)]
    assert (message.content or "") == expected_text(shape, says_before_calls=False)


def test_openai_sdk_reads_a_chat_document(openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(
        model="gpt-test", messages=MESSAGES, extra_query={"reasoning": "1", "tools": "1"}
    )
    assert all_unset([completion]) == []
    message = completion.choices[0].message
    assert message.content is None
    assert message.model_extra == {"reasoning_content": reasoning_reply(PROMPT, 1)}
    assert [(call.function.name, call.function.arguments) for call in message.tool_calls or []] == [
        WEATHER
    ]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert completion.usage is not None
    assert unset_paths(completion.usage, CHAT_USAGE_DETAILS) == []


# --- OpenAI Responses ------------------------------------------------------------------

RESPONSE_ALWAYS_SENT = [
    "status",
    "background",
    "reasoning",
    "service_tier",
    "store",
    "temperature",
    "text",
    "top_p",
    "truncation",
    "usage.input_tokens_details.cached_tokens",
    "usage.output_tokens_details.reasoning_tokens",
]


@pytest.mark.parametrize("shape", SHAPES)
def test_openai_sdk_reads_every_responses_shape(
    mock: MockServer, openai_client: openai.OpenAI, shape: str
) -> None:
    stream = openai_client.responses.create(
        model="gpt-test", input=PROMPT, stream=True, extra_query=SHAPES[shape]
    )
    events = list(stream)
    assert stream.response.headers["x-request-id"].startswith("req_mock_")
    assert all_unset(events) == []
    final = events[-1].response
    assert final.parallel_tool_calls is True
    assert final.tool_choice == "auto"
    assert isinstance(final.tools, list)
    assert unset_paths(final, RESPONSE_ALWAYS_SENT) == []
    for event in events:
        if event.type in ("response.output_text.delta", "response.output_text.done"):
            assert event.logprobs == []
    for item in final.output:
        for content in getattr(item, "content", None) or []:
            assert content.logprobs == []

    parts = sdk_openai_responses_parts(events)
    finish = "max_output_tokens" if shape == "cut" else "completed"
    assert parts["text"] == expected_text(shape, says_before_calls=False)
    assert parts["reasoning"] == expected_reasoning(shape)
    assert parts["tool_calls"] == expected_calls(shape, f"call_mock_{digest(mock)}")
    assert parts["finish_reason"] == finish
    usage = parts["usage"]
    reasoning_tokens = len(split_tokens(parts["reasoning"]))
    assert usage["output_tokens_details"] == {"reasoning_tokens": reasoning_tokens}
    assert usage["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.parametrize("shape", ["plain", "reasoning", "tools", "both"])
def test_openai_responses_stream_helper_accumulates(
    openai_client: openai.OpenAI, shape: str
) -> None:
    with openai_client.responses.stream(
        model="gpt-test", input=PROMPT, extra_query=SHAPES[shape]
    ) as stream:
        response = stream.get_final_response()
    assert all_unset([response]) == []
    assert response.output_text == expected_text(shape, says_before_calls=False)
    calls = [
        (item.name, item.arguments) for item in response.output if item.type == "function_call"
    ]
    assert calls == [WEATHER, TIME][: tools_of(shape)]
    summaries = [
        summary.text
        for item in response.output
        if item.type == "reasoning"
        for summary in item.summary
    ]
    assert "".join(summaries) == expected_reasoning(shape)
    assert response.usage is not None
    assert response.usage.input_tokens_details.cached_tokens == 0


def test_openai_sdk_reads_a_responses_document(openai_client: openai.OpenAI) -> None:
    response = openai_client.responses.create(
        model="gpt-test", input=PROMPT, extra_query={"finish": "length"}
    )
    assert all_unset([response]) == []
    assert unset_paths(response, RESPONSE_ALWAYS_SENT) == []
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text == expected_text("cut", says_before_calls=False)


# --- Anthropic Messages ----------------------------------------------------------------

ANTHROPIC_USAGE_SENT = ["cache_creation_input_tokens", "cache_read_input_tokens", "service_tier"]


@pytest.mark.parametrize("shape", SHAPES)
def test_anthropic_sdk_reads_every_shape(
    mock: MockServer, anthropic_client: anthropic.Anthropic, shape: str
) -> None:
    stream = anthropic_client.messages.create(
        model="claude-test",
        max_tokens=1024,
        messages=MESSAGES,
        stream=True,
        extra_query=SHAPES[shape],
    )
    events = list(stream)
    assert stream.response.headers["request-id"].startswith("req_mock_")
    assert all_unset(events) == []
    assert unset_paths(events[0].message.usage, ANTHROPIC_USAGE_SENT) == []

    parts = sdk_anthropic_parts(events)
    finish = {"tools": "tool_use", "both": "tool_use", "cut": "max_tokens"}.get(shape, "end_turn")
    assert parts["text"] == expected_text(shape, says_before_calls=True)
    assert parts["reasoning"] == expected_reasoning(shape)
    calls = [
        {**call, "arguments": call["arguments"].replace(", ", ",").replace(": ", ":")}
        for call in parts["tool_calls"]
    ]  # Claude spaces its JSON
    assert calls == expected_calls(shape, f"toolu_mock_{digest(mock)}")
    assert parts["finish_reason"] == finish
    assert parts["usage"]["cache_read_input_tokens"] == 0
    assert parts["usage"]["output_tokens"] >= len(split_tokens(parts["text"]))


@pytest.mark.parametrize("shape", SHAPES)
def test_anthropic_stream_helper_accumulates(
    anthropic_client: anthropic.Anthropic, shape: str
) -> None:
    with anthropic_client.messages.stream(
        model="claude-test", max_tokens=1024, messages=MESSAGES, extra_query=SHAPES[shape]
    ) as stream:
        message = stream.get_final_message()
    assert all_unset([message]) == []
    assert (
        unset_paths(message, ["stop_reason", *(f"usage.{p}" for p in ANTHROPIC_USAGE_SENT)]) == []
    )
    kinds = [block.type for block in message.content]
    expected_kinds = ["thinking"] if "reasoning" in SHAPES[shape] else []
    expected_kinds += ["text"] + ["tool_use"] * tools_of(shape)
    assert kinds == expected_kinds
    for block in message.content:
        if block.type == "thinking":
            assert block.thinking == expected_reasoning(shape)
            assert block.signature  # one signature_delta signs the block
        elif block.type == "tool_use":
            assert (block.name, block.input) in [
                ("get_weather", {"city": "Paris", "unit": "celsius"}),
                ("get_time", {"timezone": "Europe/Paris"}),
            ]


# --- errors ----------------------------------------------------------------------------


def test_a_429_through_the_sdks_carries_retry_after_and_a_request_id(
    mock: MockServer, openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic
) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client.chat.completions.create(
            model="gpt-test", messages=MESSAGES, extra_query={"status": "429"}
        )
    assert caught.value.response.headers["retry-after"] == "1"
    assert "retry-after-ms" not in caught.value.response.headers
    assert (caught.value.request_id or "").startswith("req_mock_")
    assert caught.value.code == "rate_limit_exceeded"
    with pytest.raises(anthropic.RateLimitError) as limited:
        anthropic_client.messages.create(
            model="claude-test", max_tokens=10, messages=MESSAGES, extra_query={"status": "429"}
        )
    assert limited.value.response.headers["retry-after"] == "1"
    assert (limited.value.request_id or "").startswith("req_mock_")


def test_the_check_finds_what_the_mock_once_left_out() -> None:
    # Before these tests, the mock's Responses objects lacked parallel_tool_calls,
    # tool_choice, tools and the usage details: the SDK parsed them silently, and
    # `final.usage.input_tokens_details.cached_tokens` raised on None in user code.
    before = {
        "id": "resp_mock_1",
        "object": "response",
        "created_at": 1700000000,
        "status": "completed",
        "model": "mock-gpt",
        "output": [],
        "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
    }
    unset = unset_fields(openai.types.responses.Response.construct(**before))
    assert unset == [
        "parallel_tool_calls (missing)",
        "tool_choice (missing)",
        "tools (missing)",
        "usage.input_tokens_details (missing)",
        "usage.output_tokens_details (missing)",
    ]
