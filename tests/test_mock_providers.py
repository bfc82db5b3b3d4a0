"""The mock's provider streams with reasoning, tool calls and cut answers, its Gemini and
AI SDK endpoints: exact shapes and order, determinism, and the knobs on the new paths.

Over real loopback HTTP with plain httpx; every wait is bounded.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from typing import Any

import httpx
import pytest

from sse_widget.mock import MockServer
from sse_widget.mock._answer import markdown_reply, reasoning_reply, signature, split_tokens
from tests.test_mock import events, last_request, read

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MESSAGES = "/v1/messages"
GEMINI = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
AI_SDK = "/api/chat"
PROMPT = "How do Server-Sent Events work?"
WORDS = len(PROMPT.split())

CHAT_BODY: dict[str, Any] = {
    "model": "gpt-test",
    "stream": True,
    "stream_options": {"include_usage": True},
    "messages": [{"role": "user", "content": PROMPT}],
}
RESPONSES_BODY: dict[str, Any] = {"model": "gpt-test", "stream": True, "input": PROMPT}
MESSAGES_BODY: dict[str, Any] = {
    "model": "claude-test",
    "max_tokens": 100,
    "stream": True,
    "messages": [{"role": "user", "content": PROMPT}],
}
GEMINI_BODY: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}
AI_SDK_BODY: dict[str, Any] = {
    "id": "chat-1",
    "trigger": "submit-message",
    "messages": [{"id": "m1", "role": "user", "parts": [{"type": "text", "text": PROMPT}]}],
}
BODIES = {
    CHAT: CHAT_BODY,
    RESPONSES: RESPONSES_BODY,
    MESSAGES: MESSAGES_BODY,
    GEMINI: GEMINI_BODY,
    AI_SDK: AI_SDK_BODY,
}

REASONING = reasoning_reply(PROMPT)
REASONING_TOKENS = split_tokens(REASONING)
WEATHER_ARGS = '{"city":"Paris","unit":"celsius"}'
WEATHER_PIECES = ['{"city":', '"Paris",', '"unit":"', 'celsius"', "}"]
TIME_ARGS = '{"timezone":"Europe/Paris"}'


def stream(mock: MockServer, client: httpx.Client, path: str, **knobs: Any) -> list[dict[str, Any]]:
    """The JSON payloads of a provider stream (``[DONE]`` left out)."""
    response, body, error = read(client, mock.url_for(path, **knobs), json_body=BODIES[path])
    assert response.status_code == 200
    assert error is None
    return [json.loads(b["data"]) for b in events(body) if b["data"] != "[DONE]"]


def digest(mock: MockServer) -> str:
    """The 12 hex digits the mock names the last request's objects with."""
    return hashlib.sha256(last_request(mock).body).hexdigest()[:12]


# --- Chat Completions ------------------------------------------------------------------


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [chunk["choices"][0]["delta"] for chunk in chunks if chunk["choices"]]


def test_chat_reasoning_content_comes_before_the_answer(
    mock: MockServer, client: httpx.Client
) -> None:
    chunks = stream(mock, client, CHAT, reasoning=True, text="Hi there")
    assert deltas(chunks) == [
        {"role": "assistant", "content": None, "reasoning_content": ""},
        *({"content": None, "reasoning_content": token} for token in REASONING_TOKENS),
        {"content": "Hi"},
        {"content": " there"},
        {},
    ]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    usage = chunks[-1]["usage"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] == len(REASONING_TOKENS)
    assert usage["completion_tokens"] == len(REASONING_TOKENS) + 2


def test_chat_reasoning_the_openrouter_way(mock: MockServer, client: httpx.Client) -> None:
    chunks = stream(mock, client, CHAT, reasoning="openrouter", text="Hi")
    assert deltas(chunks) == [
        {"role": "assistant", "content": "", "refusal": None},
        *({"content": "", "reasoning": token} for token in REASONING_TOKENS),
        {"content": "Hi"},
        {},
    ]


