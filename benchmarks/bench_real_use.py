"""Real use: memory of a feed left running, bytes per new widget, many widgets at once.

1. Memory of a feed over time. A StreamWidget with ``render="text"`` and one with
   ``render="events"``, each in a real ipykernel of its own, both at once, read an endless
   feed of the mock server (a process of its own): ``/stream`` paced at 500 events a
   second, each event a line of 100 characters, so the default ``max_chars`` (2,000,000)
   is reached after about 40 s. The benchmark reads the kernel's IOPub as a front end would, and
   every few seconds runs a cell that samples the kernel process's RSS (``VmRSS``),
   ``len(w.text)`` and ``w.stats``. Reported: the RSS growth rate (least squares) in
   the first and the second half of the run, the text kept at the end against
   ``max_chars``, ``stats["chars_dropped"]``, and the size of the display update sent when
   the feed is stopped. Target: after the bound, RSS flat (growth < 5 KB/s in the
   second half).
2. Bytes per new widget. In a fresh kernel, ``StreamWidget(url, autostart=False)`` made
   and displayed, one cell each: every IOPub message of the cell (and whatever follows it
   within 0.3 s), at its size on the wire, status and the cell's echo apart. The first
   widget also opens the kernel's module widget (the whole front end, once per kernel).
   Target: < 6 KB per widget after the first (it was ~240 KB: the whole module each
   time). ipywidgets' own Layout widget, which every widget opens beside itself, is
   1.6 KB of it.
3. Many widgets at once in a real JupyterLab with its server's default settings:
   ``bench_many_widgets.py``. Target: 0 lost, no rate notice, peak ≤ 204 msg/s.

    python benchmarks/bench_real_use.py            # full run, about 4 minutes
    python benchmarks/bench_real_use.py --smoke    # under a minute, for CI (max_chars
                                                   # 100,000, 10 s of feed, 10 widgets)
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import bench_many_widgets
import common
import httpx
import ipykernel
from bench_browser import verdict
from bench_kernel import MARKER, kernel, mock_server, run_cell, wire_size

TARGET_GROWTH_KB_S = 5.0
TARGET_WIDGET_KB = 6.0
#: One event of the feed: a line of 100 characters (no space inside: the mock server
#: splits its text into word-like tokens, and this is one).
FEED_LINE = "\n" + ("feed-line-" * 10)[:99]
#: Message types that are not the widget's: the kernel's status and the cell's echo.
NOT_COUNTED = ("status", "execute_input")


@dataclass(frozen=True)
class Config:
    feed_seconds: float
    sample_every_s: float
    feed_rate: int
    max_chars: int
    new_widgets: int
    widgets: int
    widget_rate: int
    widget_seconds: float


FULL = Config(
    feed_seconds=180.0,
    sample_every_s=5.0,
    feed_rate=500,
    max_chars=2_000_000,
    new_widgets=20,
    widgets=50,
    widget_rate=100,
    widget_seconds=10.0,
)
SMOKE = Config(
    feed_seconds=10.0,
    sample_every_s=1.0,
    feed_rate=500,
    max_chars=100_000,  # reached after 2 s
    new_widgets=5,
    widgets=10,
    widget_rate=100,
    widget_seconds=3.0,
)

# Run once in each kernel: what a sample reads.
PRELUDE = r"""
import json, time
from IPython.display import display
from sse_widget import StreamWidget

def _rss_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def _sample(w):
    stats = w.stats
    return {"t": time.monotonic(), "rss_kb": _rss_kb(), "chars": len(w.text),
            "dropped": stats.get("chars_dropped", 0), "events": stats.get("events", 0),
            "status": w.status}
"""
SAMPLE = f"print({MARKER!r} + json.dumps(_sample(w)))"


def read_iopub(client: Any, seconds: float) -> list[dict[str, Any]]:
    """Read IOPub as a front end would, for ``seconds``; return what came."""
    messages = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            messages.append(client.get_iopub_msg(timeout=left))
        except queue.Empty:
            break
    return messages


def printed(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What a cell printed after MARKER."""
    for message in messages:
        text = message["content"].get("text", "") if message["msg_type"] == "stream" else ""
        if MARKER in text:
            found: dict[str, Any] = json.loads(text.split(MARKER, 1)[1])
            return found
    raise RuntimeError("the cell printed no sample")


