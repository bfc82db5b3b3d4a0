"""DeltaChannel with a fake clock and timer: coalescing, numbering, snapshots, the bound."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sse_widget._budget import MessageBudget
from sse_widget._coalesce import SNAPSHOT_PART_CHARS, DeltaChannel, utf16_length


class FakeTimer:
    def __init__(self) -> None:
        self.now = 0.0
        self.due: list[tuple[float, Callable[[], None]]] = []

    def schedule(self, delay: float, callback: Callable[[], None]) -> None:
        self.due.append((self.now + delay, callback))

    def advance(self, seconds: float) -> None:
        """Move the clock on, firing what falls due (and what that schedules) in order."""
        until = self.now + seconds
        while True:
            ready = [item for item in self.due if item[0] <= until]
            if not ready:
                break
            item = min(ready, key=lambda item: item[0])
            self.due.remove(item)
            self.now = max(self.now, item[0])
            item[1]()
        self.now = until


def make(
    keep_rows: int = 0, max_chars: int | None = None
) -> tuple[DeltaChannel, FakeTimer, list[dict[str, Any]]]:
    """A channel alone in its budget: a delta at most every 0.05 s."""
    timer, sent = FakeTimer(), []
    budget = MessageBudget(timer.schedule, per_sender_rate=20, burst=1, clock=lambda: timer.now)
    channel = DeltaChannel(sent.append, budget, keep_rows=keep_rows, max_chars=max_chars)
    channel.reset(1)
    return channel, timer, sent


def test_a_burst_of_tokens_is_one_delta() -> None:
    channel, timer, sent = make()
    for n in range(1000):
        channel.append(f"t{n} ")
    assert sent == []  # nothing before the timer
    timer.advance(0)
    assert len(sent) == 1
    assert sent[0] == {
        "kind": "delta",
        "gen": 1,
        "seq": 1,
        "text": "".join(f"t{n} " for n in range(1000)),
    }


def test_deltas_are_at_most_one_per_interval_whatever_the_rate() -> None:
    channel, timer, sent = make()
    for _ in range(2000):  # 2000 tokens over one second: 2000 tokens/s
        channel.append("x")
        timer.advance(0.0005)
    timer.advance(1)
    assert 19 <= len(sent) <= 21
    assert [m["seq"] for m in sent] == list(range(1, len(sent) + 1))
    assert "".join(m["text"] for m in sent) == "x" * 2000
    assert channel.text == "x" * 2000
    assert len(channel) == 2000


def test_the_next_delta_waits_for_its_turn() -> None:
    channel, timer, sent = make()
    channel.append("a")
    timer.advance(0)  # the first delta goes out at once
    assert len(sent) == 1
    timer.advance(0.01)
    channel.append("b")  # the next may go 0.05 s after the first
    timer.advance(0.0399)
    assert len(sent) == 1
    timer.advance(0.0002)
    assert [m["text"] for m in sent] == ["a", "b"]


def test_nothing_pending_sends_nothing() -> None:
    channel, timer, sent = make()
    channel.send_stats()  # no figures either
    channel.append("")
    timer.advance(1)
    assert sent == []


def test_a_new_generation_starts_over() -> None:
    channel, timer, sent = make()
    channel.append("old")
    timer.advance(0.1)
    channel.reset(2)
    channel.append("new")
    timer.advance(0.1)
    assert [(m["gen"], m["seq"], m["text"]) for m in sent] == [(1, 1, "old"), (2, 1, "new")]
    assert channel.text == "new"


def test_snapshot_seals_pending_text_first_then_sends_the_text_in_parts() -> None:
    channel, timer, sent = make()
    text = "a" * (2 * SNAPSHOT_PART_CHARS + 10)
    channel.append(text[:100])
    timer.advance(0.1)
    channel.append(text[100:])
    channel.send_snapshot()
    timer.advance(1)
    assert [m["kind"] for m in sent] == ["delta", "delta", "snapshot", "snapshot", "snapshot"]
    assert sent[1]["seq"] == 2  # the pending text went out first, as delta 2
    parts = sent[2:]
    assert [(p["part"], p["parts"], p["seq"]) for p in parts] == [(0, 3, 2), (1, 3, 2), (2, 3, 2)]
    assert "".join(p["text"] for p in parts) == text


def test_snapshot_of_nothing_is_one_empty_part() -> None:
    channel, _, _ = make()
    assert channel.snapshot() == [
        {"kind": "snapshot", "gen": 1, "seq": 0, "part": 0, "parts": 1, "text": ""}
    ]


def test_rows_are_sent_with_deltas_and_bounded_in_snapshots() -> None:
    channel, timer, sent = make(keep_rows=3)
    for n in range(5):
        channel.append("", {"n": n})
    timer.advance(0.1)
    assert sent[0]["rows"] == [{"n": n} for n in range(5)]
    assert channel.snapshot()[0]["rows"] == [{"n": 2}, {"n": 3}, {"n": 4}]


def test_stats_ride_along_with_the_next_delta_only_once() -> None:
    channel, timer, sent = make()
    channel.set_stats({"tokens": 1})
    timer.advance(1)
    assert sent == []  # figures alone wait for text (or send_stats)
    channel.append("a")
    timer.advance(0.05)
    channel.append("b")
    timer.advance(0.05)
    assert [m.get("stats") for m in sent] == [{"tokens": 1}, None]


def test_send_stats_carries_new_figures_without_text() -> None:
    channel, timer, sent = make()
    channel.send_stats()  # nothing new to say
    timer.advance(1)
    assert sent == []
    channel.set_stats({"tokens": 0, "elapsed_s": 1.0})
    channel.send_stats()
    timer.advance(0)
    assert sent == [
        {"kind": "delta", "gen": 1, "seq": 1, "text": "", "stats": {"tokens": 0, "elapsed_s": 1.0}}
    ]


def test_a_snapshot_carries_the_latest_figures() -> None:
    channel, _timer, _sent = make()
    channel.append("abc")
    channel.set_stats({"tokens": 3})
    first = channel.snapshot()[0]
    assert first["stats"] == {"tokens": 3}
    assert first["text"] == "abc"


# -- the bound: max_chars -------------------------------------------------------------


def rebuild_view(sent: list[dict[str, Any]]) -> str:
    """Apply deltas as the front end does: append the text, then drop to `dropped`."""
    text, dropped = "", 0
    for message in sent:
        text += message["text"]
        gone = message.get("dropped", dropped) - dropped
        units = text.encode("utf-16-le")
        text = units[2 * gone :].decode("utf-16-le")
        dropped = message.get("dropped", dropped)
    return text


def test_text_under_the_limit_is_untouched() -> None:
    channel, timer, sent = make(max_chars=1000)
    channel.append("x" * 1000)
    timer.advance(1)
    assert channel.text == "x" * 1000
    assert channel.dropped_chars == 0
    assert "dropped" not in sent[0]


def test_past_the_limit_the_oldest_text_goes_at_a_line_break() -> None:
    channel, timer, sent = make(max_chars=1600)
    lines = [f"line {n:04d} {'.' * 40}\n" for n in range(200)]  # 51 characters each
    for line in lines:
        channel.append(line)
        timer.advance(0.01)
        assert len(channel) <= 1600
    timer.advance(1)
    whole = "".join(lines)
    kept = channel.text
    assert whole.endswith(kept)
    assert kept.startswith("line ")  # cut after a line feed
    assert channel.dropped_chars == len(whole) - len(kept)
    assert len(kept) >= 1600 - 1600 // 16 - 51  # trimmed in steps, not to nothing
    assert rebuild_view(sent) == kept
    assert sent[-1]["dropped"] == channel.dropped_units


def test_a_line_with_no_line_feed_is_cut_anywhere() -> None:
    channel, timer, _sent = make(max_chars=1000)
    for _ in range(500):
        channel.append("word ")
    timer.advance(1)
    assert len(channel.text) <= 1000
    assert channel.dropped_chars + len(channel.text) == 2500


def test_dropped_counts_utf16_units_for_the_view() -> None:
    channel, timer, sent = make(max_chars=64)
    pieces = ["é😀中\n" * 3 for _ in range(40)]
    for piece in pieces:
        channel.append(piece)
        timer.advance(0.06)
    timer.advance(1)
    whole = "".join(pieces)
    assert channel.dropped_units == utf16_length(whole[: channel.dropped_chars])
    assert channel.dropped_units > channel.dropped_chars  # the emoji count twice
    assert rebuild_view(sent) == channel.text


def test_one_delta_larger_than_the_limit() -> None:
    channel, timer, sent = make(max_chars=100)
    channel.append("a" * 50)
    channel.append("b" * 1000)
    timer.advance(1)
    assert channel.text == "b" * len(channel.text)
    assert len(channel.text) <= 100
    assert rebuild_view(sent) == channel.text


def test_a_snapshot_sends_only_the_kept_text_and_what_went() -> None:
    channel, timer, sent = make(max_chars=1000)
    for n in range(100):
        channel.append(f"{n:03d}\n" * 10)
    channel.send_snapshot()
    timer.advance(1)
    snapshot = [m for m in sent if m["kind"] == "snapshot"]
    assert "".join(p["text"] for p in snapshot) == channel.text
    assert snapshot[0]["dropped"] == channel.dropped_units == 4000 - len(channel.text)


def test_memory_stays_flat_however_long_the_feed_runs() -> None:
    channel, timer, _sent = make(max_chars=10_000)
    line = "event data " * 5 + "\n"
    for n in range(200_000):  # 11 MB through a 10 K bound
        channel.append(line)
        if n % 100 == 0:
            timer.advance(0.05)
    assert len(channel) <= 10_000
    assert len(channel.text) <= 10_000
    assert channel.dropped_chars + len(channel.text) == 200_000 * len(line)


def test_a_new_generation_forgets_what_was_dropped() -> None:
    channel, timer, sent = make(max_chars=10)
    channel.append("x" * 100)
    timer.advance(1)
    channel.reset(2)
    channel.append("new")
    timer.advance(1)
    assert channel.dropped_chars == 0
    assert "dropped" not in sent[-1]


@pytest.mark.parametrize("text", ["", "abc", "é", "😀", "a😀b\n中"])
def test_utf16_length_matches_javascript(text: str) -> None:
    expected = {"": 0, "abc": 3, "é": 1, "😀": 2, "a😀b\n中": 6}[text]
    assert utf16_length(text) == expected
