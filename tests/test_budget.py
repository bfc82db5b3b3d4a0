"""MessageBudget with a fake clock: the kernel's rate, each widget's rate, fair turns,
order kept, nothing dropped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sse_widget._budget import MessageBudget, Outbox
from sse_widget._coalesce import DeltaChannel


class FakeLoop:
    """call_later on a fake clock; `run_until(t)` fires what is due, in time order."""

    def __init__(self) -> None:
        self.now = 0.0
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._count = 0

    def schedule(self, delay: float, callback: Callable[[], None]) -> None:
        self._count += 1
        self._due.append((self.now + delay, self._count, callback))

    def run_until(self, until: float) -> None:
        while True:
            ready = [item for item in self._due if item[0] <= until]
            if not ready:
                break
            item = min(ready)
            self._due.remove(item)
            self.now = max(self.now, item[0])
            item[2]()
        self.now = until


def budget_on(loop: FakeLoop, **kwargs: Any) -> MessageBudget:
    return MessageBudget(loop.schedule, clock=lambda: loop.now, **kwargs)


def windows(times: list[float], width: float = 1.0) -> int:
    """The most messages in any window of `width` seconds."""
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - width:
            start += 1
        most = max(most, end - start + 1)
    return most


def streaming_channels(
    loop: FakeLoop, budget: MessageBudget, count: int
) -> tuple[list[DeltaChannel], list[list[tuple[float, dict[str, Any]]]]]:
    logs: list[list[tuple[float, dict[str, Any]]]] = [[] for _ in range(count)]
    channels = []
    for log in logs:
        channel = DeltaChannel(lambda m, log=log: log.append((loop.now, m)), budget)  # type: ignore[misc]
        channel.reset(1)
        channels.append(channel)
    return channels, logs


def test_one_widget_alone_gets_sixty_deltas_a_second() -> None:
    loop = FakeLoop()
    budget = budget_on(loop)
    [channel], [log] = streaming_channels(loop, budget, 1)
    for n in range(2000):  # 1,000 tokens a second for two seconds
        channel.append(f"{n} ")
        loop.run_until(loop.now + 0.001)
    loop.run_until(loop.now + 1)
    times = [at for at, _ in log]
    assert windows(times) <= 60 + budget.burst
    assert len(log) >= 2 * 60 - 5  # the whole 60 a second
    assert "".join(m["text"] for _, m in log) == "".join(f"{n} " for n in range(2000))
    assert [m["seq"] for _, m in log] == list(range(1, len(log) + 1))


def test_fifty_widgets_share_the_kernels_two_hundred_fairly_and_lose_nothing() -> None:
    loop = FakeLoop()
    budget = budget_on(loop)
    channels, logs = streaming_channels(loop, budget, 50)
    for step in range(300):  # 3 s at 100 tokens a second each: 5,000 tokens a second
        for n, channel in enumerate(channels):
            channel.append(f"w{n}t{step} ")
        loop.run_until(loop.now + 0.01)
    loop.run_until(loop.now + 2)
    every = sorted(at for log in logs for at, _ in log)
    assert windows(every) <= 200 + budget.burst
    counts = [len(log) for log in logs]
    assert min(counts) >= 0.8 * max(counts)  # fair: nobody starves
    assert min(counts) >= 3 * 200 / 50 * 0.8  # each keeps getting turns while streaming
    for n, (channel, log) in enumerate(zip(channels, logs, strict=True)):
        expected = "".join(f"w{n}t{step} " for step in range(300))
        assert "".join(m["text"] for _, m in log) == expected == channel.text
        assert [m["seq"] for _, m in log] == list(range(1, len(log) + 1))


def test_each_active_widget_gets_a_turn_within_a_round() -> None:
    loop = FakeLoop()
    budget = budget_on(loop)
    channels, logs = streaming_channels(loop, budget, 100)
    for channel in channels:
        channel.append("x")
    # 100 waiting at 200 a second: everyone has been served within about half a second.
    loop.run_until(0.5 + 4 / 200)
    assert all(len(log) == 1 for log in logs)


def test_queued_sends_keep_their_order_after_the_text_before_them() -> None:
    loop = FakeLoop()
    budget = budget_on(loop)
    log: list[str] = []
    channel = DeltaChannel(lambda m: log.append(f"delta {m['text']}"), budget)
    channel.reset(1)
    outbox = channel.outbox
    channel.append("a")
    channel.append("b")
    outbox.put(lambda: log.append("status done"))  # seals "ab" into its own delta first
    channel.append("late")
    outbox.put(lambda: log.append("display update"))
    loop.run_until(1)
    assert log == ["delta ab", "status done", "delta late", "display update"]


def queued(count: int, rate: float) -> tuple[FakeLoop, MessageBudget, Outbox, list[int]]:
    """An outbox with `count` sends queued, each recording its number when it runs."""
    loop = FakeLoop()
    budget = budget_on(loop, rate=rate, per_sender_rate=rate, burst=1)
    done: list[int] = []
    outbox = DeltaChannel(lambda m: None, budget).outbox
    for n in range(count):
        outbox.put(lambda n=n: done.append(n))  # type: ignore[misc]
    return loop, budget, outbox, done


def test_sends_wait_their_turn_and_are_never_dropped() -> None:
    loop, _budget, _outbox, done = queued(50, rate=10)
    loop.run_until(2)
    assert 19 <= len(done) <= 21  # ten a second
    loop.run_until(10)
    assert done == list(range(50))


def test_a_closed_outbox_sends_nothing_more_and_is_forgotten() -> None:
    loop, budget, outbox, done = queued(5, rate=10)
    loop.run_until(0.05)
    outbox.close()
    loop.run_until(5)
    assert done == [0]
    assert budget.waiting == 0


def test_drain_sends_everything_queued_at_once() -> None:
    _loop, _budget, outbox, done = queued(5, rate=1)
    outbox.drain()
    assert done == [0, 1, 2, 3, 4]


def test_then_runs_after_the_sends_before_it_without_costing_a_turn() -> None:
    loop, budget, outbox, done = queued(3, rate=10)
    outbox.then(lambda: done.append(-1))
    loop.run_until(0.25)
    assert done == [0, 1, 2, -1]
    assert budget.sent == 3
    ran: list[str] = []
    outbox.then(lambda: ran.append("at once"))  # nothing queued: runs now
    assert ran == ["at once"]


@pytest.mark.parametrize("kwargs", [{"rate": 0}, {"per_sender_rate": -1}, {"burst": 0}])
def test_bad_rates_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="positive"):
        budget_on(FakeLoop(), **kwargs)