def widget_bytes(client: Any, count: int) -> dict[str, Any]:
    """IOPub bytes of making and displaying each of ``count`` widgets (a fresh kernel)."""
    sizes: list[dict[str, int]] = []  # per widget: bytes by what carried them
    for number in range(count):
        # Never started, so never connects: the address needs no server.
        code = f"_w{number} = StreamWidget('http://127.0.0.1:9/never', autostart=False)\n"
        messages = run_cell(client, code + f"display(_w{number})", timeout=60)
        messages += read_iopub(client, 0.3)  # anything sent after the cell (none expected)
        parts: dict[str, int] = {}
        for message in messages:
            if message["msg_type"] not in NOT_COUNTED:
                name = carrier(message)
                parts[name] = parts.get(name, 0) + wire_size(message)
        sizes.append(parts)
    run_cell(client, "\n".join(f"_w{number}.close()" for number in range(count)), timeout=60)
    later = [sum(parts.values()) / 1024 for parts in sizes[1:]]
    return {
        "first_kb": sum(sizes[0].values()) / 1024,
        "later_kb": later,
        "later_mean_kb": statistics.fmean(later),
        # Where a later widget's bytes go: the mean of each carrier, in KB.
        "later_parts_kb": {
            name: statistics.fmean(parts.get(name, 0) for parts in sizes[1:]) / 1024
            for name in sizes[-1]
        },
    }


def carrier(message: dict[str, Any]) -> str:
    """What a message is: a comm_open names the model it opens."""
    if message["msg_type"] == "comm_open":
        state = message["content"].get("data", {}).get("state", {})
        return f"comm_open {state.get('_model_name', '?')}"
    return str(message["msg_type"])


def growth_kb_s(samples: list[dict[str, Any]]) -> float:
    """RSS growth over ``samples``: the least-squares slope, in KB a second."""
    fit = statistics.linear_regression([s["t"] for s in samples], [s["rss_kb"] for s in samples])
    return fit.slope


