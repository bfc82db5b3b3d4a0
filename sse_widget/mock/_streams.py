"""What each endpoint answers: provider-shaped event sequences and JSON documents.

Pure functions of a request (its body and knobs), no I/O, no clock, no randomness: the
same request always gives the same events. Content knobs (``text``, ``reply``, ``huge``,
``invalid_utf8``, ``error_after``, ``count``, ``event``, ``limit``) are applied here;
``_faults.write_stream`` applies the rest while it writes.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._faults import Flavor, Knobs, WireEvent, resume_point, to_json

__all__ = [
    "CREATED",
    "ENDPOINTS",
    "INVALID_UTF8",
    "PARAGRAPH",
    "Call",
    "Endpoint",
    "filler",
    "markdown_reply",
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

_TOKEN = re.compile(r"\s*\S+|\s+\Z")
_FILLER = "abcdefghijklmnopqrstuvwxyz0123456789"
_OPENAI_SERVER_ERROR = "The server had an error while processing your request."


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


def markdown_reply(prompt: str) -> str:
    """The default answer: a small markdown document derived from the prompt."""
    words = prompt.split()
    title = " ".join(words[:6]) + (" …" if len(words) > 6 else "") or "an empty prompt"
    quote = " ".join(words[:24]) + (" …" if len(words) > 24 else "")
    fingerprint = hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:8]
    return (
        f"# Mock answer: {title}\n\n"
        "## What you asked\n\n"
        f'You wrote: "{quote}". This reply comes from the sse_widget mock server, so the '
        "same prompt always streams the same tokens in the same order.\n\n"
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


@dataclass(frozen=True)
class Call:
    """What an endpoint sees of one request."""

    body: bytes
    payload: Mapping[str, Any]  # the JSON body when it is an object, else empty
    knobs: Knobs
    last_event_id: str = ""

    @property
    def digest(self) -> str:
        """12 hex digits naming this request's objects (ids without randomness)."""
        return hashlib.sha256(self.body).hexdigest()[:12]

    def model(self, default: str) -> str:
        model = self.payload.get("model")
        return model if isinstance(model, str) and model else default


# --- the answer ------------------------------------------------------------------------


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
    """(role, text) of the messages (a bare string is one user message)."""
    if isinstance(value, str):
        return [("user", _clean(value))]
    if not isinstance(value, list):
        return []
    return [
        (str(item.get("role", "")), _text_of(item.get("content")))
        for item in value
        if isinstance(item, dict)
    ]


def _shape(tokens: Iterable[str], knobs: Knobs) -> Iterator[str]:
    """The tokens with the ``huge`` filler first and ``invalid_utf8`` bytes in the first."""
    if knobs.huge is not None:
        yield filler(knobs.huge)
    marked = not knobs.invalid_utf8
    for token in tokens:
        yield token if marked else token + INVALID_UTF8
        marked = True


def _cut(total: int, error_after: int | None) -> tuple[int, bool]:
    """How many of ``total`` tokens to send, and whether the error event follows them."""
    if error_after is None or error_after > total:
        return total, False
    return error_after, True


@dataclass(frozen=True)
class _Answer:
    model: str
    tokens: list[str]
    prompt_tokens: int

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    @property
    def completion_tokens(self) -> int:
        return len(self.tokens)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def _answer(call: Call, messages: object, default_model: str) -> _Answer:
    turns = _messages(messages)
    prompt = next((text for role, text in reversed(turns) if role == "user"), "")
    knobs = call.knobs
    if knobs.text is not None:
        text = knobs.text
    elif knobs.reply == "echo":
        text = prompt
    else:
        text = markdown_reply(prompt)
    tokens = split_tokens(text)
    if knobs.count is not None and tokens:
        tokens = list(itertools.islice(itertools.cycle(tokens), knobs.count))
    return _Answer(
        model=call.model(default_model),
        tokens=list(_shape(tokens, knobs)),
        prompt_tokens=sum(len(text.split()) for _, text in turns),
    )


def _data(value: Any, event: str | None = None) -> WireEvent:
    return WireEvent(to_json(value), event=event)


# --- OpenAI Chat Completions -----------------------------------------------------------


def _chat_answer(call: Call) -> _Answer:
    return _answer(call, call.payload.get("messages"), "mock-gpt")


