"""The package's extractors read what the official SDKs read, from the same bytes.

Each SDK makes its request to the mock; the request it sent (recorded by the mock) is
sent again through ``iter_events``, and the mock answers the same request with the same
bytes. Text, reasoning, tool calls (id, name, raw arguments), finish reason and usage
must be equal. Fake keys only; everything on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable
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
)

from sse_widget import get_extractor, iter_events
from sse_widget.mock import MockServer


def ours(mock: MockServer, format: str) -> dict[str, Any]:
    """Send the mock's last request again and read it with the package's extractor."""
    sent = mock.requests[-1]
    extractor = get_extractor(format)
    text = ""
    url = mock.url_for(sent.path, **sent.query)
    headers = {"content-type": sent.headers["content-type"]}
    for event in iter_events(url, method=sent.method, content=sent.body, headers=headers):
        text += extractor.feed(event) or ""
    usage = {k: v for k, v in (extractor.usage or {}).items() if v is not None} or None
    return {
        "text": text,
        "reasoning": extractor.reasoning,
        "tool_calls": [
            {"id": call.id, "name": call.name, "arguments": call.arguments}
            for call in extractor.tool_calls
        ],
        "finish_reason": extractor.finish_reason,
        "usage": usage,
    }


def without_nulls(parts: dict[str, Any]) -> dict[str, Any]:
    usage = parts["usage"]
    return {**parts, "usage": {k: v for k, v in usage.items() if v is not None} if usage else None}


def stream_openai_chat(client: openai.OpenAI, query: dict[str, str]) -> dict[str, Any]:
    stream = client.chat.completions.create(
        model="gpt-test",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_query=query,
    )
    return sdk_openai_chat_parts(stream)


def stream_openai_responses(client: openai.OpenAI, query: dict[str, str]) -> dict[str, Any]:
    stream = client.responses.create(model="gpt-test", input=PROMPT, stream=True, extra_query=query)
    return sdk_openai_responses_parts(stream)


def stream_anthropic(client: anthropic.Anthropic, query: dict[str, str]) -> dict[str, Any]:
    stream = client.messages.create(
        model="claude-test", max_tokens=1024, messages=MESSAGES, stream=True, extra_query=query
    )
    return sdk_anthropic_parts(stream)


CASES: dict[str, tuple[str, Callable[[Any, dict[str, str]], dict[str, Any]]]] = {
    "openai": ("openai", stream_openai_chat),
    "openai-responses": ("openai", stream_openai_responses),
    "anthropic": ("anthropic", stream_anthropic),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("format", CASES)
def test_the_extractor_reads_what_the_sdk_reads(mock: MockServer, format: str, shape: str) -> None:
    sdk, run = CASES[format]
    if sdk == "openai":
        client: Any = openai.OpenAI(
            base_url=mock.url + "/v1", api_key="sk-test-fake", max_retries=0, timeout=10
        )
    else:
        client = anthropic.Anthropic(
            base_url=mock.url, api_key="sk-ant-test-fake", max_retries=0, timeout=10
        )
    with client:
        theirs = without_nulls(run(client, SHAPES[shape]))
    mine = ours(mock, format)
    assert mine == theirs
    # Not vacuous: each shape has what it is named for.
    assert mine["text"] or mine["tool_calls"]
    assert bool(mine["reasoning"]) == ("reasoning" in SHAPES[shape])
    assert bool(mine["tool_calls"]) == ("tools" in SHAPES[shape])
    assert mine["finish_reason"]
