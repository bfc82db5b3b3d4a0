"""The two reconnection policies and their backoff arithmetic.

``"safe"`` (the default) is for requests that cost money or must not be repeated, like an
LLM completion: a clean end of body is the end; after a network failure the stream
reconnects only when it can resume (the server gave event ids, so ``Last-Event-ID`` picks
up where it broke) or when nothing had arrived yet; it never silently repeats a request
after partial output. Overload statuses (429, 503, …) are retried while nothing has been
received. Its numbers are those of the official OpenAI and Anthropic Python SDKs: 2
retries, 0.5 s doubling up to 8 s, and a server's ``Retry-After`` (or ``retry-after-ms``)
honoured up to 60 s — a longer one ends the stream at once with the server's answer. So a
dead or failing server is reported within seconds, not minutes: a server that accepts the
connection and never answers costs at most three times ``timeout`` plus 1.9 s of waits
(32 s with the defaults), a persistent 500 about 2 s. The delays get up to 25 % added at
random (the SDKs take it off instead: adding keeps every delay at or above what the
server asked), and never undercut the server's ``retry:``.

``"eventsource"`` is the browser's EventSource processing model, for live feeds:
reconnect after every end of body and network error, forever, waiting the reconnection
time (``retry:``, else 3 s); a 204 ends the stream; any other status or a wrong
Content-Type fails it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Reconnect", "ReconnectSpec", "resolve_policy"]


@dataclass(frozen=True)
class Reconnect:
    """How a stream reconnects. Pass one as ``reconnect=`` to tune a policy.

    The default follows the OpenAI and Anthropic SDKs (2 retries, 0.5 s to 8 s):

    >>> Reconnect()
    Reconnect(mode='safe', max_attempts=2, initial_delay=0.5, max_delay=8.0, jitter=0.25, \
max_retry_after=60.0)
    >>> Reconnect(max_attempts=5, max_delay=30.0).max_attempts
    5
    """

    #: ``"safe"`` (LLM requests) or ``"eventsource"`` (the browser's model, for live feeds).
    mode: Literal["safe", "eventsource"] = "safe"
    #: Consecutive failed attempts before giving up; ``None`` never gives up. The count
    #: starts again once a connection delivers an event.
    max_attempts: int | None = 2
    #: Seconds before the first attempt when the server sent no ``retry:``.
    initial_delay: float = 0.5
    #: Exponential growth stops here (a server's ``retry:`` may ask for more).
    max_delay: float = 8.0
    #: Up to this fraction of the delay is added at random, so clients spread out.
    jitter: float = 0.25
    #: The longest ``Retry-After`` honoured, in seconds; a server asking for longer gets
    #: its answer raised at once rather than a notebook that waits in silence.
    max_retry_after: float = 60.0
    #: Statuses the ``"safe"`` policy retries while no event has arrived (or it can resume).
    retry_statuses: frozenset[int] = field(
        default=frozenset({408, 429, 500, 502, 503, 504, 529}), repr=False
    )

    def __post_init__(self) -> None:
        if self.mode not in ("safe", "eventsource"):
            raise ValueError(f"mode must be 'safe' or 'eventsource', not {self.mode!r}")
        if self.max_attempts is not None and self.max_attempts < 0:
            raise ValueError(f"max_attempts must be >= 0 or None, not {self.max_attempts}")
        for name in ("initial_delay", "max_delay", "jitter", "max_retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, not {getattr(self, name)}")

    @classmethod
    def eventsource(cls, *, initial_delay: float = 3.0) -> Reconnect:
        """The browser's EventSource model: constant reconnection time, no cap, no jitter."""
        return cls(mode="eventsource", max_attempts=None, initial_delay=initial_delay, jitter=0.0)

    def delay(self, attempt: int, *, server_retry: float | None, at_least: float = 0.0) -> float:
        """Seconds to wait before reconnection ``attempt`` (1-based).

        ``server_retry`` is the reconnection time the stream sent (``retry:``, in seconds);
        ``at_least`` a floor such as a ``Retry-After`` header, capped at
        ``max_retry_after``.
        """
        base: float = self.initial_delay if server_retry is None else server_retry
        if self.mode == "eventsource":
            return base
        grown = min(self.max_delay, base * 2.0 ** (attempt - 1))
        # Never sooner than the server asked, whether by retry: or Retry-After.
        floor = max(server_retry or 0.0, min(at_least, self.max_retry_after))
        wait = max(grown, floor)
        return wait * (1.0 + self.jitter * random.random())


#: What ``reconnect=`` accepts.
ReconnectSpec = bool | Literal["safe", "eventsource"] | Reconnect | None


def resolve_policy(reconnect: ReconnectSpec) -> Reconnect | None:
    """The policy a ``reconnect=`` argument names; ``None`` means never reconnect."""
    if reconnect is None or reconnect is False:
        return None
    if reconnect is True or reconnect == "safe":
        return Reconnect()
    if reconnect == "eventsource":
        return Reconnect.eventsource()
    if isinstance(reconnect, Reconnect):
        return reconnect
    raise ValueError(
        "reconnect must be True, False, 'safe', 'eventsource' or a Reconnect(...), "
        f"not {reconnect!r}"
    )