def test_chat_tool_calls_stream_by_index_with_no_text(
    mock: MockServer, client: httpx.Client
) -> None:
    chunks = stream(mock, client, CHAT, tools=2)
    ids = [f"call_mock_{digest(mock)}_{n}" for n in range(2)]

    def head(index: int, name: str) -> dict[str, Any]:
        call = {"index": index, "id": ids[index], "type": "function"}
        return {"tool_calls": [{**call, "function": {"name": name, "arguments": ""}}]}

    def piece(index: int, text: str) -> dict[str, Any]:
        return {"tool_calls": [{"index": index, "function": {"arguments": text}}]}

    time_pieces = [TIME_ARGS[i : i + 8] for i in range(0, len(TIME_ARGS), 8)]
    assert deltas(chunks) == [
        # The first call rides on the role chunk, content null, as OpenAI sends it.
        {"role": "assistant", "content": None, "refusal": None, **head(0, "get_weather")},
        *(piece(0, text) for text in WEATHER_PIECES),
        head(1, "get_time"),
        *(piece(1, text) for text in time_pieces),
        {},
    ]
    assert "".join(WEATHER_PIECES) == WEATHER_ARGS
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["completion_tokens"] == len(WEATHER_PIECES) + len(time_pieces)


def test_chat_tool_call_after_reasoning_has_a_chunk_of_its_own(
    mock: MockServer, client: httpx.Client
) -> None:
    chunks = stream(mock, client, CHAT, tools=1, reasoning=1)
    found = deltas(chunks)
    assert found[0] == {"role": "assistant", "content": None, "reasoning_content": ""}
    reasoning = "".join(d.get("reasoning_content") or "" for d in found)
    assert reasoning == reasoning_reply(PROMPT, 1)
    first_call = next(d for d in found if "tool_calls" in d)
    assert set(first_call) == {"tool_calls"}
    assert first_call["tool_calls"][0]["function"]["name"] == "get_weather"
    assert all("content" not in d or d["content"] is None for d in found)