def _chat_head(call: Call, answer: _Answer, kind: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-mock-{call.digest}",
        "object": kind,
        "created": CREATED,
        "model": answer.model,
        "system_fingerprint": "fp_mock",
    }


def _chat_usage(answer: _Answer) -> dict[str, int]:
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": answer.total_tokens,
    }


def chat_events(call: Call) -> Iterator[WireEvent]:
    answer = _chat_answer(call)
    head = _chat_head(call, answer, "chat.completion.chunk")
    options = call.payload.get("stream_options")
    with_usage = isinstance(options, dict) and bool(options.get("include_usage"))

    def chunk(choices: list[Any], usage: Any = None) -> WireEvent:
        body = {**head, "choices": choices}
        if with_usage:
            body["usage"] = usage
        return _data(body)

    def choice(delta: dict[str, str], finish: str | None = None) -> list[Any]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    yield chunk(choice({"role": "assistant", "content": ""}))
    sent, failed = _cut(len(answer.tokens), call.knobs.error_after)
    for token in answer.tokens[:sent]:
        yield chunk(choice({"content": token}))
    if failed:
        error = {"message": _OPENAI_SERVER_ERROR, "type": "server_error"}
        yield _data({"error": {**error, "param": None, "code": None}})
        return
    yield chunk(choice({}, "stop"))
    if with_usage:
        yield chunk([], _chat_usage(answer))
    yield WireEvent("[DONE]")


def chat_document(call: Call) -> Any:
    answer = _chat_answer(call)
    message = {"role": "assistant", "content": answer.text, "refusal": None}
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
    return {
        **_chat_head(call, answer, "chat.completion"),
        "choices": [choice],
        "usage": _chat_usage(answer),
    }


# --- OpenAI Responses ------------------------------------------------------------------


def _responses_answer(call: Call) -> _Answer:
    return _answer(call, call.payload.get("input"), "mock-gpt")


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": []}


def _output_message(call: Call, status: str, content: list[Any]) -> dict[str, Any]:
    return {
        "id": f"msg_mock_{call.digest}",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def _response(call: Call, answer: _Answer, *, done: bool) -> dict[str, Any]:
    output = [_output_message(call, "completed", [_output_text(answer.text)])] if done else []
    usage = {
        "input_tokens": answer.prompt_tokens,
        "output_tokens": answer.completion_tokens,
        "total_tokens": answer.total_tokens,
    }
    return {
        "id": f"resp_mock_{call.digest}",
        "object": "response",
        "created_at": CREATED,
        "status": "completed" if done else "in_progress",
        "error": None,
        "incomplete_details": None,
        "model": answer.model,
        "output": output,
        "usage": usage if done else None,
    }


def responses_events(call: Call) -> Iterator[WireEvent]:
    answer = _responses_answer(call)
    sequence = itertools.count()
    where = {"item_id": f"msg_mock_{call.digest}", "output_index": 0, "content_index": 0}

    def emit(kind: str, **fields: Any) -> WireEvent:
        return _data({"type": kind, **fields, "sequence_number": next(sequence)}, kind)

    started = _response(call, answer, done=False)
    text = _output_text(answer.text)
    yield emit("response.created", response=started)
    yield emit("response.in_progress", response=started)
    item = _output_message(call, "in_progress", [])
    yield emit("response.output_item.added", output_index=0, item=item)
    yield emit("response.content_part.added", **where, part=_output_text(""))
    sent, failed = _cut(len(answer.tokens), call.knobs.error_after)
    for token in answer.tokens[:sent]:
        yield emit("response.output_text.delta", **where, delta=token)
    if failed:
        yield emit("error", code="server_error", message=_OPENAI_SERVER_ERROR, param=None)
        return
    yield emit("response.output_text.done", **where, text=answer.text)
    yield emit("response.content_part.done", **where, part=text)
    item = _output_message(call, "completed", [text])
    yield emit("response.output_item.done", output_index=0, item=item)
    yield emit("response.completed", response=_response(call, answer, done=True))


def responses_document(call: Call) -> Any:
    return _response(call, _responses_answer(call), done=True)


# --- Anthropic Messages ----------------------------------------------------------------

#: Anthropic sends a ``ping`` event after this many deltas (and one after the block starts).
PING_EVERY = 20


def _anthropic_answer(call: Call) -> _Answer:
    return _answer(call, call.payload.get("messages"), "mock-claude")


def _anthropic_message(call: Call, answer: _Answer, *, done: bool) -> dict[str, Any]:
    return {
        "id": f"msg_mock_{call.digest}",
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": [{"type": "text", "text": answer.text}] if done else [],
        "stop_reason": "end_turn" if done else None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": answer.prompt_tokens,
            "output_tokens": answer.completion_tokens if done else 1,
        },
    }


