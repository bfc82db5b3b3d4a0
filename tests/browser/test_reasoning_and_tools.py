"""Reasoning, tool calls and finish reasons in a real JupyterLab and Chromium.

The thinking and tool-card tests hold the stream at a gate (a ``threading.Event`` in the
kernel) so that the state they check, "still thinking" or "arguments half streamed",
lasts until the test releases it: they wait for states, never for a moment.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from .lab import Notebook
from .test_stream_widget import contrast, printed, show_widget, wait_status

pytestmark = pytest.mark.browser

# A scripted Anthropic stream whose body waits at `gate` after its first part.
GATED = """
import asyncio, json, threading, httpx
gate = threading.Event()

def sse(*events):
    return b"".join(f"event: {e['type']}\\ndata: {json.dumps(e)}\\n\\n".encode() for e in events)

def delta(index, **fields):
    return {"type": "content_block_delta", "index": index, "delta": fields}

class Gated(httpx.AsyncByteStream):
    def __init__(self, before, after):
        self.before, self.after = before, after
    async def __aiter__(self):
        yield self.before
        while not gate.is_set():
            await asyncio.sleep(0.02)
        yield self.after

def gated_widget(before, after, **kwargs):
    def respond(request):
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              stream=Gated(sse(*before), sse(*after)))
    client = httpx.AsyncClient(transport=httpx.MockTransport(respond))
    return StreamWidget("https://api.example.com/v1/messages", client=client,
                        format="anthropic", **kwargs)
