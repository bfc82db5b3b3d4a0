"""What a mock model says: the answer, its reasoning and its tool calls, before any API
shapes them into events.

Pure functions of a request (its body, path and knobs): no I/O, no clock, no randomness,
so the same request always gives the same answer. Every provider module (``_openai``,
``_anthropic``, ``_gemini``, ``_ai_sdk``) builds its events from one :class:`Plan`, so
the same request tells the same story in every API's words.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._faults import Knobs, WireEvent, to_json

__all__ = [
    "CREATED",
    "INVALID_UTF8",
    "PARAGRAPH",
    "TOOLS",
    "Call",
    "Plan",
    "ToolCall",
    "cut",
    "data",
    "filler",
    "markdown_reply",
    "plan",
    "reasoning_reply",
    "shape",
    "signature",
    "split_tokens",
]

#: The ``created`` timestamp of every object: a fixed moment keeps output deterministic.
CREATED = 1700000000

#: The text of ``/stream`` when no ``text`` knob is given.
PARAGRAPH = (
    "Server-Sent Events carry a stream of small text messages over one long HTTP "
    "response. Each event is a few lines of fields followed by a blank line, and the "
    "client rebuilds the events as the bytes arrive. This paragraph exists so that a test "
    "can watch the words appear one at a time, in order, without any network service."
)

#: What ``invalid_utf8=1`` appends to the first text token: a stray continuation byte
#: and a truncated three-byte sequence, as surrogate escapes the writer sends raw.
INVALID_UTF8 = "\udcff\udce2\udc82"

#: The tools a mock model calls (``tools=N`` calls the first N), with fixed arguments:
#: deterministic, and valid JSON whatever the prompt.
TOOLS: tuple[tuple[str, dict[str, str]], ...] = (
    ("get_weather", {"city": "Paris", "unit": "celsius"}),
    ("get_time", {"timezone": "Europe/Paris"}),
)

#: What a model that calls tools says first, where its API has text beside the calls.
TOOL_PREAMBLE = "Let me look that up."

#: Tool arguments stream in pieces of this many characters: enough pieces that a client
#: must join them, some of them cut inside a JSON string.
ARGUMENT_PIECE = 8

_TOKEN = re.compile(r"\s*\S+|\s+\Z")
_FILLER = "abcdefghijklmnopqrstuvwxyz0123456789"


def split_tokens(text: str) -> list[str]:
    """Word-like tokens that keep their leading whitespace; they join back to ``text``.

    >>> split_tokens("Hello,  world\\n")
    ['Hello,', '  world', '\\n']
    """
    return _TOKEN.findall(text)


def filler(size: int) -> str:
    """Deterministic ASCII text of exactly ``size`` bytes (the ``huge`` knob)."""
    repeats = size // len(_FILLER) + 1
    return (_FILLER * repeats)[:size]


def _quote(words: list[str], limit: int) -> str:
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")


def markdown_reply(prompt: str) -> str:
    """The default answer: a small markdown document derived from the prompt."""
    words = prompt.split()
    title = _quote(words, 6) if words else "an empty prompt"
    fingerprint = hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:8]
    return (
        f"# Mock answer: {title}\n\n"
        "## What you asked\n\n"
        f'You wrote: "{_quote(words, 24)}". This reply comes from the sse_widget mock '
        "server, so the same prompt always streams the same tokens in the same order.\n\n"
        "## Facts about the prompt\n\n"
        f"- Words: {len(words)}\n"
        f"- Characters: {len(prompt)}\n"
        f"- Fingerprint: `{fingerprint}`\n\n"
        "```python\n"
        "def summarize(prompt: str) -> dict[str, int]:\n"
        '    """Count what the mock counted."""\n'
        "    words = prompt.split()\n"
        '    return {"words": len(words), "characters": len(prompt)}\n'
        "```\n\n"
        "That is the whole answer: the stream now ends with a normal stop."
    )


def reasoning_reply(prompt: str, tools: int = 0) -> str:
    """The mock's thinking before it answers (``reasoning=1``): a bold title, then a
    short plan, the way reasoning models summarize theirs.

    >>> reasoning_reply("Hi there")[:40]
    '**Reading the prompt**\\n\\nThe user wrote 2'
    """
    words = prompt.split()
    if tools:
        names = " and ".join(f"`{name}`" for name, _ in TOOLS[:tools])
        plan_text = f"I need live data first, so I will call {names} before answering."
    else:
        plan_text = (
            "I will answer with a heading, two short sections, a list of facts about the "
            "prompt and a small Python function, then stop."
        )
    count = f"{len(words)} word{'' if len(words) == 1 else 's'}"
    return f'**Reading the prompt**\n\nThe user wrote {count}: "{_quote(words, 12)}". {plan_text}'


def signature(text: str) -> str:
    """An opaque, deterministic stand-in for a provider's signature of its reasoning."""
    digest = hashlib.sha256(("mock signature\n" + text).encode("utf-8")).digest()
    return "EqMock" + base64.b64encode(digest * 2).decode("ascii")


@dataclass(frozen=True)
class Call:
    """What an endpoint sees of one request."""

    body: bytes
    payload: Mapping[str, Any]  # the JSON body when it is an object, else empty
    knobs: Knobs
    last_event_id: str = ""
    #: Parts of the path an endpoint's pattern names (Gemini: ``{"model": ...}``).
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """12 hex digits naming this request's objects (ids without randomness)."""
        return hashlib.sha256(self.body).hexdigest()[:12]

    def model(self, default: str) -> str:
        model = self.params.get("model", self.payload.get("model"))
        return model if isinstance(model, str) and model else default


