"""Live figures of one stream: timings, counts, rate, provider usage."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["StreamStats"]


class StreamStats:
    """Counts what a stream delivered; ``as_dict()`` is what the widget shows and syncs."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self.ended: float | None = None
        self.first_byte: float | None = None
        self.first_token: float | None = None
        self.tokens = 0
        self.events = 0
        self.bytes = 0
        self.reconnects = 0
        #: Characters of text dropped from the front to keep within ``max_chars``.
        self.chars_dropped = 0
        #: Pieces of reasoning ("thinking") received.
        self.reasoning_tokens = 0
        self.usage: dict[str, Any] | None = None

    def opened(self) -> None:
        if self.first_byte is None:
            self.first_byte = self._clock()

    def event(self, data: str, token: str | None) -> None:
        self.events += 1
        # Data bytes as UTF-8; ASCII (most of it) needs no encoding to count.
        self.bytes += len(data) if data.isascii() else len(data.encode("utf-8", "replace"))
        if token:
            self.tokens += 1
            if self.first_token is None:
                self.first_token = self._clock()

    def end(self) -> None:
        if self.ended is None:
            self.ended = self._clock()

    def as_dict(self) -> dict[str, Any]:
        now = self.ended if self.ended is not None else self._clock()
        elapsed = now - self.started
        streaming = now - self.first_token if self.first_token is not None else 0.0
        return {
            "ttfb_s": _since(self.started, self.first_byte),
            "ttft_s": _since(self.started, self.first_token),
            "tokens": self.tokens,
            "events": self.events,
            "bytes": self.bytes,
            "elapsed_s": round(elapsed, 3),
            # Tokens after the first, over the time since it: the model's speed, not TTFT's.
            "tokens_per_s": round((self.tokens - 1) / streaming, 1) if streaming > 0 else None,
            "reconnects": self.reconnects,
            "chars_dropped": self.chars_dropped,
            "reasoning_tokens": self.reasoning_tokens,
            "usage": self.usage,
        }


def _since(start: float, moment: float | None) -> float | None:
    return None if moment is None else round(moment - start, 3)