"""

THINKING = """
reasoning = ["Let me think. "] * 40 + ["The user wants SSE explained, step by step.\\n"] * 5
w = gated_widget(
    [{"type": "content_block_start", "index": 0,
      "content_block": {"type": "thinking", "thinking": ""}},
     *[delta(0, type="thinking_delta", thinking=piece) for piece in reasoning]],
    [delta(0, type="signature_delta", signature="sig"),
     {"type": "content_block_stop", "index": 0},
     {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
     delta(1, type="text_delta", text="## The answer\\n\\nServer-Sent Events are "),
     delta(1, type="text_delta", text="one-way messages over HTTP."),
     {"type": "message_stop"}],
)
w
"""

TOOL = """
w = gated_widget(
    [{"type": "content_block_start", "index": 0,
      "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}},
     delta(0, type="input_json_delta", partial_json='{"city": "Pa')],
    [delta(0, type="input_json_delta", partial_json='ris", "unit": "celsius"}'),
     {"type": "content_block_stop", "index": 0},
     {"type": "content_block_start", "index": 1,
      "content_block": {"type": "tool_use", "id": "toolu_2", "name": "broken", "input": {}}},
     delta(1, type="input_json_delta", partial_json='{"never": '),
     {"type": "message_delta", "delta": {"stop_reason": "tool_use"}},
     {"type": "message_stop"}],
)
w
"""


def test_the_thinking_section_streams_open_then_closes_when_the_answer_starts(
    notebook: Notebook,
) -> None:
    notebook.run(GATED)
    _cell, view = show_widget(notebook, THINKING)
    thinking = view.locator("details.sse-widget-thinking")
    # Held at the gate: the model is still thinking.
    expect(thinking).to_have_attribute("data-state", "thinking", timeout=30_000)
    expect(thinking).to_have_attribute("open", "")
    expect(thinking.locator(".sse-widget-thinking-text")).to_contain_text(
        "step by step", timeout=30_000
    )
    expect(thinking.locator(".sse-widget-thinking-title")).to_contain_text("Thinking")
    expect(view.locator(".sse-widget-markdown")).to_have_text("")
    notebook.screenshot("thinking", view)

    notebook.run("gate.set()")
    wait_status(view, "done")
    expect(view.locator(".sse-widget-markdown h2")).to_have_text("The answer")
    expect(thinking).to_have_attribute("data-state", "done")
    expect(thinking).not_to_have_attribute("open", "")
    expect(thinking.locator(".sse-widget-thinking-title")).to_have_text("Thought for 45 tokens")
    assert printed(notebook, "print(json.dumps([w.stats['reasoning_tokens'], w.text]))") == [
        45,
        "## The answer\n\nServer-Sent Events are one-way messages over HTTP.",
    ]

    # The reader can open it again: the whole reasoning, exactly as the kernel has it.
    thinking.locator("summary").click()
    expect(thinking).to_have_attribute("open", "")
    kernel = printed(notebook, "print(json.dumps(w.reasoning))")
    shown = thinking.locator(".sse-widget-thinking-text").evaluate("el => el.textContent")
    assert shown == kernel
    notebook.screenshot("thought", view)


def test_a_tool_call_card_fills_in_then_shows_formatted_json(notebook: Notebook) -> None:
    notebook.run(GATED)
    _cell, view = show_widget(notebook, TOOL)
    first = view.locator('.sse-widget-tool[data-index="0"]')
    # Held at the gate: half the arguments, raw, still streaming.
    expect(first).to_have_attribute("data-state", "streaming", timeout=30_000)
    expect(first.locator(".sse-widget-tool-name")).to_have_text("get_weather")
    expect(first.locator(".sse-widget-tool-args")).to_have_text('{"city": "Pa')

    notebook.run("gate.set()")
    wait_status(view, "done")
    expect(first).to_have_attribute("data-state", "done")
    calls = printed(notebook, "print(json.dumps([[c.name, c.arguments] for c in w.tool_calls]))")
    assert calls == [
        ["get_weather", '{"city": "Paris", "unit": "celsius"}'],
        ["broken", '{"never": '],
    ]
    pretty = json.dumps({"city": "Paris", "unit": "celsius"}, indent=2)
    expect(first.locator(".sse-widget-tool-args")).to_have_text(pretty)
    # Arguments that never parse stay as received, marked.
    second = view.locator('.sse-widget-tool[data-index="1"]')
    expect(second).to_have_attribute("data-state", "invalid")
    expect(second.locator(".sse-widget-tool-marker")).to_be_visible()
    expect(second.locator(".sse-widget-tool-args")).to_have_text('{"never": ')
    # A stop to call tools is quiet: no warning.
    expect(view.locator(".sse-widget-finish")).to_have_attribute("data-kind", "tool")
    expect(view.locator(".sse-widget-finish-cut")).to_have_count(0)
    notebook.screenshot("tool-calls", view)


def test_a_cut_answer_shows_a_warning_and_a_normal_stop_shows_none(notebook: Notebook) -> None:
    _cell, view = show_widget(
        notebook,
        "w = StreamWidget(\n"
        '    mock.url_for("/v1/chat/completions", finish="length", count=40, rate=400),\n'
        '    json={"stream": True, "messages": [{"role": "user", "content": "Long"}]},\n'
        '    format="openai")\n'
        "w",
    )
    wait_status(view, "done")
    badge = view.locator(".sse-widget-finish")
    expect(badge).to_be_visible()
    expect(badge).to_have_class("sse-widget-finish sse-widget-finish-cut")
    expect(badge).to_contain_text("length")
    assert "token limit" in (badge.get_attribute("title") or "")
    notebook.screenshot("cut", view)

    normal = notebook.submit(
        "n = StreamWidget(\n"
        '    mock.url_for("/v1/chat/completions", count=20, rate=400),\n'
        '    json={"stream": True, "messages": [{"role": "user", "content": "Short"}]},\n'
        '    format="openai")\n'
        "n"
    )
    plain = notebook.output(normal).locator(".sse-widget")
    wait_status(plain, "done")
    expect(plain.locator(".sse-widget-finish")).to_be_hidden()


def test_reasoning_and_tool_cards_are_legible_in_the_dark_theme(dark_notebook: Notebook) -> None:
    notebook = dark_notebook
    _cell, view = show_widget(
        notebook,
        "w = StreamWidget(\n"
        '    mock.url_for("/v1/messages", reasoning=1, tools=1, rate=400),\n'
        '    json={"stream": True, "max_tokens": 99,\n'
        '          "messages": [{"role": "user", "content": "Dark"}]},\n'
        '    format="anthropic")\n'
        "w",
    )
    wait_status(view, "done")
    view.locator("details.sse-widget-thinking summary").click()
    expect(view.locator('.sse-widget-tool[data-index="0"]')).to_have_attribute("data-state", "done")
    colours = view.evaluate(
        """root => {
            const style = (sel, prop) => getComputedStyle(root.querySelector(sel))[prop];
            const bg = (sel) => {
              for (let el = root.querySelector(sel); el; el = el.parentElement) {
                const c = getComputedStyle(el).backgroundColor;
                if (c !== "rgba(0, 0, 0, 0)") return c;
              }
              return "rgb(0, 0, 0)";
            };
            return {
              thinking: style(".sse-widget-thinking-text", "color"),
              thinkingBg: bg(".sse-widget-thinking-text"),
              args: style(".sse-widget-tool-args", "color"),
              argsBg: bg(".sse-widget-tool-args"),
              name: style(".sse-widget-tool-name", "color"),
              nameBg: bg(".sse-widget-tool-name"),
            };
        }"""
    )
    assert contrast(colours["thinking"], colours["thinkingBg"]) >= 3.0, colours  # muted
    assert contrast(colours["args"], colours["argsBg"]) >= 4.5, colours
    assert contrast(colours["name"], colours["nameBg"]) >= 4.5, colours
    notebook.screenshot("reasoning-and-tools-dark", view)
