"""Text appended in the kernel, sent to the front end as numbered, coalesced deltas.

Jupyter drops widget messages above about 1000 per second and IOPub drops silently past
1000 queued messages, so one message per token loses text. ``DeltaChannel`` keeps the
text in the kernel and sends only what was appended since the last send, once per turn
its ``Outbox`` gets from the kernel's ``MessageBudget`` (``_budget.py``: at most 60 a
second for one widget, fewer when many share the kernel's 200), whatever the token rate.
Each delta carries the generation (a restart starts a new one) and a sequence number
starting at 1, so a view that missed one (or appeared late, or was reloaded) sees the gap
and asks for a snapshot, which is sent in parts of at most ``SNAPSHOT_PART_CHARS`` so that
no single message makes the browser parse a whole long document at once.

The text kept is bounded by ``max_chars``: past it the oldest text goes, at a line break
where one is near, in steps of about a sixteenth of the limit (so trimming costs little
per character). ``dropped`` counts what went in UTF-16 code units, the unit of the
view's strings, so the view drops exactly the same.

The wire format (``msg:custom`` content), kernel to front end::

    {"kind": "delta", "gen": g, "seq": n, "text": appended, "dropped": d?, "rows": [...]?,
     "stats": {...}?, "reasoning": appended?, "tools": [update, ...]?, "finish": reason?}
    {"kind": "snapshot", "gen": g, "seq": n, "part": i, "parts": k, "text": piece,
     "dropped": d?, "rows": [...]?, "stats": {...}?, "reasoning": all?, "tools": [...]?,
     "finish": reason?}

A model's reasoning and tool calls travel beside the answer: ``reasoning`` is reasoning
text to append (in a snapshot, its parts append to the reasoning as the text's do);
``reasoning_dropped`` counts the UTF-16 units of reasoning dropped from its front so far
(it is bounded by ``max_chars`` too); each tool update is ``{"i": index, "id"?, "name"?,
"args"?: text to append, "done"?: true}`` (a new index starts a call); ``finish`` is the
provider's finish reason once known. A snapshot's part 0 carries them whole (``tools`` as
``{"i", "id", "name", "args", "done"}`` each), from the widget's extractor.

A delta means: append ``text``, then drop from the front of the text until ``dropped``
units (the generation's total so far; sent once any were) are gone. A snapshot's parts
are the kept text; ``dropped`` rides on part 0. ``rows`` (event rows for the events view)
are sent only when the channel keeps rows. ``stats`` rides along when ``set_stats`` gave
new figures since the last message, so the live figures cost no messages of their own
while text flows.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from ._budget import MessageBudget

__all__ = ["SNAPSHOT_PART_CHARS", "DeltaChannel", "text_parts", "utf16_length"]

#: The largest piece of text in one snapshot message.
SNAPSHOT_PART_CHARS = 65536
#: Trimming frees this fraction of ``max_chars`` at once (and looks this far for a line
#: break), so it runs once per that much text, not once per token.
TRIM_FRACTION = 16

Message = dict[str, Any]


def text_parts(text: str, size: int) -> list[str]:
    """``text`` in pieces of at most ``size`` characters, for messages in parts (one
    empty piece for no text).

    >>> text_parts("abcde", 2)
    ['ab', 'cd', 'e']
    """
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def utf16_length(text: str) -> int:
    """The length of ``text`` in a browser's string units (astral characters count 2).

    >>> utf16_length("a\u00e9\U0001f600")
    4
    """
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


class DeltaChannel:
    """The kernel's copy of the text, and the stream of deltas to the views."""

    def __init__(
        self,
        send: Callable[[Message], None],
        budget: MessageBudget,
        *,
        keep_rows: int = 0,
        max_chars: int | None = None,
    ) -> None:
        self._send = send
        self.outbox = budget.outbox(self._take, self._deliver)
        self.generation = 0
        #: The number of the last delta sent in this generation (0: none yet).
        self.seq = 0
        self.max_chars = max_chars
        # append() runs on the streams thread while `text` may be read from the kernel's.
        self._lock = threading.Lock()
        self._chunks: list[str] = []
        self._length = 0
        self._pending: list[str] = []
        #: What went from the front of this generation's text: characters, UTF-16 units.
        self.dropped_chars = 0
        self.dropped_units = 0
        self._keep_rows = keep_rows
        self._rows: deque[Message] = deque(maxlen=keep_rows or None)
        self._pending_rows: list[Message] = []
        #: How many snapshots were asked for and sent (over all generations).
        self.snapshots_sent = 0
        self._stats: Message | None = None
        self._stats_pending = False
        self._force = False
        self._pending_reasoning: list[str] = []
        #: Tool updates not sent yet, by call index (pieces of one call merge).
        self._pending_tools: dict[int, Message] = {}
        self._pending_finish: str | None = None
        self._reasoning_dropped: int | None = None
        #: What a snapshot carries besides the text (reasoning, tools, finish).
        self.extras: Callable[[], Message] = dict

    @property
    def text(self) -> str:
        """The text kept of this generation (all of it, under ``max_chars``)."""
        with self._lock:
            if len(self._chunks) > 1:
                self._chunks = ["".join(self._chunks)]
            return self._chunks[0] if self._chunks else ""

    def __len__(self) -> int:
        return self._length

    @property
    def rows(self) -> list[Message]:
        return list(self._rows)

    def reset(self, generation: int) -> None:
        """Start a new generation: empty text, sequence back to 0."""
        self.generation = generation
        self.seq = 0
        self._stats, self._stats_pending, self._force = None, False, False
        with self._lock:
            self._chunks, self._pending = [], []
            self._length = 0
            self.dropped_chars = self.dropped_units = 0
        self._rows.clear()
        self._pending_rows = []
        self._pending_reasoning, self._pending_tools, self._pending_finish = [], {}, None
        self._reasoning_dropped = None

    def set_reasoning_dropped(self, units: int) -> None:
        """The UTF-16 units of reasoning dropped so far; the next delta says so."""
        self._reasoning_dropped = units
        self.outbox.want_delta()

    def append_reasoning(self, text: str) -> None:
        """Add reasoning text; it goes out with the next delta."""
        if text:
            self._pending_reasoning.append(text)
            self.outbox.want_delta()

    def update_tool(
        self, index: int, *, id: str | None, name: str | None, args: str, done: bool
    ) -> None:
        """A piece of tool call ``index``; it goes out with the next delta."""
        update = self._pending_tools.get(index)
        if update is None:
            update = self._pending_tools[index] = {"i": index}
        if id is not None:
            update["id"] = id
        if name is not None:
            update["name"] = name
        if args:
            update["args"] = update.get("args", "") + args
        if done:
            update["done"] = True
        self.outbox.want_delta()

    def set_finish(self, reason: str) -> None:
        """The provider's finish reason; it goes out with the next delta."""
        self._pending_finish = reason
        self.outbox.want_delta()

    def append(self, text: str, row: Message | None = None) -> None:
        """Add text (and an event row); a delta goes out on the outbox's next turn."""
        if text:
            with self._lock:
                self._chunks.append(text)
                self._length += len(text)
                if self.max_chars is not None and self._length > self.max_chars:
                    self._trim(self.max_chars)
            self._pending.append(text)
        if row is not None and self._keep_rows:
            self._rows.append(row)
            self._pending_rows.append(row)
        if text or row is not None:
            self.outbox.want_delta()

    def _trim(self, limit: int) -> None:
        """Drop the oldest text so that at most ``limit`` characters stay (lock held)."""
        text = "".join(self._chunks)
        slack = max(1, limit // TRIM_FRACTION)
        least = len(text) - limit  # must go
        # Cut after a line break if one is near, so the kept text starts with a line.
        newline = text.rfind("\n", least, least + slack)
        cut = newline + 1 if newline >= 0 else min(len(text), least + slack)
        self.dropped_chars += cut
        self.dropped_units += utf16_length(text[:cut])
        kept = text[cut:]
        self._chunks = [kept] if kept else []
        self._length = len(kept)

    def set_stats(self, stats: Message) -> None:
        """New live figures: they go out with the next delta."""
        self._stats = stats
        self._stats_pending = True

    def send_stats(self) -> None:
        """Send the figures now (in a delta with no text if none flows)."""
        if self._stats_pending:
            self._force = True
            self.outbox.want_delta()

    def _take(self) -> Message | None:
        """The delta of everything pending now (the outbox's turn came), or None."""
        force, self._force = self._force, False
        beside = (
            self._pending_reasoning
            or self._pending_tools
            or self._pending_finish
            or self._reasoning_dropped is not None
        )
        if not (self._pending or self._pending_rows or beside or (force and self._stats_pending)):
            return None
        self.seq += 1
        message: Message = {
            "kind": "delta",
            "gen": self.generation,
            "seq": self.seq,
            "text": "".join(self._pending),
        }
        if self.dropped_units:
            message["dropped"] = self.dropped_units
        if self._keep_rows:
            message["rows"] = self._pending_rows
        if self._stats_pending:
            message["stats"] = self._stats
            self._stats_pending = False
        if beside:
            if self._pending_reasoning:
                message["reasoning"] = "".join(self._pending_reasoning)
            if self._pending_tools:
                message["tools"] = list(self._pending_tools.values())
            if self._pending_finish is not None:
                message["finish"] = self._pending_finish
            if self._reasoning_dropped is not None:
                message["reasoning_dropped"] = self._reasoning_dropped
            self._pending_reasoning, self._pending_tools, self._pending_finish = [], {}, None
            self._reasoning_dropped = None
        self._pending, self._pending_rows = [], []
        return message

    def _deliver(self, message: Message) -> None:
        self._send(message)  # looked up at each send, so that a benchmark can wrap it

    def send_snapshot(self) -> None:
        """Queue the whole state up to now, in parts, after whatever is pending."""
        for message in self.snapshot():
            self.outbox.put(functools.partial(self._deliver, message))

    def snapshot(self) -> list[Message]:
        """The kept state up to the current ``seq``, in parts; pending text is sealed into
        a delta first."""
        self.outbox.seal()
        extras = self.extras()
        pieces = text_parts(self.text, SNAPSHOT_PART_CHARS)
        reasoning = extras.pop("reasoning", "")
        # Long reasoning is sent in parts too, beside the text's (appended in order).
        thoughts = text_parts(reasoning, SNAPSHOT_PART_CHARS) if reasoning else []
        count = max(len(pieces), len(thoughts))
        messages: list[Message] = []
        for index in range(count):
            message: Message = {
                "kind": "snapshot",
                "gen": self.generation,
                "seq": self.seq,
                "part": index,
                "parts": count,
                "text": pieces[index] if index < len(pieces) else "",
            }
            if index < len(thoughts):
                message["reasoning"] = thoughts[index]
            messages.append(message)
        if self.dropped_units:
            messages[0]["dropped"] = self.dropped_units
        if self._keep_rows:
            messages[0]["rows"] = list(self._rows)
        if self._stats is not None:
            messages[0]["stats"] = self._stats
        messages[0].update(extras)
        self.snapshots_sent += 1
        return messages