def test_chat_finish_length_cuts_the_answer(mock: MockServer, client: httpx.Client) -> None:
    chunks = stream(mock, client, CHAT, finish="length", tools=1)
    text = "".join(d.get("content") or "" for d in deltas(chunks))
    full = split_tokens(markdown_reply(PROMPT))
    assert text == "".join(full[: (len(full) + 1) // 2])
    assert not any("tool_calls" in d for d in deltas(chunks))  # a cut answer calls nothing
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    exact = stream(mock, client, CHAT, finish="length", text="a b c d", count=3)
    assert [d.get("content") for d in deltas(exact)] == ["", "a", " b", " c", None]


def test_chat_document_with_reasoning_and_tools(mock: MockServer, client: httpx.Client) -> None:
    body = {**CHAT_BODY, "stream": False}
    url = mock.url_for(CHAT, reasoning=1, tools=1)
    document = client.post(url, json=body).json()
    message = document["choices"][0]["message"]
    assert message == {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "reasoning_content": reasoning_reply(PROMPT, 1),
        "tool_calls": [
            {
                "id": f"call_mock_{digest(mock)}_0",
                "type": "function",
                "function": {"name": "get_weather", "arguments": WEATHER_ARGS},
            }
        ],
        "annotations": [],
    }
    assert document["choices"][0]["finish_reason"] == "tool_calls"


# --- Responses -------------------------------------------------------------------------


def test_responses_reasoning_then_function_call(mock: MockServer, client: httpx.Client) -> None:
    payloads = stream(mock, client, RESPONSES, reasoning=1, tools=1)
    kinds = [p["type"] for p in payloads]
    reasoning = len(split_tokens(reasoning_reply(PROMPT, 1)))
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        *["response.reasoning_summary_text.delta"] * reasoning,
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added",
        *["response.function_call_arguments.delta"] * len(WEATHER_PIECES),
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [p["sequence_number"] for p in payloads] == list(range(len(payloads)))
    d = digest(mock)
    assert payloads[2]["item"] == {"id": f"rs_mock_{d}", "type": "reasoning", "summary": []}
    assert payloads[3]["part"] == {"type": "summary_text", "text": ""}
    assert {p["summary_index"] for p in payloads[3 : 6 + reasoning]} == {0}
    added = payloads[7 + reasoning]
    assert added["output_index"] == 1
    assert added["item"] == {
        "id": f"fc_mock_{d}_0",
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": f"call_mock_{d}_0",
        "name": "get_weather",
    }
    pieces = [p["delta"] for p in payloads if p["type"].endswith("arguments.delta")]
    assert pieces == WEATHER_PIECES
    done = payloads[-3]
    assert done == {
        "type": "response.function_call_arguments.done",
        "sequence_number": done["sequence_number"],
        "item_id": f"fc_mock_{d}_0",
        "output_index": 1,
        "arguments": WEATHER_ARGS,
    }
    final = payloads[-1]["response"]
    assert [item["type"] for item in final["output"]] == ["reasoning", "function_call"]
    assert final["output"][0]["summary"] == [
        {"type": "summary_text", "text": reasoning_reply(PROMPT, 1)}
    ]
    assert final["parallel_tool_calls"] is True
    assert final["tool_choice"] == "auto"
    assert [tool["name"] for tool in final["tools"]] == ["get_weather"]
    assert final["reasoning"] == {"effort": "medium", "summary": "detailed"}
    assert final["usage"]["output_tokens_details"] == {"reasoning_tokens": reasoning}
    assert final["usage"]["output_tokens"] == reasoning + len(WEATHER_PIECES)


def test_responses_text_events_carry_logprobs(mock: MockServer, client: httpx.Client) -> None:
    payloads = stream(mock, client, RESPONSES, text="Hi there")
    deltas = [p for p in payloads if p["type"] == "response.output_text.delta"]
    assert [(p["delta"], p["logprobs"]) for p in deltas] == [("Hi", []), (" there", [])]
    done = next(p for p in payloads if p["type"] == "response.output_text.done")
    assert done["logprobs"] == []
    assert done["text"] == "Hi there"


def test_responses_echo_the_request_tools(mock: MockServer, client: httpx.Client) -> None:
    tools = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]
    body = {**RESPONSES_BODY, "tools": tools, "tool_choice": "required"}
    body["parallel_tool_calls"] = False
    blocks = events(read(client, mock.url_for(RESPONSES, text="x"), json_body=body)[1])
    final = json.loads(blocks[-1]["data"])["response"]
    assert final["tools"] == tools
    assert final["tool_choice"] == "required"
    assert final["parallel_tool_calls"] is False
    assert stream(mock, client, RESPONSES, text="x")[-1]["response"]["tools"] == []


def test_responses_cut_answer_is_incomplete(mock: MockServer, client: httpx.Client) -> None:
    payloads = stream(mock, client, RESPONSES, finish="length", text="a b c d")
    assert [p["delta"] for p in payloads if p["type"] == "response.output_text.delta"] == [
        "a",
        " b",
    ]
    item_done = payloads[-2]
    assert item_done["type"] == "response.output_item.done"
    assert item_done["item"]["status"] == "incomplete"
    assert payloads[-1]["type"] == "response.incomplete"
    final = payloads[-1]["response"]
    assert final["status"] == "incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}


def test_responses_error_before_the_calls(mock: MockServer, client: httpx.Client) -> None:
    payloads = stream(mock, client, RESPONSES, tools=1, error_after=0)
    assert [p["type"] for p in payloads] == ["response.created", "response.in_progress", "error"]


# --- Anthropic -------------------------------------------------------------------------


def test_anthropic_thinking_text_and_tool_use_blocks(
    mock: MockServer, client: httpx.Client
) -> None:
    payloads = stream(mock, client, MESSAGES, reasoning=1, tools=1)
    thinking = reasoning_reply(PROMPT, 1)
    thinking_tokens = split_tokens(thinking)
    d = digest(mock)
    spaced = '{"city": "Paris", "unit": "celsius"}'
    spaced_pieces = [spaced[i : i + 8] for i in range(0, len(spaced), 8)]
    body = [p for p in payloads if p["type"] != "ping"]
    assert body == [
        body[0],  # message_start, checked below
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        *(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": token},
            }
            for token in thinking_tokens
        ),
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": signature(thinking)},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        *(
            {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": t}}
            for t in ["Let", " me", " look", " that", " up."]
        ),
        {"type": "content_block_stop", "index": 1},
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {
                "type": "tool_use",
                "id": f"toolu_mock_{d}_0",
                "name": "get_weather",
                "input": {},
            },
        },
        *(
            {
                "type": "content_block_delta",
                "index": 2,
                "delta": {"type": "input_json_delta", "partial_json": piece},
            }
            for piece in ["", *spaced_pieces]  # the first piece is empty, as Claude's is
        ),
        {"type": "content_block_stop", "index": 2},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": len(thinking_tokens) + 5 + len(WEATHER_PIECES)},
        },
        {"type": "message_stop"},
    ]
    assert body[0]["type"] == "message_start"
    # A ping after the first block starts, then one after every 20th delta.
    kinds = [p["type"] for p in payloads]
    assert kinds[2] == "ping"
    delta_count = 0
    for kind, following in itertools.pairwise(kinds):
        delta_count += kind == "content_block_delta"
        if kind == "content_block_delta":
            assert (following == "ping") == (delta_count % 20 == 0)


