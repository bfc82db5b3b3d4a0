"""One message budget for the whole kernel, shared fairly by every widget.

Jupyter's server drops a kernel's output above about 1000 messages a second (its
``iopub_msg_rate_limit``, over a 3 s window), and the kernel's IOPub socket drops
silently past 1000 queued messages. The limit is per kernel, not per widget: fifty
widgets at 28 messages a second each lost a third of their deltas, state updates and
final answers. So every message a widget sends (state updates, deltas, snapshots, the
final display update) goes through its ``Outbox``, and one ``MessageBudget`` hands out
turns:

- at most ``rate`` messages a second from all outboxes together (200 by default), and at
  most ``per_sender_rate`` from one (60: a frame's worth), each a token bucket that holds
  a burst of ``burst`` (so over any second at most ``rate + burst``);
- turns go round the outboxes that are waiting, in order: every active widget keeps
  getting turns and none starves, however many there are;
- nothing is dropped. Messages wait their turn, in order; text waits in the widget's
  ``DeltaChannel``, so under contention deltas simply grow and come less often (fifty
  widgets get four each a second, each carrying a quarter second of text).

A delta is built when its turn comes, not when its text arrives: whatever arrived by
then goes in one message. A message that must keep its place after text (a state change
after the last tokens) first seals the pending text into a delta of its own.

The classes are sans-I/O: they are given ``schedule`` and ``clock`` functions, and run on
the streams thread (``_loop.py``), where every send happens.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

__all__ = ["KERNEL_RATE", "PER_WIDGET_RATE", "MessageBudget", "Outbox"]

#: Messages a second from all widgets of a kernel together: a fifth of what Jupyter's
#: server lets through, leaving room for the notebook's own output.
KERNEL_RATE = 200.0
#: Messages a second from one widget: a browser draws 60 frames a second, so more
#: would not be seen sooner.
PER_WIDGET_RATE = 60.0
#: Messages either bucket lets out at once before the rate applies.
BURST = 4

Action = Callable[[], None]
Schedule = Callable[[float, Action], Any]


class _Bucket:
    """A token bucket: ``rate`` tokens a second, holding at most ``capacity``."""

    __slots__ = ("_level", "_stamp", "capacity", "rate")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self._level = capacity
        self._stamp = now

    def _refill(self, now: float) -> None:
        self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
        self._stamp = now

    def ready_in(self, now: float) -> float:
        """Seconds until a token is there (0 if one is)."""
        self._refill(now)
        # Within rounding of a whole token is a token: a wait too small to move the
        # clock would plan the same pump forever.
        missing = 1 - self._level
        return 0.0 if missing <= 1e-9 else max(missing / self.rate, 1e-4)

    def take(self, now: float) -> None:
        self._refill(now)
        self._level -= 1


class Outbox:
    """One widget's messages, in order, waiting for turns from the kernel's budget.

    ``put(action)`` queues a concrete send (a state update, a snapshot part, the display
    update). ``want_delta()`` says the widget's channel has something to send; on its
    turn ``take_delta()`` builds the delta from everything pending by then (``None`` if
    there is nothing after all) and ``send_delta(message)`` sends it.
    """

    def __init__(
        self,
        budget: MessageBudget,
        take_delta: Callable[[], dict[str, Any] | None],
        send_delta: Callable[[dict[str, Any]], None],
    ) -> None:
        self._budget = budget
        self._take_delta = take_delta
        self._send_delta = send_delta
        # (action, whether it is a message: only messages count in the budget)
        self._queue: deque[tuple[Action, bool]] = deque()
        self._delta_wanted = False
        self.bucket = _Bucket(budget.per_sender_rate, budget.burst, budget.clock())
        self.closed = False
        #: Messages this outbox has sent.
        self.sent = 0

    @property
    def waiting(self) -> bool:
        return bool(self._queue) or self._delta_wanted

    def put(self, action: Action) -> None:
        """Queue a send that must go out, in order, after everything queued before it."""
        if self.closed:
            return
        self.seal()
        self._queue.append((action, True))
        self._budget.wake(self)

    def then(self, action: Action) -> None:
        """Run ``action`` (not a message: it costs no turn) once everything queued before
        it has been sent; at once if nothing is, or if the outbox is closed."""
        if self.closed or not self.waiting:
            action()
            return
        self.seal()
        self._queue.append((action, False))

    def want_delta(self) -> None:
        """The channel has text (or figures) to send: a delta goes out on the next turn."""
        if self.closed or self._delta_wanted:
            return
        self._delta_wanted = True
        self._budget.wake(self)

    def drain(self) -> None:
        """Send everything queued now, outside the budget (the widget is closing: what
        it says last must not wait for turns it will not get)."""
        while self.turn():
            pass

    def close(self) -> None:
        """Drop everything queued: the widget is gone, and so are its views."""
        self.closed = True
        local = [action for action, message in self._queue if not message]
        self._queue.clear()
        self._delta_wanted = False
        self._budget.forget(self)
        for action in local:
            action()

    def seal(self) -> None:
        # Text that arrived before a queued send must reach the view before it.
        if not self._delta_wanted:
            return
        self._delta_wanted = False
        message = self._take_delta()
        if message is not None:
            send = self._send_delta
            self._queue.append((lambda: send(message), True))

    def turn(self) -> bool:
        """Send one message; True if one was sent (a wanted delta may turn out empty).
        What waits behind it without being a message runs at once."""
        sent = self._send_one()
        while self._queue and not self._queue[0][1]:
            self._queue.popleft()[0]()
        return sent

    def _send_one(self) -> bool:
        if self._queue:
            action, _ = self._queue.popleft()
        elif self._delta_wanted:
            self._delta_wanted = False
            message = self._take_delta()
            if message is None:
                return False
            send = self._send_delta

            def action() -> None:
                send(message)
        else:
            return False
        self.sent += 1
        action()
        return True


class MessageBudget:
    """Turns for every widget's outbox: ``rate`` a second in all, ``per_sender_rate`` each."""

    def __init__(
        self,
        schedule: Schedule,
        *,
        rate: float = KERNEL_RATE,
        per_sender_rate: float = PER_WIDGET_RATE,
        burst: int = BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (rate > 0 and per_sender_rate > 0 and burst >= 1):
            raise ValueError("rates must be positive and burst at least 1")
        self._schedule = schedule
        self.clock = clock
        self.rate = rate
        self.per_sender_rate = per_sender_rate
        self.burst = burst
        self._bucket = _Bucket(rate, burst, clock())
        #: Outboxes with something to send, in the order their turns come.
        self._waiting: OrderedDict[int, Outbox] = OrderedDict()
        self._pump_at: float | None = None
        #: Messages sent through this budget.
        self.sent = 0

    def outbox(
        self,
        take_delta: Callable[[], dict[str, Any] | None],
        send_delta: Callable[[dict[str, Any]], None],
    ) -> Outbox:
        return Outbox(self, take_delta, send_delta)

    @property
    def waiting(self) -> int:
        """How many outboxes are waiting for a turn."""
        return len(self._waiting)

    def wake(self, outbox: Outbox) -> None:
        """``outbox`` has something to send: it gets a turn as soon as both rates allow."""
        if id(outbox) not in self._waiting:
            self._waiting[id(outbox)] = outbox
        self._plan(0.0)

    def forget(self, outbox: Outbox) -> None:
        self._waiting.pop(id(outbox), None)

    def _plan(self, delay: float) -> None:
        """Make sure a pump runs within ``delay`` seconds."""
        at = self.clock() + delay
        if self._pump_at is not None and self._pump_at <= at:
            return
        self._pump_at = at
        self._schedule(delay, lambda: self._pump(at))

    def _pump(self, planned_at: float) -> None:
        if self._pump_at != planned_at:
            return  # an earlier pump was planned after this one; it took over
        self._pump_at = None
        now = self.clock()
        # One pass in turn order: each ready outbox sends one message, then goes to the
        # back of the line if it has more.
        for key in list(self._waiting):
            if self._bucket.ready_in(now) > 0:
                break
            outbox = self._waiting[key]
            if outbox.bucket.ready_in(now) > 0:
                continue
            self._waiting.move_to_end(key)
            if outbox.turn():
                outbox.bucket.take(now)
                self._bucket.take(now)
                self.sent += 1
            if not outbox.waiting:
                self._waiting.pop(key, None)
        if not self._waiting:
            return
        soonest = min(outbox.bucket.ready_in(now) for outbox in self._waiting.values())
        self._plan(max(self._bucket.ready_in(now), soonest))
