"""A widget on a stream with reasoning and tool calls: what it keeps, sends and saves."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from scripted import reply

from sse_widget import StreamWidget, ToolCall
from tests.test_widget import Recorder, recorder

__all__ = ["recorder"]  # fixtures


def sse(*datas: dict[str, Any]) -> bytes:
    return b"".join(
        f"event: {data['type']}\ndata: {json.dumps(data)}\n\n".encode() for data in datas
    )


def block(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


THINK_AND_CALL = [
    {"type": "message_start", "message": {"usage": {"input_tokens": 7, "output_tokens": 1}}},
    {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": ""},
    },
    block(0, {"type": "thinking_delta", "thinking": "The user wants "}),
    block(0, {"type": "thinking_delta", "thinking": "the weather.\nCall the tool."}),
    block(0, {"type": "signature_delta", "signature": "sig"}),
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    block(1, {"type": "text_delta", "text": "Let me check "}),
    block(1, {"type": "text_delta", "text": "`Oslo`."}),
    {"type": "content_block_stop", "index": 1},
    {
        "type": "content_block_start",
        "index": 2,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
    },
    block(2, {"type": "input_json_delta", "partial_json": '{"city": '}),
    block(2, {"type": "input_json_delta", "partial_json": '"Oslo"}'}),
    {"type": "content_block_stop", "index": 2},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 30}},
    {"type": "message_stop"},
]


def widget_on(chunks: bytes, **kwargs: Any) -> StreamWidget:
    client = httpx.AsyncClient(transport=httpx.MockTransport(reply(chunks)))
    return StreamWidget("https://api.example.com/v1/messages", client=client, **kwargs)


def replay_view(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What a view holds after these deltas (reasoning, tool calls, finish)."""
    reasoning, tools, finish = "", {}, None
    for message in messages:
        reasoning += message.get("reasoning", "")
        for update in message.get("tools", []):
            call = tools.setdefault(
                update["i"], {"id": None, "name": None, "args": "", "done": False}
            )
            call["id"] = update.get("id", call["id"])
            call["name"] = update.get("name", call["name"])
            call["args"] += update.get("args", "")
            call["done"] = call["done"] or update.get("done", False)
        finish = message.get("finish", finish)
    return {"reasoning": reasoning, "tools": [tools[i] for i in sorted(tools)], "finish": finish}


def test_reasoning_tool_calls_and_finish_reason_reach_the_widget_and_its_views(
    recorder: Recorder,
) -> None:
    widget = widget_on(sse(*THINK_AND_CALL), format="anthropic", render="markdown")
    assert widget.wait(10) == "Let me check `Oslo`."
    assert widget.reasoning == "The user wants the weather.\nCall the tool."
    assert widget.tool_calls == [ToolCall("toolu_1", "get_weather", '{"city": "Oslo"}', True)]
    assert widget.tool_calls[0].json() == {"city": "Oslo"}
    assert widget.finish_reason == "tool_use"
    assert widget.stats["reasoning_tokens"] == 2
    assert widget.stats["tokens"] == 2  # the answer's pieces only
    # Read-only like text: changing the copy changes nothing.
    widget.tool_calls[0].name = "changed"
    assert widget.tool_calls[0].name == "get_weather"

    deltas = recorder.custom("delta")
    assert replay_view(deltas) == {
        "reasoning": widget.reasoning,
        "tools": [
            {"id": "toolu_1", "name": "get_weather", "args": '{"city": "Oslo"}', "done": True}
        ],
        "finish": "tool_use",
    }
    # In stream order: the reasoning went out no later than the first answer text.
    first_text = next(i for i, d in enumerate(deltas) if d["text"])
    assert any("reasoning" in d for d in deltas[: first_text + 1])
    widget.close()


def test_a_snapshot_carries_reasoning_tools_and_finish_whole(recorder: Recorder) -> None:
    widget = widget_on(sse(*THINK_AND_CALL), format="anthropic")
    widget.wait(10)
    first = widget._channel.snapshot()[0]
    assert first["reasoning"] == widget.reasoning
    assert first["tools"] == [
        {"i": 0, "id": "toolu_1", "name": "get_weather", "args": '{"city": "Oslo"}', "done": True}
    ]
    assert first["finish"] == "tool_use"
    widget.close()


