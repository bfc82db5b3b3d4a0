"""Google's Gemini ``streamGenerateContent?alt=sse``: each event a GenerateContentResponse."""

from __future__ import annotations

import json
from typing import Any

from .._models import Event
from ._base import JSONExtractor, as_dict, first_choice, provider_error


class GeminiExtractor(JSONExtractor):
    def _extract(self, data: dict[str, Any], event: Event) -> None:
        error = data.get("error")
        if error:
            raise provider_error(event, error, ("status", "code"), "the stream reported an error")
        self._merge_usage(data.get("usageMetadata"))
        # A prompt blocked before any answer: no candidates, the reason here.
        self._set_finish_reason(as_dict(data.get("promptFeedback")).get("blockReason"))
        candidate = first_choice(data.get("candidates"))
        if candidate is None:
            return
        parts = as_dict(candidate.get("content")).get("parts")
        for part in parts if isinstance(parts, list) else ():
            part = as_dict(part)
            call = part.get("functionCall")
            if isinstance(call, dict):
                # Function calls come whole, their arguments an object.
                self._add_tool_call(
                    ("call", len(self.tool_calls)),
                    id=call.get("id"),
                    name=call.get("name"),
                    arguments=json.dumps(call.get("args") or {}),
                    done=True,
                )
            elif part.get("thought") is True:
                self._add_reasoning(part.get("text"))
            else:
                self._add_text(part.get("text"))
        if candidate.get("finishReason"):
            # The last chunk says why the model stopped: there is no end marker.
            self._set_finish_reason(candidate["finishReason"])
            self.done = True