def test_anthropic_cut_answer_stops_at_max_tokens(mock: MockServer, client: httpx.Client) -> None:
    payloads = stream(mock, client, MESSAGES, finish="length", tools=2, text="a b c")
    texts = [p["delta"]["text"] for p in payloads if p["type"] == "content_block_delta"]
    assert texts == ["a", " b"]
    assert not any(p.get("content_block", {}).get("type") == "tool_use" for p in payloads)
    assert payloads[-2]["delta"]["stop_reason"] == "max_tokens"


def test_anthropic_document_has_every_block(mock: MockServer, client: httpx.Client) -> None:
    body = {**MESSAGES_BODY, "stream": False}
    message = client.post(mock.url_for(MESSAGES, reasoning=1, tools=2), json=body).json()
    thinking = reasoning_reply(PROMPT, 2)
    d = digest(mock)
    assert message["content"] == [
        {"type": "thinking", "thinking": thinking, "signature": signature(thinking)},
        {"type": "text", "text": "Let me look that up."},
        {
            "type": "tool_use",
            "id": f"toolu_mock_{d}_0",
            "name": "get_weather",
            "input": {"city": "Paris", "unit": "celsius"},
        },
        {
            "type": "tool_use",
            "id": f"toolu_mock_{d}_1",
            "name": "get_time",
            "input": {"timezone": "Europe/Paris"},
        },
    ]
    assert message["stop_reason"] == "tool_use"


# --- Gemini ----------------------------------------------------------------------------


def gemini_chunks(
    mock: MockServer, client: httpx.Client, path: str = GEMINI, **knobs: Any
) -> tuple[httpx.Response, bytes, list[dict[str, Any]]]:
    response, body, error = read(
        client, mock.url_for(path, alt="sse", **knobs), json_body=GEMINI_BODY
    )
    assert error is None
    return response, body, [json.loads(block["data"]) for block in events(body)]