def test_the_saved_output_holds_reasoning_and_tool_calls(recorder: Recorder) -> None:
    widget = widget_on(sse(*THINK_AND_CALL), format="anthropic", render="markdown")
    widget.wait(10)
    data, _metadata = widget._repr_mimebundle_()
    assert data["text/markdown"] == (
        "> **Thinking**\n>\n> The user wants the weather.\n> Call the tool.\n\n"
        "Let me check `Oslo`.\n\n"
        '**Tool call get_weather (toolu_1)**\n\n```json\n{\n  "city": "Oslo"\n}\n```'
    )
    assert data["text/plain"] == (
        "Thinking:\nThe user wants the weather.\nCall the tool.\n\n"
        "Let me check `Oslo`.\n\n"
        'Tool call get_weather (toolu_1):\n{\n  "city": "Oslo"\n}'
    )
    widget.close()


def test_a_cut_answer_says_so_and_a_plain_answer_saves_its_text_alone(recorder: Recorder) -> None:
    chat = [
        {"type": "message", "choices": [{"index": 0, "delta": {"content": "Once upon"}}]},
        {"type": "message", "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]},
    ]
    body = b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chat) + b"data: [DONE]\n\n"
    widget = widget_on(body, format="openai", render="markdown")
    assert widget.wait(10) == "Once upon"
    assert widget.finish_reason == "length"
    data, _ = widget._repr_mimebundle_()
    assert data["text/markdown"].endswith(
        "*Finish reason: length (the answer was cut at the token limit)*"
    )
    assert [d["finish"] for d in recorder.custom("delta") if "finish" in d] == ["length"]
    widget.close()

    plain = widget_on(body.replace(b'"length"', b'"stop"'), format="openai", render="markdown")
    plain.wait(10)
    data, _ = plain._repr_mimebundle_()
    assert data["text/markdown"] == "Once upon"
    assert data["text/plain"] == "Once upon"
    plain.close()


def test_arguments_that_do_not_parse_are_saved_as_received(recorder: Recorder) -> None:
    broken = [
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "t", "name": "f"},
        },
        block(0, {"type": "input_json_delta", "partial_json": '{"a": '}),
        {"type": "message_stop"},
    ]
    widget = widget_on(sse(*broken), format="anthropic", render="markdown")
    widget.wait(10)
    assert widget.tool_calls[0].done  # the stream ended: complete, if broken
    with pytest.raises(ValueError, match="not valid JSON"):
        widget.tool_calls[0].json()
    data, _ = widget._repr_mimebundle_()
    assert '{"a": \n(not valid JSON)' in data["text/markdown"]
    widget.close()


def test_long_reasoning_is_bounded_counted_for_the_views_and_snapshotted_in_parts(
    recorder: Recorder,
) -> None:
    piece = "é" * 999 + "\n"  # 1,000 characters, 1,000 UTF-16 units
    thinking = [
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking"}},
        *[block(0, {"type": "thinking_delta", "thinking": piece}) for _ in range(300)],
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text"}},
        block(1, {"type": "text_delta", "text": "ok"}),
        {"type": "message_stop"},
    ]
    widget = widget_on(sse(*thinking), format="anthropic", max_chars=200_000)
    assert widget.wait(10) == "ok"
    kept = widget.reasoning
    assert len(kept) <= 200_000
    assert kept.endswith(piece)
    dropped = [d["reasoning_dropped"] for d in recorder.custom("delta") if "reasoning_dropped" in d]
    assert dropped == sorted(dropped)
    assert dropped[-1] == 300_000 - len(kept)  # BMP characters: units equal characters
    # A view replaying the deltas, dropping as told, holds exactly the kernel's reasoning.
    replayed = "".join(d.get("reasoning", "") for d in recorder.custom("delta"))
    assert replayed[dropped[-1] :] == kept

    parts = widget._channel.snapshot()
    assert len(parts) == -(-len(kept) // 65536)  # the reasoning's parts outnumber the text's
    assert "".join(p.get("reasoning", "") for p in parts) == kept
    assert parts[0]["reasoning_dropped"] == dropped[-1]
    assert [p["text"] for p in parts] == ["ok"] + [""] * (len(parts) - 1)
    widget.close()
