"""The two reconnection policies and their backoff arithmetic.

``"safe"`` (the default) is for requests that cost money or must not be repeated, like an
LLM completion: a clean end of body is the end; after a network failure the stream
reconnects only when it can resume (the server gave event ids, so ``Last-Event-ID`` picks
up where it broke) or when nothing had arrived yet; it never silently repeats a request
after partial output. Overload statuses (429, 503, …) are retried while nothing has been
received, honouring ``Retry-After``. Delays grow exponentially with jitter and never
undercut the server's ``retry:``; attempts are capped.

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

    >>> Reconnect(max_attempts=3, initial_delay=0.5)
    Reconnect(mode='safe', max_attempts=3, initial_delay=0.5, max_delay=30.0, jitter=0.25)
    """

    #: ``"safe"`` (LLM requests) or ``"eventsource"`` (the browser's model, for live feeds).
    mode: Literal["safe", "eventsource"] = "safe"
    #: Consecutive failed attempts before giving up; ``None`` never gives up. The count
    #: starts again once a connection delivers an event.
    max_attempts: int | None = 5
    #: Seconds before the first attempt when the server sent no ``retry:``.
    initial_delay: float = 1.0
    #: Exponential growth stops here (a server's ``retry:`` may ask for more).
    max_delay: float = 30.0
    #: Up to this fraction of the delay is added at random, so clients spread out.
    jitter: float = 0.25
    #: Statuses the ``"safe"`` policy retries while no event has arrived (or it can resume).
    retry_statuses: frozenset[int] = field(
        default=frozenset({408, 429, 500, 502, 503, 504, 529}), repr=False
    )

    def __post_init__(self) -> None:
        if self.mode not in ("safe", "eventsource"):
            raise ValueError(f"mode must be 'safe' or 'eventsource', not {self.mode!r}")
        if self.max_attempts is not None and self.max_attempts < 0:
            raise ValueError(f"max_attempts must be >= 0 or None, not {self.max_attempts}")
        for name in ("initial_delay", "max_delay", "jitter"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, not {getattr(self, name)}")

    @classmethod
    def eventsource(cls, *, initial_delay: float = 3.0) -> Reconnect:
        """The browser's EventSource model: constant reconnection time, no cap, no jitter."""
        return cls(mode="eventsource", max_attempts=None, initial_delay=initial_delay, jitter=0.0)

    def delay(self, attempt: int, *, server_retry: float | None, at_least: float = 0.0) -> float:
        """Seconds to wait before reconnection ``attempt`` (1-based).

        ``server_retry`` is the reconnection time the stream sent (``retry:``, in seconds);
        ``at_least`` a floor such as a ``Retry-After`` header, capped at ``max_delay``.
        """
        base: float = self.initial_delay if server_retry is None else server_retry
        if self.mode == "eventsource":
            return base
        grown = min(self.max_delay, base * 2.0 ** (attempt - 1))
        # Never sooner than the server asked, whether by retry: or Retry-After.
        floor = max(server_retry or 0.0, min(at_least, self.max_delay))
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