def test_gemini_streams_text_chunks_over_crlf(mock: MockServer, client: httpx.Client) -> None:
    response, body, chunks = gemini_chunks(mock, client, text="Hi there")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert "x-request-id" not in response.headers
    prompt = {"promptTokenCount": WORDS}
    details = {"promptTokensDetails": [{"modality": "TEXT", "tokenCount": WORDS}]}
    head = {"modelVersion": "gemini-2.5-flash", "responseId": f"mock-{digest(mock)}"}
    assert chunks == [
        {
            "candidates": [{"content": {"parts": [{"text": "Hi"}], "role": "model"}, "index": 0}],
            "usageMetadata": {
                **prompt,
                "candidatesTokenCount": 1,
                "totalTokenCount": WORDS + 1,
                **details,
            },
            **head,
        },
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": " there"}], "role": "model"},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                **prompt,
                "candidatesTokenCount": 2,
                "totalTokenCount": WORDS + 2,
                **details,
            },
            **head,
        },
    ]
    # Google's servers end lines with CRLF and space JSON after colons, not commas.
    assert body.startswith(b'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}],')
    assert body.count(b"\r\n\r\n") == 2
    assert b"\n\n" not in body.replace(b"\r\n", b"")
    lf = read(client, mock.url_for(GEMINI, alt="sse", text="Hi", newline="lf"), json_body={})[1]
    assert lf.endswith(b"}\n\n")
    assert b"\r" not in lf


def test_gemini_thoughts_then_a_function_call(mock: MockServer, client: httpx.Client) -> None:
    _, _, chunks = gemini_chunks(mock, client, reasoning=1, tools=2)
    thinking = reasoning_reply(PROMPT, 2)
    parts = [chunk["candidates"][0]["content"]["parts"] for chunk in chunks]
    thoughts = [p[0]["text"] for p in parts if p[0].get("thought") is True]
    assert "".join(thoughts) == thinking
    texts = [p[0]["text"] for p in parts if "text" in p[0] and "thought" not in p[0]]
    assert "".join(texts) == "Let me look that up."
    assert parts[-1] == [
        {
            "functionCall": {"name": "get_weather", "args": {"city": "Paris", "unit": "celsius"}},
            "thoughtSignature": signature(thinking),
        },
        {"functionCall": {"name": "get_time", "args": {"timezone": "Europe/Paris"}}},
    ]
    finishes = [chunk["candidates"][0].get("finishReason") for chunk in chunks]
    assert finishes == [None] * (len(chunks) - 1) + ["STOP"]
    usage = chunks[-1]["usageMetadata"]
    assert usage["thoughtsTokenCount"] == len(thoughts)
    calls = len(WEATHER_PIECES) + len([TIME_ARGS[i : i + 8] for i in range(0, len(TIME_ARGS), 8)])
    assert usage["candidatesTokenCount"] == len(texts) + calls
    assert usage["totalTokenCount"] == WORDS + len(thoughts) + len(texts) + calls


def test_gemini_cut_error_and_any_model(mock: MockServer, client: httpx.Client) -> None:
    _, _, cut = gemini_chunks(mock, client, finish="length", text="a b c")
    assert [c["candidates"][0].get("finishReason") for c in cut] == [None, "MAX_TOKENS"]
    _, _, failed = gemini_chunks(mock, client, error_after=1, text="a b c")
    assert failed[-1] == {
        "error": {
            "code": 503,
            "message": "The model is overloaded. Please try again later.",
            "status": "UNAVAILABLE",
        }
    }
    assert len(failed) == 2
    path = "/v1beta/models/tuned-model_v2.1:streamGenerateContent"
    _, _, other = gemini_chunks(mock, client, path=path, text="x")
    assert other[0]["modelVersion"] == "tuned-model_v2.1"
    assert client.post(mock.url + "/v1beta/models/a/b:streamGenerateContent").status_code == 404
    assert client.get(mock.url + GEMINI + "?alt=sse").status_code == 405


