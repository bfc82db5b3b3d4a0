"""Text appended in the kernel, sent to the front end as numbered, coalesced deltas.

Jupyter drops widget messages above about 1000 per second and IOPub drops silently past
1000 queued messages, so one message per token loses text. ``DeltaChannel`` keeps the
whole text in the kernel and sends only what was appended since the last send, at most
once per ``interval`` (28 per second by default), whatever the token rate. Each delta
carries the generation (a restart starts a new one) and a sequence number starting at 1,
so a view that missed one (or appeared late, or was reloaded) sees the gap and asks for a
snapshot, which is sent in parts of at most ``SNAPSHOT_PART_CHARS`` so that no single
message makes the browser parse a whole long document at once.

The wire format (``msg:custom`` content), kernel to front end::

    {"kind": "delta", "gen": g, "seq": n, "text": appended, "rows": [...]?, "stats": {...}?}
    {"kind": "snapshot", "gen": g, "seq": n, "part": i, "parts": k, "text": piece,
     "rows": [...]?, "stats": {...}?}

``rows`` (event rows for the events view) are sent only when the channel keeps rows.
``stats`` rides along when ``set_stats`` gave new figures since the last message, so
the live figures cost no messages of their own while text flows.
The class is sans-I/O: it is given ``send``, ``schedule`` and ``clock`` functions.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["SNAPSHOT_PART_CHARS", "DeltaChannel", "ReadPacer"]

#: Seconds between deltas at most. 28 a second leaves room in a budget of 30 messages a
#: second for the rare status changes, and keeps a token's wait in the kernel under 36 ms.
DELTA_INTERVAL = 1 / 28
#: The largest piece of text in one snapshot message.
SNAPSHOT_PART_CHARS = 65536

Message = dict[str, Any]
Schedule = Callable[[float, Callable[[], None]], object]


class DeltaChannel:
    """The kernel's copy of the text, and the rate-limited stream of deltas to views."""

    def __init__(
        self,
        send: Callable[[Message], None],
        schedule: Schedule,
        *,
        interval: float = DELTA_INTERVAL,
        keep_rows: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._schedule = schedule
        self._clock = clock
        self.interval = interval
        self.generation = 0
        #: The number of the last delta sent in this generation (0: none yet).
        self.seq = 0
        # append() runs on the streams thread while `text` may be read from the kernel's.
        self._lock = threading.Lock()
        self._chunks: list[str] = []
        self._length = 0
        self._pending: list[str] = []
        self._keep_rows = keep_rows
        self._rows: deque[Message] = deque(maxlen=keep_rows or None)
        self._pending_rows: list[Message] = []
        #: When the scheduled delta goes out (clock time), or None when none is scheduled.
        self._due: float | None = None
        self._last_send = float("-inf")
        #: How many snapshots were asked for and sent (over all generations).
        self.snapshots_sent = 0
        self._stats: Message | None = None
        self._stats_pending = False

    @property
    def text(self) -> str:
        """All text appended in this generation."""
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
        self._stats, self._stats_pending = None, False
        with self._lock:
            self._chunks, self._pending = [], []
            self._length = 0
        self._rows.clear()
        self._pending_rows = []

    def append(self, text: str, row: Message | None = None) -> None:
        """Add text (and an event row); a delta goes out within ``interval``."""
        if text:
            with self._lock:
                self._chunks.append(text)
                self._length += len(text)
            self._pending.append(text)
        if row is not None and self._keep_rows:
            self._rows.append(row)
            self._pending_rows.append(row)
        if (text or row is not None) and self._due is None:
            now = self._clock()
            wait = max(0.0, self._last_send + self.interval - now)
            self._due = now + wait
            self._schedule(wait, self._on_timer)

    def set_stats(self, stats: Message) -> None:
        """New live figures: they go out with the next delta (see ``flush``)."""
        self._stats = stats
        self._stats_pending = True

    @property
    def next_send_in(self) -> float:
        """Seconds until the scheduled delta goes out; 0 when none is scheduled."""
        return 0.0 if self._due is None else max(0.0, self._due - self._clock())

    @property
    def idle_for(self) -> float:
        """Seconds since the last delta went out."""
        return self._clock() - self._last_send

    def flush(self, *, force: bool = False) -> bool:
        """Send what is pending now, if anything; True if a delta went out.

        ``force`` sends a delta even with no text, to carry new figures.
        """
        if not (self._pending or self._pending_rows or (force and self._stats_pending)):
            return False
        self.seq += 1
        message: Message = {
            "kind": "delta",
            "gen": self.generation,
            "seq": self.seq,
            "text": "".join(self._pending),
        }
        if self._keep_rows:
            message["rows"] = self._pending_rows
        if self._stats_pending:
            message["stats"] = self._stats
            self._stats_pending = False
        self._pending, self._pending_rows = [], []
        self._last_send = self._clock()
        self._send(message)
        return True

    def snapshot(self) -> list[Message]:
        """The whole state up to the current ``seq``, in parts; pending text is flushed first."""
        self.flush()
        text = self.text
        pieces = [
            text[start : start + SNAPSHOT_PART_CHARS]
            for start in range(0, len(text), SNAPSHOT_PART_CHARS)
        ] or [""]
        messages: list[Message] = [
            {
                "kind": "snapshot",
                "gen": self.generation,
                "seq": self.seq,
                "part": index,
                "parts": len(pieces),
                "text": piece,
            }
            for index, piece in enumerate(pieces)
        ]
        if self._keep_rows:
            messages[0]["rows"] = list(self._rows)
        if self._stats is not None:
            messages[0]["stats"] = self._stats
        self.snapshots_sent += 1
        return messages

    def _on_timer(self) -> None:
        self._due = None
        self.flush()


class ReadPacer:
    """When a stream feeding a ``DeltaChannel`` should pause before reading again.

    Text read while a delta is due waits for that delta anyway. For a slow stream (a
    model's 100 tokens a second come one small chunk each, and each read costs far more
    than its token) reading once, just before the delta goes out, saves most reads at no
    cost in latency. Once per delta: after the pause the stream reads on freely until the
    delta has gone. A fast stream is never paused: when the last delta's worth of reading
    came to ``below_bytes`` or more, pausing would only fill the socket's buffer and hold
    the sender back.
    """

    def __init__(
        self,
        channel: DeltaChannel,
        *,
        below_bytes: int = 16384,
        read_ahead: float = 0.002,
    ) -> None:
        self._channel = channel
        self.below_bytes = below_bytes
        #: Seconds before the delta goes out that the stream reads again.
        self.read_ahead = read_ahead
        self._at: tuple[int, int] = (-1, -1)  # (generation, seq) the counts are for
        self._bytes = 0
        self._last_bytes = 0
        self._paused = False

    def pause_for(self, chunk_bytes: int) -> float:
        """After a chunk of ``chunk_bytes`` was read: seconds to wait before the next read."""
        channel = self._channel
        at = (channel.generation, channel.seq)
        if at != self._at:  # a delta went out: a new period of reading
            fresh = at[0] != self._at[0]
            self._at, self._last_bytes = at, 0 if fresh else self._bytes
            self._bytes, self._paused = 0, False
        self._bytes += chunk_bytes
        if self._paused or max(self._bytes, self._last_bytes) >= self.below_bytes:
            return 0.0
        wait = channel.next_send_in - self.read_ahead
        if wait <= 0:
            return 0.0
        self._paused = True
        return wait