def feeds(cfg: Config) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Part 2 in the first kernel, then part 1 in both at once; both results."""
    renders = ("text", "events")
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(mock_server())
        clients = {render: stack.enter_context(kernel()) for render in renders}
        for client in clients.values():
            run_cell(client, PRELUDE, timeout=60)
        bytes_per_widget = widget_bytes(clients["text"], cfg.new_widgets)
        query = {"rate": cfg.feed_rate, "count": 10**9, "text": FEED_LINE}
        url = str(httpx.URL(f"{base}/stream", params=query))
        for render, client in clients.items():
            code = f"w = StreamWidget({url!r}, render={render!r}, max_chars={cfg.max_chars})"
            run_cell(client, code + "\ndisplay(w)", timeout=60)
        samples: dict[str, list[dict[str, Any]]] = {render: [] for render in renders}
        start = time.monotonic()
        next_sample = start
        while True:
            now = time.monotonic()
            if now >= next_sample:
                for render, client in clients.items():
                    sample = printed(run_cell(client, SAMPLE, timeout=60))
                    sample["t"] = time.monotonic() - start
                    samples[render].append(sample)
                if now - start >= cfg.feed_seconds:
                    break
                next_sample += cfg.sample_every_s
            for client in clients.values():
                read_iopub(client, 0.02)
        results = []
        for render, client in clients.items():
            stopped = run_cell(client, "w.stop()", timeout=60)
            final = [wire_size(m) for m in stopped if m["msg_type"] == "update_display_data"]
            deadline = time.monotonic() + 10  # the update waits for its turn in the budget
            while not final and time.monotonic() < deadline:
                final = [
                    wire_size(m)
                    for m in read_iopub(client, 0.2)
                    if m["msg_type"] == "update_display_data"
                ]
            results.append(summary(render, cfg, samples[render], sum(final)))
    return bytes_per_widget, results


def summary(
    render: str, cfg: Config, samples: list[dict[str, Any]], final_bytes: int
) -> dict[str, Any]:
    half = cfg.feed_seconds / 2
    first = [s for s in samples if s["t"] <= half]
    second = [s for s in samples if s["t"] >= half]
    bounded = [s["t"] for s in samples if s["dropped"]]
    last = samples[-1]
    return {
        "render": render,
        "seconds": last["t"],
        "events_per_s": (last["events"] - samples[0]["events"]) / (last["t"] - samples[0]["t"]),
        "growth_first_kb_s": growth_kb_s(first),
        "growth_second_kb_s": growth_kb_s(second),
        "rss_start_mb": samples[0]["rss_kb"] / 1024,
        "rss_end_mb": last["rss_kb"] / 1024,
        "bound_reached_s": bounded[0] if bounded else None,
        "chars_end": last["chars"],
        "max_chars": cfg.max_chars,
        "chars_dropped": last["dropped"],
        "status_end": last["status"],
        "final_update_bytes": final_bytes,
        "samples": samples,
    }


def report(results: dict[str, Any], cfg: Config) -> str:
    load = results["load"]
    lines = [
        f"ipykernel {results['ipykernel']}; load average {load[0]:.1f} before, "
        f"{results['load_after'][0]:.1f} after"
        + (" (smoke run: figures meaningless)" if results["smoke"] else ""),
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
    ]
    for feed in results.get("feeds", []):
        bound = feed["bound_reached_s"]
        # Flat only counts once the bound is reached before the second half starts.
        flat = (
            feed["growth_second_kb_s"] < TARGET_GROWTH_KB_S
            and bound is not None
            and bound <= cfg.feed_seconds / 2
        )
        reached = f"the bound reached at {bound:.0f} s" if bound is not None else "**not reached**"
        lines += [
            f'| kernel RSS, `render="{feed["render"]}"` on an endless feed at '
            f"{feed['events_per_s']:,.0f} events/s of 100 characters, "
            f"{feed['seconds']:.0f} s: growth in the first / second half "
            f"| {feed['growth_first_kb_s']:+,.1f} / {feed['growth_second_kb_s']:+,.1f} KB/s "
            f"(RSS {feed['rss_start_mb']:,.0f} → {feed['rss_end_mb']:,.0f} MB; {reached}) "
            f"| second half < {TARGET_GROWTH_KB_S:g} KB/s | {verdict(flat)} |",
            f'| … `len(w.text)` at the end; `stats["chars_dropped"]` '
            f"| {feed['chars_end']:,} of max_chars {feed['max_chars']:,}; "
            f"{feed['chars_dropped']:,} dropped | ≤ max_chars "
            f"| {verdict(feed['chars_end'] <= feed['max_chars'])} |",
            f"| … the display update sent on stop | {feed['final_update_bytes'] / 1e6:.2f} MB "
            "| | |",
        ]
    if "bytes_per_widget" in results:
        sizes = results["bytes_per_widget"]
        later = sizes["later_kb"]
        lines += [
            f"| IOPub bytes of the first StreamWidget, made and displayed (it also opens the "
            f"module widget) | {sizes['first_kb']:,.1f} KB | | |",
            f"| IOPub bytes of each further StreamWidget (2nd to {len(later) + 1}th), mean "
            f"(max) | {sizes['later_mean_kb']:.1f} KB ({max(later):.1f}) "
            f"| < {TARGET_WIDGET_KB:g} KB | {verdict(max(later) < TARGET_WIDGET_KB)} |",
            "| … of which | "
            + ", ".join(f"{name} {kb:.1f} KB" for name, kb in sizes["later_parts_kb"].items())
            + " | | |",
        ]
    if "many_widgets" in results:
        lines += bench_many_widgets.rows(results["many_widgets"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = common.parser(__doc__)
    parser.add_argument(
        "--part",
        choices=("kernel", "browser"),
        help="only the kernel parts (1, 2) or only the browser part (3)",
    )
    args = parser.parse_args(argv)
    cfg = SMOKE if args.smoke else FULL
    started = time.monotonic()
    results: dict[str, Any] = {
        "smoke": args.smoke,
        "config": asdict(cfg),
        "ipykernel": ipykernel.__version__,
        "load": os.getloadavg(),
    }
    # The browser first: whoever starts the run checks that no other browser runs now.
    if args.part != "kernel":
        results["many_widgets"] = bench_many_widgets.run(
            cfg.widgets, cfg.widget_rate, cfg.widget_seconds
        )
    if args.part != "browser":
        results["bytes_per_widget"], results["feeds"] = feeds(cfg)
    results["seconds"] = time.monotonic() - started
    results["load_after"] = os.getloadavg()
    saved: dict[str, Any] = common.finish(args.json, results, report(results, cfg))
    return saved


if __name__ == "__main__":
    main()
