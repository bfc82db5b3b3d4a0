"""The values a stream produces: dispatched events and reconnection attempts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx_sse

if TYPE_CHECKING:
    from ._exceptions import StreamError

__all__ = ["Event", "ReconnectAttempt"]


class Event(httpx_sse.ServerSentEvent):
    """One dispatched Server-Sent Event.

    An ``httpx_sse.ServerSentEvent``, so code written for httpx-sse accepts it, with the
    attributes meaning what the WHATWG rules say:

    - ``event``: the event type, ``"message"`` when the block named none;
    - ``data``: the data lines of the block joined by ``"\\n"``;
    - ``id``: the *last event id* after this event (the browser's ``lastEventId``). It
      persists: an event whose block had no ``id`` line carries the previous id;
    - ``retry``: the reconnection time in milliseconds given by a valid ``retry`` line of
      this block, else ``None``;
    - ``json()``: ``data`` parsed as JSON.

    >>> Event(data="hello", id="7")
    Event(event='message', data='hello', id='7')
    """

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, httpx_sse.ServerSentEvent):
            return NotImplemented
        return (self.event, self.data, self.id, self.retry) == (
            other.event,
            other.data,
            other.id,
            other.retry,
        )

    def __hash__(self) -> int:
        return hash((self.event, self.data, self.id, self.retry))

    def __repr__(self) -> str:
        return "Event" + super().__repr__().removeprefix("ServerSentEvent")


@dataclass(frozen=True)
class ReconnectAttempt:
    """What a stream is about to do after a failure or an end of body: reconnect.

    Given to the ``on_reconnect`` hook before the wait, so a view can show
    "reconnecting 2/5 in 1.3 s".
    """

    #: 1 for the first reconnection after a success, counting up while attempts fail.
    attempt: int
    #: The cap on consecutive attempts, or ``None`` when unlimited (``"eventsource"``).
    max_attempts: int | None
    #: Seconds the stream waits before the request.
    delay: float
    #: The failure that caused it, or ``None`` after a clean end of body (``"eventsource"``).
    error: StreamError | None
    #: The ``Last-Event-ID`` the request sends ("" for none).
    last_event_id: str