def anthropic_events(call: Call) -> Iterator[WireEvent]:
    answer = _anthropic_answer(call)

    def emit(kind: str, **fields: Any) -> WireEvent:
        return _data({"type": kind, **fields}, kind)

    yield emit("message_start", message=_anthropic_message(call, answer, done=False))
    yield emit("content_block_start", index=0, content_block={"type": "text", "text": ""})
    yield emit("ping")
    sent, failed = _cut(len(answer.tokens), call.knobs.error_after)
    for number, token in enumerate(answer.tokens[:sent], 1):
        yield emit("content_block_delta", index=0, delta={"type": "text_delta", "text": token})
        if number % PING_EVERY == 0:
            yield emit("ping")
    if failed:
        yield emit("error", error={"type": "overloaded_error", "message": "Overloaded"})
        return
    yield emit("content_block_stop", index=0)
    stop = {"stop_reason": "end_turn", "stop_sequence": None}
    yield emit("message_delta", delta=stop, usage={"output_tokens": answer.completion_tokens})
    yield emit("message_stop")


def anthropic_document(call: Call) -> Any:
    return _anthropic_message(call, _anthropic_answer(call), done=True)


# --- generic streams -------------------------------------------------------------------

_MOCK_ERROR = WireEvent("mock error", event="error")


def text_events(call: Call) -> Iterator[WireEvent]:
    knobs = call.knobs
    base = split_tokens(PARAGRAPH if knobs.text is None else knobs.text)
    total = len(base) if knobs.count is None or not base else knobs.count
    # Lazily: count=10**9 must not build a list first.
    tokens = _shape(itertools.islice(itertools.cycle(base), total), knobs)
    sent, failed = _cut(total + (knobs.huge is not None), knobs.error_after)
    for token in itertools.islice(tokens, sent):
        yield WireEvent(token, event=knobs.event)
    if failed:
        yield _MOCK_ERROR


def feed_events(call: Call) -> Iterator[WireEvent]:
    knobs = call.knobs
    first = resume_point(call.last_event_id) + 1
    for number in itertools.count(first):
        if knobs.limit is not None and number > knobs.limit:
            return
        if number - first == knobs.error_after:
            yield _MOCK_ERROR
            return
        tick = f"tick {number}"
        if number == first:
            tick = next(_shape([tick], knobs))
        yield WireEvent(to_json({"n": number, "tick": tick}), event=knobs.event, id=str(number))


# --- the routes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One path of the mock server."""

    summary: str
    methods: frozenset[str]
    events: Callable[[Call], Iterator[WireEvent]]
    #: The non-streaming answer (``"stream"`` absent or false); ``None``: always streams.
    document: Callable[[Call], Any] | None = None
    flavor: Flavor = "openai"
    #: Seconds between events when no ``delay`` knob is given.
    default_delay: float = 0.0
    #: The events carry ids and resume from ``Last-Event-ID`` by themselves.
    own_ids: bool = False

    def streams(self, call: Call) -> bool:
        return self.document is None or bool(call.payload.get("stream"))


_POST = frozenset({"POST"})
_GET_POST = frozenset({"GET", "POST"})

ENDPOINTS: dict[str, Endpoint] = {
    "/v1/chat/completions": Endpoint(
        "OpenAI Chat Completions (SSE when the body has stream: true)",
        _POST,
        chat_events,
        chat_document,
    ),
    "/v1/responses": Endpoint(
        "OpenAI Responses (SSE when the body has stream: true)",
        _POST,
        responses_events,
        responses_document,
    ),
    "/v1/messages": Endpoint(
        "Anthropic Messages (SSE when the body has stream: true)",
        _POST,
        anthropic_events,
        anthropic_document,
        flavor="anthropic",
    ),
    "/stream": Endpoint("one 'data: <token>' event per token of a text", _GET_POST, text_events),
    "/feed": Endpoint(
        "endless feed, an event per interval (1 s), resumes from Last-Event-ID",
        _GET_POST,
        feed_events,
        default_delay=1.0,
        own_ids=True,
    ),
}
