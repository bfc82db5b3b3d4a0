"""OpenAI's two streaming APIs: Chat Completions chunks and Responses events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .._models import Event
from ._base import Handler, JSONExtractor, TypedJSONExtractor, as_dict, first_choice, provider_error


class ChatExtractor(JSONExtractor):
    _done_data = "[DONE]"

    def _extract(self, data: dict[str, Any], event: Event) -> None:
        error = data.get("error")
        if error:
            raise provider_error(event, error, ("type", "code"), "the stream reported an error")
        usage = data.get("usage")
        if usage is not None:
            self._merge_usage(usage)
        choice = first_choice(data.get("choices"))
        if choice is None:
            return
        delta = choice.get("delta")
        if isinstance(delta, dict):
            # DeepSeek, vLLM and SGLang name it reasoning_content; OpenRouter and
            # Ollama, reasoning.
            reasoning = delta.get("reasoning_content")
            self._add_reasoning(reasoning if reasoning else delta.get("reasoning"))
            # A model that refuses streams its refusal instead of content: the reader
            # should see it.
            self._add_text(delta.get("content") or delta.get("refusal"))
            tool_calls = delta.get("tool_calls")
            if isinstance(tool_calls, list):
                for position, call in enumerate(tool_calls):
                    call = as_dict(call)
                    function = as_dict(call.get("function"))
                    self._add_tool_call(
                        call.get("index", position),
                        id=call.get("id"),
                        name=function.get("name"),
                        arguments=function.get("arguments") or "",
                    )
        else:
            self._add_text(choice.get("text"))  # legacy Completions
        if choice.get("finish_reason"):
            self._set_finish_reason(choice["finish_reason"])
            self._finish_tool_calls()


class ResponsesExtractor(TypedJSONExtractor):
    def _text(self, data: dict[str, Any], event: Event) -> None:
        self._add_text(data.get("delta"))

    def _reasoning(self, data: dict[str, Any], event: Event) -> None:
        self._add_reasoning(data.get("delta"))

    def _summary_part(self, data: dict[str, Any], event: Event) -> None:
        # Each summary part is a paragraph of its own.
        if isinstance(data.get("summary_index"), int) and data["summary_index"] > 0:
            self._add_reasoning("\n\n")

    def _item_added(self, data: dict[str, Any], event: Event) -> None:
        item = as_dict(data.get("item"))
        if item.get("type") == "function_call":
            self._add_tool_call(
                item.get("id") or data.get("output_index"),
                id=item.get("call_id"),
                name=item.get("name"),
                arguments=item.get("arguments") or "",
            )

    def _arguments(self, data: dict[str, Any], event: Event) -> None:
        self._add_tool_call(
            data.get("item_id") or data.get("output_index"), arguments=data.get("delta")
        )

    def _arguments_done(self, data: dict[str, Any], event: Event) -> None:
        key = data.get("item_id") or data.get("output_index")
        self._complete_tool_call(key, data.get("arguments"))

    def _item_done(self, data: dict[str, Any], event: Event) -> None:
        item = as_dict(data.get("item"))
        if item.get("type") == "function_call":
            self._add_tool_call(item.get("id") or data.get("output_index"), done=True)

    def _finished(self, data: dict[str, Any], event: Event) -> None:
        response = as_dict(data.get("response"))
        self._merge_usage(response.get("usage"))
        # "completed", or why it is incomplete ("max_output_tokens", "content_filter").
        details = as_dict(response.get("incomplete_details"))
        self._set_finish_reason(details.get("reason") or response.get("status"))
        self.done = True
        self._finish_tool_calls()

    def _failed(self, data: dict[str, Any], event: Event) -> None:
        response = as_dict(data.get("response"))
        self._merge_usage(response.get("usage"))
        raise provider_error(event, response.get("error"), ("code", "type"), "the response failed")

    def _error(self, data: dict[str, Any], event: Event) -> None:
        # The documented shape has code and message at the top level (where "type" is
        # "error" itself); some servers nest them in an "error" object instead.
        nested = data.get("error")
        if isinstance(nested, dict):
            raise provider_error(event, nested, ("code", "type"), "the stream reported an error")
        raise provider_error(event, data, ("code",), "the stream reported an error")

    _handlers: ClassVar[Mapping[str, Handler]] = {
        "response.output_text.delta": _text,
        "response.refusal.delta": _text,
        "response.reasoning_summary_text.delta": _reasoning,
        "response.reasoning_text.delta": _reasoning,
        "response.reasoning_summary_part.added": _summary_part,
        "response.output_item.added": _item_added,
        "response.function_call_arguments.delta": _arguments,
        "response.function_call_arguments.done": _arguments_done,
        "response.output_item.done": _item_done,
        "response.completed": _finished,
        "response.incomplete": _finished,
        "response.failed": _failed,
        "error": _error,
    }