# --- reading the request ---------------------------------------------------------------


def _clean(text: str) -> str:
    # json.loads accepts lone surrogates ("\ud800"); they cannot be sent as UTF-8.
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _text_of(content: object) -> str:
    """The text of a message's content: a string, or a list of parts with ``text``."""
    if isinstance(content, str):
        return _clean(content)
    if isinstance(content, list):
        texts = (part.get("text") for part in content if isinstance(part, dict))
        return "\n".join(_clean(text) for text in texts if isinstance(text, str))
    return ""


def _messages(value: object) -> list[tuple[str, str]]:
    """(role, text) of the messages (a bare string is one user message).

    A message's text is its ``content`` (OpenAI, Anthropic) or its ``parts`` (Gemini,
    the AI SDK's UI messages); a message without a role is the user's, as Gemini reads it.
    """
    if isinstance(value, str):
        return [("user", _clean(value))]
    if not isinstance(value, list):
        return []
    return [
        (str(item.get("role") or "user"), _text_of(item.get("content", item.get("parts"))))
        for item in value
        if isinstance(item, dict)
    ]


# --- the plan --------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    """One call a mock model makes: its tool, its arguments and how they stream."""

    number: int  # 0, 1... in the order of the answer
    name: str
    arguments: dict[str, str]

    def json(self, *, spaced: bool = False) -> str:
        """The arguments as JSON text: compact as OpenAI writes it, or spaced as Claude
        does."""
        separators = (", ", ": ") if spaced else (",", ":")
        return json.dumps(self.arguments, separators=separators)

    def pieces(self, *, spaced: bool = False) -> list[str]:
        """The JSON text in the pieces it streams in; joined, they give it back."""
        text = self.json(spaced=spaced)
        return [text[i : i + ARGUMENT_PIECE] for i in range(0, len(text), ARGUMENT_PIECE)]


@dataclass(frozen=True)
class Plan:
    """Everything one answer says, in order: reasoning, text, tool calls."""

    model: str
    prompt: str
    prompt_tokens: int
    #: Reasoning tokens (``reasoning`` knob), streamed before anything else.
    reasoning: list[str]
    #: Answer tokens, after the ``count``, ``huge``, ``invalid_utf8`` and ``finish`` knobs.
    tokens: list[str]
    calls: list[ToolCall]
    #: The answer stops short, as at a token limit (``finish=length``).
    cut: bool

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    @property
    def thinking(self) -> str:
        return "".join(self.reasoning)

    @property
    def tool_tokens(self) -> int:
        return sum(len(tool.pieces()) for tool in self.calls)

    @property
    def completion_tokens(self) -> int:
        """What the model produced: reasoning, text and tool arguments, as APIs bill."""
        return len(self.reasoning) + len(self.tokens) + self.tool_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def shape(tokens: Iterable[str], knobs: Knobs) -> Iterator[str]:
    """The tokens with the ``huge`` filler first and ``invalid_utf8`` bytes in the first."""
    if knobs.huge is not None:
        yield filler(knobs.huge)
    marked = not knobs.invalid_utf8
    for token in tokens:
        yield token if marked else token + INVALID_UTF8
        marked = True


def cut(total: int, error_after: int | None) -> tuple[int, bool]:
    """How many of ``total`` tokens to send, and whether the error event follows them."""
    if error_after is None or error_after > total:
        return total, False
    return error_after, True


def plan(call: Call, messages: object, default_model: str, *, text_with_tools: bool) -> Plan:
    """The answer to ``messages`` under the request's knobs.

    ``text_with_tools``: whether this API's models say something before their tool calls
    (Claude and Gemini do; OpenAI's models answer with the calls alone).
    """
    turns = _messages(messages)
    prompt = next((text for role, text in reversed(turns) if role == "user"), "")
    knobs = call.knobs
    cut_short = knobs.finish == "length"
    # A cut answer never reaches its calls: the limit falls inside the text.
    tools = 0 if cut_short else knobs.tools
    if knobs.text is not None:
        text = knobs.text
    elif tools:
        text = TOOL_PREAMBLE
    elif knobs.reply == "echo":
        text = prompt
    else:
        text = markdown_reply(prompt)
    tokens = split_tokens(text)
    if knobs.count is not None and tokens:
        tokens = list(itertools.islice(itertools.cycle(tokens), knobs.count))
    elif cut_short:
        tokens = tokens[: (len(tokens) + 1) // 2]
    tokens = list(shape(tokens, knobs))
    if tools and not text_with_tools:
        tokens = []
    reasoning = split_tokens(reasoning_reply(prompt, tools)) if knobs.reasoning != "off" else []
    return Plan(
        model=call.model(default_model),
        prompt=prompt,
        prompt_tokens=sum(len(text.split()) for _, text in turns),
        reasoning=reasoning,
        tokens=tokens,
        calls=[ToolCall(n, name, args) for n, (name, args) in enumerate(TOOLS[:tools])],
        cut=cut_short,
    )


def data(value: Any, event: str | None = None) -> WireEvent:
    """An event whose data is ``value`` as compact JSON."""
    return WireEvent(to_json(value), event=event)