def test_gemini_without_alt_sse_is_one_json_array(mock: MockServer, client: httpx.Client) -> None:
    _, _, chunks = gemini_chunks(mock, client, reasoning=1, text="Hi there")
    for alt in ({}, {"alt": "json"}):
        response = client.post(
            mock.url_for(GEMINI, reasoning=1, text="Hi there", **alt), json=GEMINI_BODY
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == chunks


def test_gemini_errors_speak_googles_shape(mock: MockServer, client: httpx.Client) -> None:
    response = client.post(mock.url_for(GEMINI, status=429), json=GEMINI_BODY)
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert error["details"][0]["retryDelay"] == "1s"
    unauthenticated = client.post(mock.url_for(GEMINI, status=401), json=GEMINI_BODY).json()
    assert unauthenticated["error"]["status"] == "UNAUTHENTICATED"


# --- AI SDK ----------------------------------------------------------------------------


def test_ai_sdk_ui_message_stream(mock: MockServer, client: httpx.Client) -> None:
    response, body, error = read(
        client, mock.url_for(AI_SDK, text="Hi there"), json_body=AI_SDK_BODY
    )
    assert error is None
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert response.headers["content-type"] == "text/event-stream"
    blocks = events(body)
    assert all(set(block) == {"data"} for block in blocks)  # no event: lines
    assert blocks[-1]["data"] == "[DONE]"
    assert [json.loads(block["data"]) for block in blocks[:-1]] == [
        {"type": "start", "messageId": f"msg-mock-{digest(mock)}"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Hi"},
        {"type": "text-delta", "id": "text-1", "delta": " there"},
        {"type": "text-end", "id": "text-1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]


def test_ai_sdk_reasoning_and_tool_input(mock: MockServer, client: httpx.Client) -> None:
    payloads = stream(mock, client, AI_SDK, reasoning=1, tools=1)
    call_id = f"call_mock_{digest(mock)}_0"
    thinking = split_tokens(reasoning_reply(PROMPT, 1))
    assert payloads == [
        payloads[0],
        {"type": "start-step"},
        {"type": "reasoning-start", "id": "reasoning-0"},
        *({"type": "reasoning-delta", "id": "reasoning-0", "delta": t} for t in thinking),
        {"type": "reasoning-end", "id": "reasoning-0"},
        {"type": "text-start", "id": "text-1"},
        *(
            {"type": "text-delta", "id": "text-1", "delta": t}
            for t in ["Let", " me", " look", " that", " up."]
        ),
        {"type": "text-end", "id": "text-1"},
        {"type": "tool-input-start", "toolCallId": call_id, "toolName": "get_weather"},
        *(
            {"type": "tool-input-delta", "toolCallId": call_id, "inputTextDelta": piece}
            for piece in WEATHER_PIECES
        ),
        {
            "type": "tool-input-available",
            "toolCallId": call_id,
            "toolName": "get_weather",
            "input": {"city": "Paris", "unit": "celsius"},
        },
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]


def test_ai_sdk_reads_ui_messages_cut_and_error(mock: MockServer, client: httpx.Client) -> None:
    echoed = stream(mock, client, AI_SDK, reply="echo")
    text = "".join(p["delta"] for p in echoed if p["type"] == "text-delta")
    assert text == PROMPT  # the prompt comes from the UI message's text parts
    cut = stream(mock, client, AI_SDK, finish="length", text="a b c")
    assert cut[-1] == {"type": "finish", "finishReason": "length"}
    _, body, _ = read(client, mock.url_for(AI_SDK, error_after=1), json_body=AI_SDK_BODY)
    tail = [block["data"] for block in events(body)][-3:]
    assert tail == [
        '{"type":"text-delta","id":"text-1","delta":"#"}',
        '{"type":"error","errorText":"An error occurred."}',
        "[DONE]",
    ]


# --- determinism, headers, knobs on the new paths --------------------------------------


@pytest.mark.parametrize("path", [CHAT, RESPONSES, MESSAGES, GEMINI, AI_SDK])
@pytest.mark.parametrize("knobs", [{"reasoning": 1, "tools": 2}, {"finish": "length"}])
def test_the_same_request_gives_the_same_bytes_and_headers(
    mock: MockServer, client: httpx.Client, path: str, knobs: dict[str, Any]
) -> None:
    knobs = {**knobs, "alt": "sse"} if path == GEMINI else knobs
    url = mock.url_for(path, **knobs)
    first, first_body, _ = read(client, url, json_body=BODIES[path])
    second, second_body, _ = read(client, url, json_body=BODIES[path])
    assert first_body == second_body
    assert len(first_body) > 500
    assert first.headers == second.headers


def test_request_ids_name_each_request(mock: MockServer, client: httpx.Client) -> None:
    def request_id(path: str, body: Any, header: str) -> str:
        return client.post(mock.url_for(path, text="x"), json=body).headers[header]

    chat = request_id(CHAT, CHAT_BODY, "x-request-id")
    assert chat.startswith("req_mock_")
    assert chat == request_id(CHAT, CHAT_BODY, "x-request-id")
    assert chat != request_id(CHAT, {**CHAT_BODY, "model": "other"}, "x-request-id")
    assert request_id(RESPONSES, RESPONSES_BODY, "x-request-id").startswith("req_mock_")
    assert request_id(MESSAGES, MESSAGES_BODY, "request-id").startswith("req_mock_")
    document = client.post(mock.url_for(CHAT, text="x"), json={**CHAT_BODY, "stream": False})
    assert document.headers["x-request-id"].startswith("req_mock_")
    assert "x-request-id" not in client.get(mock.url_for("/stream", text="x")).headers


@pytest.mark.parametrize(
    ("path", "header"),
    [(CHAT, "x-request-id"), (RESPONSES, "x-request-id"), (MESSAGES, "request-id")],
)
def test_a_429_says_when_to_retry(
    mock: MockServer, client: httpx.Client, path: str, header: str
) -> None:
    response = client.post(mock.url_for(path, status=429), json=BODIES[path])
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.headers[header].startswith("req_mock_")
    other = client.post(mock.url_for(path, status=500), json=BODIES[path])
    assert "retry-after" not in other.headers
    assert "retry-after" not in client.get(mock.url_for("/stream", status=429)).headers


@pytest.mark.parametrize("path", [GEMINI, AI_SDK])
def test_drop_after_and_ids_work_on_the_new_endpoints(
    mock: MockServer, client: httpx.Client, path: str
) -> None:
    query = {"alt": "sse"} if path == GEMINI else {}
    url = mock.url_for(path, ids=True, drop_after=3, **query)
    _, body, error = read(client, url, json_body=BODIES[path])
    assert isinstance(error, httpx.RemoteProtocolError)
    assert [block["id"] for block in events(body)] == ["1", "2", "3"]
    assert last_request(mock).outcome == "dropped"
    rest = read(
        client,
        url.replace("drop_after=3", "drop_after=1000"),
        json_body=BODIES[path],
        headers={"Last-Event-ID": "3"},
    )[1]
    assert events(rest)[0]["id"] == "4"


def test_rate_paces_a_gemini_stream(mock: MockServer, client: httpx.Client) -> None:
    url = mock.url_for(GEMINI, alt="sse", count=40, rate=200)
    started = time.monotonic()
    body = read(client, url, json_body=GEMINI_BODY)[1]
    assert time.monotonic() - started >= 0.15  # 40 events at 200 a second: about 0.2 s
    assert len(events(body)) == 40


@pytest.mark.parametrize(
    ("knob", "value"),
    [
        ("tools", "3"),
        ("tools", "-1"),
        ("reasoning", "deep"),
        ("finish", "tool_calls"),
        ("alt", "proto"),
    ],
)
def test_new_knobs_reject_bad_values(
    mock: MockServer, client: httpx.Client, knob: str, value: str
) -> None:
    response = client.post(f"{mock.url}{CHAT}?{knob}={value}", json=CHAT_BODY)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == knob
    with pytest.raises(ValueError, match=knob):
        mock.url_for(CHAT, **{knob: value})


def test_help_lists_the_new_endpoints_and_knobs(mock: MockServer, client: httpx.Client) -> None:
    page = client.get(mock.url + "/").text
    for word in ("streamGenerateContent", "/api/chat", "reasoning=", "tools=", "finish=", "alt="):
        assert word in page
