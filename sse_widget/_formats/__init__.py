"""Extractors: turn the events of a stream into what they carry.

A *format* says how. ``get_extractor(format)`` returns a fresh, stateful
:class:`Extractor` for one stream. For each event in order, ``feed(event)`` returns the
answer text it adds, or ``parts(event)`` returns everything it adds, typed:
:class:`TextPart`, :class:`ReasoningPart` (a model's thinking) and
:class:`ToolCallPart` (a piece of a tool call). Besides, the extractor keeps what the
stream said about itself: ``reasoning``, ``tool_calls`` (:class:`ToolCall`: ``id``,
``name``, ``arguments`` as streamed, ``json()``), ``finish_reason`` (the provider's own
word), ``done``, ``usage`` and the events it could not parse (``malformed``).

The shapes read, per format (``data`` is each event's JSON; only choice or candidate 0
is the answer: with ``n > 1`` the others interleave with it and are not read):

``"openai"``: Chat Completions chunks, and the many servers that speak them (vLLM,
Ollama, llama.cpp, OpenRouter, DeepSeek...)::

    {"choices": [{"index": 0,
                  "delta": {"content": "Hel",            # text (else "refusal")
                            "reasoning_content": "...",  # reasoning (DeepSeek, vLLM)
                            "reasoning": "...",          # reasoning (OpenRouter, Ollama)
                            "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                            "function": {"name": "f", "arguments": "{\\"a"}}]},
                  "finish_reason": null}],               # "stop", "length", "tool_calls"...
     "usage": {"prompt_tokens": 9, ...}}                 # null until the last chunk
    data: [DONE]                                         # done
    {"error": {"message": "...", "type": "..."}}         # ServerEventError

    Legacy Completions ``choices[].text`` is text. A tool call's pieces share its
    ``index``; its ``id`` and name come with the first. A finish reason completes
    every call.

``"openai-responses"``: Responses API events (type from ``data["type"]``, else the
event name)::

    response.output_text.delta, response.refusal.delta   {"delta": "..."}  text
    response.reasoning_summary_text.delta                {"delta": "..."}  reasoning
    response.reasoning_text.delta                        {"delta": "..."}  reasoning
    response.reasoning_summary_part.added                 a new paragraph after the first
    response.output_item.added  {"item": {"type": "function_call", "id", "call_id",
                                          "name", "arguments"}}   a tool call (id: call_id)
    response.function_call_arguments.delta  {"item_id", "delta"}   its arguments
    response.function_call_arguments.done   {"item_id", "arguments"}  complete
    response.output_item.done                             complete
    response.completed / response.incomplete  {"response": {"status", "usage",
        "incomplete_details": {"reason"}}}    done; finish reason: the incomplete
        reason ("max_output_tokens", "content_filter") or the status ("completed")
    response.failed {"response": {"error"}}, error {"code", "message"}  ServerEventError

``"anthropic"``: Messages events (type as above)::

    content_block_start {"index", "content_block": {"type": "text" | "thinking" |
                        "tool_use", "id", "name", "input"}}   a tool_use block: a call
    content_block_delta {"index", "delta": {"type": "text_delta", "text"}}          text
                                           {"type": "thinking_delta", "thinking"}   reasoning
                                           {"type": "input_json_delta", "partial_json"}
                                           {"type": "signature_delta"}  not text: ignored
    content_block_stop  {"index"}                            a tool call complete
    message_start {"message": {"usage"}}, message_delta {"delta": {"stop_reason"},
        "usage"}   usage; finish reason ("end_turn", "max_tokens", "tool_use"...)
    message_stop   done;   error {"error": {"type", "message"}}   ServerEventError

``"gemini"``: ``streamGenerateContent?alt=sse``, each event a GenerateContentResponse::

    {"candidates": [{"content": {"parts": [{"text": "..."},                  # text
                                           {"text": "...", "thought": true}, # reasoning
                                           {"functionCall": {"name", "args", "id"}}]},
                     "finishReason": "STOP"}],          # "MAX_TOKENS", "SAFETY"...: done
     "usageMetadata": {"promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount",
                       "totalTokenCount"},
     "promptFeedback": {"blockReason": "SAFETY"}}      # a blocked prompt: finish reason
    {"error": {"code", "message", "status"}}           # ServerEventError

    A function call comes whole, its ``args`` an object: its arguments are that
    object's JSON, complete at once. There is no end marker: the chunk with a
    ``finishReason`` is the last.

``"ai-sdk"``: the Vercel AI SDK UI message stream (what ``useChat`` reads), over SSE::

    {"type": "text-delta", "id", "delta"}                   text
    {"type": "reasoning-delta", "id", "delta"}              reasoning ("reasoning-start":
                                                            a new paragraph after the first)
    {"type": "tool-input-start", "toolCallId", "toolName"}  a tool call
    {"type": "tool-input-delta", "toolCallId", "inputTextDelta"}   its arguments
    {"type": "tool-input-available", "toolCallId", "toolName", "input"}  complete (the
                                                            input's JSON if none streamed)
    {"type": "finish", "finishReason"?}                     done, with its reason if given
    {"type": "abort"}                                       done; finish reason "abort"
    {"type": "error", "errorText"}                          ServerEventError
    data: [DONE]                                            done

``"text"``: each event's ``data`` as is, whatever the event type; never done.

``"json:<path>"`` or :class:`JSONFormat`: the value at a dotted path in the JSON data,
e.g. ``"json:choices.0.delta.content"``; a segment of ASCII digits indexes a list (or is
a key of an object). A missing path or ``null`` adds nothing; a string is the text; a
number or boolean becomes its JSON spelling (``1.5``, ``true``); an object or array is
malformed ("json:a.b is an object, not text"). Done at ``data: [DONE]`` (OpenAI-compatible
streams end so), or, with ``JSONFormat(..., done="stop")``, when that path is true
(llama.cpp's native stream). ``JSONFormat(..., reasoning="path")`` reads reasoning too.

A callable: ``fn(event)`` returns the text, or ``None``; never done; its own exceptions
propagate.

Rules shared by the JSON formats:

- Empty (or blank) data is a keep-alive: nothing added, nothing recorded.
- Data that is not valid JSON, or JSON that is not an object where the format reads an
  object, is *malformed*: nothing added, the event is kept in ``malformed`` (the last
  :data:`MALFORMED_KEPT`) with the reason, ``malformed_count`` counts it, and the stream
  goes on.
- An error the provider reports inside the stream raises
  :class:`~sse_widget.ServerEventError` with the provider's message, its error type (or
  code) as ``error_type`` and the raw event as ``event``. An error never sets ``done``.
- ``usage`` is merged key by key as usage figures arrive; a ``null`` figure does not
  erase one already received. Each merge makes a new dict, so a watcher sees a change.
- Tool call arguments are kept as streamed (raw text; ``ToolCall.json()`` parses them
  and says where they break). When the stream is done or states a finish reason, every
  call is complete.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TypeAlias

from .._models import Event
from ._ai_sdk import AISDKExtractor
from ._anthropic import MessagesExtractor
from ._base import (
    MALFORMED_KEPT,
    Extractor,
    MalformedEvent,
    Part,
    ReasoningPart,
    TextPart,
    ToolCall,
    ToolCallPart,
)
from ._gemini import GeminiExtractor
from ._openai import ChatExtractor, ResponsesExtractor
from ._simple import CallableExtractor, JSONFormat, JSONPathExtractor, TextExtractor

__all__ = [
    "FORMATS",
    "MALFORMED_KEPT",
    "Extractor",
    "FormatSpec",
    "JSONFormat",
    "MalformedEvent",
    "Part",
    "ReasoningPart",
    "TextPart",
    "ToolCall",
    "ToolCallPart",
    "get_extractor",
]

#: What ``get_extractor`` accepts: a format name, ``"json:<path>"``, a
#: :class:`JSONFormat`, or a callable.
FormatSpec: TypeAlias = str | JSONFormat | Callable[[Event], str | None]

_NAMED: dict[str, type[Extractor]] = {
    "text": TextExtractor,
    "openai": ChatExtractor,
    "openai-responses": ResponsesExtractor,
    "anthropic": MessagesExtractor,
    "gemini": GeminiExtractor,
    "ai-sdk": AISDKExtractor,
}

#: The named formats; ``"json:<path>"``, :class:`JSONFormat` and callables are accepted too.
FORMATS: tuple[str, ...] = tuple(_NAMED)


def get_extractor(format: FormatSpec) -> Extractor:
    """Return a new extractor for ``format``: a name in :data:`FORMATS`,
    ``"json:<dotted.path>"``, a :class:`JSONFormat`, or a callable ``event -> str | None``.

    Raises ``ValueError`` for an unknown name or an empty path, ``TypeError`` for
    anything else.
    """
    if isinstance(format, str):
        extractor_class = _NAMED.get(format)
        if extractor_class is not None:
            return extractor_class(format)
        if format.startswith("json:"):
            return JSONPathExtractor(JSONFormat(format[len("json:") :]))
        valid = ", ".join(repr(name) for name in FORMATS)
        message = (
            f"unknown format {format!r}; expected one of {valid}, 'json:<path>', "
            "a JSONFormat or a callable"
        )
        close = difflib.get_close_matches(format.lower(), FORMATS, n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
        raise ValueError(message)
    if isinstance(format, JSONFormat):
        return JSONPathExtractor(format)
    if callable(format):
        return CallableExtractor(format)
    raise TypeError(
        "format must be a format name (str), a JSONFormat or a callable event -> str | None, "
        f"not {type(format).__name__}"
    )
