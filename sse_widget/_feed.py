"""One run's events, read into what the widget keeps and sends: the answer, reasoning,
tool calls, finish reason, event rows and the live figures.

The data flow's middle (see ARCHITECTURE.md): an ``Event`` from the stream goes to the
format's extractor, whose parts go to the ``DeltaChannel`` (answer text, reasoning, tool
updates, the finish reason) and whose counts go to ``StreamStats``. Runs on the streams
thread; a restart makes a new feed.
"""

from __future__ import annotations

import time
from typing import Any

from ._coalesce import DeltaChannel
from ._formats import FormatSpec, ReasoningPart, TextPart, get_extractor
from ._models import Event
from ._stats import StreamStats

__all__ = ["ROW_DATA_CHARS", "StreamFeed"]

#: Characters of an event's data shown in a row of the events view.
ROW_DATA_CHARS = 2000


class StreamFeed:
    """Reads one run's events into ``channel`` and ``stats``."""

    def __init__(
        self, format: FormatSpec, channel: DeltaChannel, stats: StreamStats, *, keep_rows: bool
    ) -> None:
        self.extractor = get_extractor(format)
        # Reasoning is bounded like the answer.
        self.extractor.max_reasoning_chars = channel.max_chars
        self._channel = channel
        self._stats = stats
        self._keep_rows = keep_rows
        self._finish_reason: str | None = None
        self._reasoning_dropped = 0

    def event(self, event: Event) -> None:
        """Read one event. Raises what the extractor raises (``ServerEventError``...)."""
        channel, stats, extractor = self._channel, self._stats, self.extractor
        text = ""
        for part in extractor.parts(event):
            if isinstance(part, TextPart):
                text += part.text
            elif isinstance(part, ReasoningPart):
                channel.append_reasoning(part.text)
                stats.reasoning_tokens += 1
            else:
                channel.update_tool(
                    part.index, id=part.id, name=part.name, args=part.arguments, done=part.done
                )
        stats.event(event.data, text)
        row = None
        if self._keep_rows:
            row = {
                "t": round((time.monotonic() - stats.started) * 1000),
                "event": event.event,
                "id": event.id,
                "data": event.data[:ROW_DATA_CHARS],
            }
        if extractor._reasoning_dropped_units != self._reasoning_dropped:
            self._reasoning_dropped = extractor._reasoning_dropped_units
            channel.set_reasoning_dropped(self._reasoning_dropped)
        channel.append(text, row)
        if extractor.usage is not stats.usage:
            stats.usage = extractor.usage
        if extractor.finish_reason != self._finish_reason:
            self._finish_reason = extractor.finish_reason
            if self._finish_reason is not None:
                channel.set_finish(self._finish_reason)

    def extras(self) -> dict[str, Any]:
        """What a snapshot carries besides the text: reasoning, tool calls, finish."""
        extractor = self.extractor
        extras: dict[str, Any] = {}
        reasoning = extractor.reasoning
        if reasoning:
            extras["reasoning"] = reasoning
        if extractor._reasoning_dropped_units:
            extras["reasoning_dropped"] = extractor._reasoning_dropped_units
        calls = list(extractor.tool_calls)
        if calls:
            extras["tools"] = [
                {
                    "i": i,
                    "id": call.id,
                    "name": call.name,
                    "args": call.arguments,
                    "done": call.done,
                }
                for i, call in enumerate(calls)
            ]
        if extractor.finish_reason is not None:
            extras["finish"] = extractor.finish_reason
        return extras
