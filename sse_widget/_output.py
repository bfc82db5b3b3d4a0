"""What a widget leaves in the notebook: its displays, and the answer saved in them.

A widget's view lives in widget state, which GitHub, nbconvert and nbval do not read. So
when a stream ends, every display of the widget is updated with the answer as
``text/plain`` (and ``text/markdown`` for a markdown answer that is not too long), and a
saved notebook shows it. The update is a message like any other: it waits its turn in
the widget's outbox (``_budget.py``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from ._budget import Outbox
from ._formats import ToolCall

__all__ = ["FINAL_MARKDOWN_CHARS", "Displays", "saved_answer"]

logger = logging.getLogger("sse_widget")

#: A markdown answer longer than this is saved once, as its source in text/plain, not as
#: text/markdown: JupyterLab reads every text/markdown output for the notebook's table of
#: contents and lists its headings there, which for a 1 MB answer blocked the page for
#: 0.1 s and then 0.4-0.5 s (640 entries) just as the stream ended.
FINAL_MARKDOWN_CHARS = 65536

Bundle = tuple[dict[str, Any], dict[str, Any]]


def saved_answer(
    bundle: Bundle,
    *,
    text: str,
    render: str,
    fallback: str,
    reasoning: str = "",
    tool_calls: Sequence[ToolCall] = (),
    finish_reason: str | None = None,
) -> Bundle:
    """``bundle`` (the widget view's) with the answer added for the saved notebook: the
    reasoning first, as a quote; the answer; each tool call as fenced JSON; a finish
    reason that cut the answer. A stream with none of these saves its text alone."""
    data, metadata = bundle
    plain, markdown = [], []
    if reasoning:
        plain.append(f"Thinking:\n{reasoning}")
        quoted = "\n".join(f"> {line}" if line else ">" for line in reasoning.split("\n"))
        markdown.append(f"> **Thinking**\n>\n{quoted}")
    if text:
        plain.append(text)
        markdown.append(text)
    for call in tool_calls:
        arguments = _arguments(call)
        title = f"Tool call {call.name or '(unnamed)'}" + (f" ({call.id})" if call.id else "")
        plain.append(f"{title}:\n{arguments}")
        fence = "`" * max(3, _longest_backtick_run(arguments) + 1)
        markdown.append(f"**{title}**\n\n{fence}json\n{arguments}\n{fence}")
    if finish_reason is not None and finish_reason.lower() in CUT_REASONS:
        note = f"Finish reason: {finish_reason} (the answer was cut at the token limit)"
        plain.append(note)
        markdown.append(f"*{note}*")
    data["text/plain"] = "\n\n".join(plain) or fallback
    saved = "\n\n".join(markdown)
    if render == "markdown" and saved and len(saved) <= FINAL_MARKDOWN_CHARS:
        data["text/markdown"] = saved
    return data, metadata


#: Finish reasons that mean the answer was cut at the token limit, per provider.
CUT_REASONS = frozenset({"length", "max_tokens", "max_output_tokens"})


def _arguments(call: ToolCall) -> str:
    """A tool call's arguments as indented JSON, or as received if they do not parse."""
    try:
        return json.dumps(call.json(), indent=2, ensure_ascii=False)
    except ValueError:
        return f"{call.arguments}\n(not valid JSON)"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


class Displays:
    """The places a widget was displayed (IPython display handles)."""

    def __init__(self) -> None:
        self._handles: list[Any] = []

    def show(self, bundle: Bundle) -> None:
        from IPython.display import display

        data, metadata = bundle
        handle = display(data, metadata=metadata, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        if handle is not None:
            self.add(handle)

    def add(self, handle: Any) -> None:
        """Keep ``handle`` (anything with IPython's ``DisplayHandle.update``)."""
        self._handles.append(handle)

    def update(self, bundle: Bundle, outbox: Outbox) -> None:
        """Queue the update of every display with ``bundle`` (built by the caller now, so
        the update shows the end even if the widget is closed before its turn)."""
        if not self._handles:
            return
        handles = list(self._handles)
        data, metadata = bundle

        def update() -> None:
            for handle in handles:
                try:
                    handle.update(data, metadata=metadata, raw=True)
                except Exception:  # a closed kernel connection must not break the end
                    logger.debug("could not update a display", exc_info=True)

        outbox.put(update)
