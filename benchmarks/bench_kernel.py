"""The widget pipeline in a real kernel, side by side with what users would do instead.

A fast OpenAI-shaped answer (the mock server, in a process of its own, paced at
``--rate`` tokens per second) is consumed inside a real ipykernel by:

- ``StreamWidget``;
- an ipywidgets ``Output`` widget with ``print(token, end="")`` per token, and the same
  with ``flush=True`` (as many streaming examples write it);
- an ipywidgets ``HTML`` widget whose ``value`` grows by each token;
- ``IPython.display`` with ``display_id`` and ``handle.update(...)`` per token.

The benchmark is the kernel's client (jupyter_client): it counts every IOPub message the
kernel sends while the cell runs, and its size on the wire (header, parent header,
metadata, content and the signature). It reports messages per second, bytes sent per
byte of text, the kernel's CPU time per wall second, and for StreamWidget whether the
deltas rebuild the exact answer (tokens lost). Without a front end nothing is dropped
here; what Jupyter's server and the browser then drop is measured by bench_browser.py.
Targets for StreamWidget: 0 lost, ≤ 64 messages/s (one widget alone gets the kernel
budget's 60 a second and its burst of 4), ≤ 1.4 bytes per text byte.

    python benchmarks/bench_kernel.py                  # 20,000 tokens/s, 3 s per pipeline run
    python benchmarks/bench_kernel.py --smoke          # seconds, for CI
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import common
from jupyter_client.manager import KernelManager

import sse_widget
from sse_widget._budget import BURST, PER_WIDGET_RATE

#: The HMAC signature and the frame delimiter of each message on the wire.
WIRE_OVERHEAD = 64 + len(b"<IDS|MSG>")
#: One widget alone may send the kernel budget's per-widget rate, plus its burst.
MAX_MESSAGES_PER_S = PER_WIDGET_RATE + BURST
#: Message envelopes at 60 a second cost a little more per byte of text than at 28.
MAX_BYTES_PER_TEXT_BYTE = 1.4
MARKER = "@@bench@@"
BODY = {"model": "mock-gpt", "stream": True, "messages": [{"role": "user", "content": "Go"}]}

# Each consumer as a user would write it in a cell. `url` and `expected_tokens` are set
# in the kernel first; the cell ends by printing its own measurements after MARKER.
PRELUDE = """
import json, time
from sse_widget import StreamWidget, get_extractor, iter_events
"""
OUTPUT_PRINT = """
    from ipywidgets import Output
    out = Output(); display(out)
    openai = get_extractor("openai"); text = ""
    with out:
        for event in iter_events(url, json=body):
            if token := openai.feed(event):
                text += token
                print(token, end=""{flush})
"""
CONSUMERS = {
    "StreamWidget": """
        w = StreamWidget(url, json=body, format="openai", render="markdown")
        text = w.wait(120)
    """,
    "Output + print": OUTPUT_PRINT.format(flush=""),
    "Output + print(flush=True)": OUTPUT_PRINT.format(flush=", flush=True"),
    "HTML value += token": """
        from ipywidgets import HTML
        view = HTML(); display(view)
        openai = get_extractor("openai"); text = ""
        for event in iter_events(url, json=body):
            if token := openai.feed(event):
                text += token
                view.value = text
    """,
    "update_display per token": """
        from IPython.display import Markdown, display
        handle = display(Markdown(""), display_id=True)
        openai = get_extractor("openai"); text = ""
        for event in iter_events(url, json=body):
            if token := openai.feed(event):
                text += token
                handle.update(Markdown(text))
    """,
}
# Sending the whole text on every token costs bytes growing with the square of the
# answer: those consumers get a shorter answer, so the run stays bounded.
QUADRATIC = {"HTML value += token", "update_display per token"}


@dataclass
class Result:
    consumer: str
    tokens: int
    seconds: float
    messages: int
    messages_per_s: float
    bytes_per_text_byte: float
    kernel_cpu_per_s: float
    setup_kb: float  # opening the widgets (anywidget sends its whole module with each)
    lost_tokens: int | None  # None: not checkable from the messages alone


@contextmanager
def mock_server() -> Iterator[str]:
    """The mock server in a process of its own, so its CPU is not the kernel's."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sse_widget.mock", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not found:
            raise RuntimeError(f"the mock server did not start: {line!r}")
        yield found.group(0)
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def kernel() -> Iterator[Any]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def wire_size(message: dict[str, Any]) -> int:
    parts = (message["header"], message["parent_header"], message["metadata"], message["content"])
    return WIRE_OVERHEAD + sum(len(json.dumps(part, default=str)) for part in parts)


def run_cell(client: Any, code: str, timeout: float) -> list[dict[str, Any]]:
    """Execute ``code``; return every IOPub message sent until the cell is done."""
    msg_id = client.execute(code)
    messages = []
    deadline = time.monotonic() + timeout
    while True:
        message = client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        messages.append(message)
        if (
            message["msg_type"] == "status"
            and message["content"]["execution_state"] == "idle"
            and message["parent_header"].get("msg_id") == msg_id
        ):
            return messages


def measure(client: Any, consumer: str, url: str, expected: str, tokens: int) -> Result:
    body = textwrap.dedent(CONSUMERS[consumer])
    code = (
        f"url = {url!r}\nbody = {BODY!r}\n"
        "wall0, cpu0 = time.perf_counter(), time.process_time()\n"
        f"{body}\n"
        "wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0\n"
        f"print({MARKER!r} + json.dumps({{'wall': wall, 'cpu': cpu, 'text': text}}))\n"
    )
    messages = run_cell(client, code, timeout=600)
    report = None
    counted = []
    setup = []
    for message in messages:
        content = message["content"]
        if message["msg_type"] == "stream" and MARKER in content.get("text", ""):
            report = json.loads(content["text"].split(MARKER, 1)[1])
            continue
        if message["msg_type"] in ("status", "execute_input", "execute_result", "error"):
            if message["msg_type"] == "error":
                raise RuntimeError("\n".join(content["traceback"]))
            continue
        # One-off: a widget's comm_open carries its state (for anywidget, its module).
        (setup if message["msg_type"] == "comm_open" else counted).append(message)
    if report is None:
        raise RuntimeError(f"{consumer}: the cell printed no report")
    text_bytes = len(report["text"].encode())
    lost = None
    if consumer == "StreamWidget":
        deltas = [
            m["content"]["data"]["content"]
            for m in counted
            if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "custom"
        ]
        rebuilt = "".join(d["text"] for d in deltas if d.get("kind") == "delta")
        lost = len(expected) - len(rebuilt) if rebuilt != expected else 0
        if rebuilt != expected and len(rebuilt) == len(expected):
            lost = -1  # same length, different text: reordered or corrupted
    wall = report["wall"]
    return Result(
        consumer=consumer,
        tokens=tokens,
        seconds=round(wall, 3),
        messages=len(counted),
        messages_per_s=round(len(counted) / wall, 1),
        bytes_per_text_byte=round(sum(map(wire_size, counted)) / max(1, text_bytes), 3),
        kernel_cpu_per_s=round(report["cpu"] / wall, 3),
        setup_kb=round(sum(map(wire_size, setup)) / 1024, 1),
        lost_tokens=lost,
    )


def answer(url: str) -> str:
    openai = sse_widget.get_extractor("openai")
    return "".join(
        token for event in sse_widget.iter_events(url, json=BODY) if (token := openai.feed(event))
    )


def run(rate: int, seconds: float, quadratic_tokens: int) -> list[Result]:
    results = []
    with mock_server() as base, kernel() as client:
        run_cell(client, PRELUDE, timeout=60)
        for consumer in CONSUMERS:
            count = quadratic_tokens if consumer in QUADRATIC else int(rate * seconds)
            url = f"{base}/v1/chat/completions?rate={rate}&count={count}"
            expected = answer(f"{base}/v1/chat/completions?count={count}")
            results.append(measure(client, consumer, url, expected, count))
    return results


def table(results: list[Result], rate: int) -> str:
    lines = [
        f"Consumers of an OpenAI-shaped stream paced at {rate:,} tokens/s, in one kernel",
        "(messages and bytes while streaming; opening the widgets is counted apart, as setup)",
        "",
        "| consumer | tokens | s | messages | msg/s | bytes / text byte | kernel CPU "
        "| setup KB | lost |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lost = "n/a" if r.lost_tokens is None else f"{r.lost_tokens:,}"
        lines.append(
            f"| {r.consumer} | {r.tokens:,} | {r.seconds:.2f} | {r.messages:,} "
            f"| {r.messages_per_s:,.1f} | {r.bytes_per_text_byte:,.2f} "
            f"| {r.kernel_cpu_per_s:.0%} | {r.setup_kb:,.1f} | {lost} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = common.parser(__doc__)
    parser.add_argument("--rate", type=int, default=20_000, help="tokens per second")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each stream")
    parser.add_argument(
        "--quadratic-tokens",
        type=int,
        default=2_000,
        help="answer length for the consumers that resend the whole text per token",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.quadratic_tokens = 0.25, 200
    results = run(args.rate, args.seconds, args.quadratic_tokens)
    print(table(results, args.rate))
    widget = results[0]
    verdict = (
        widget.lost_tokens == 0
        and widget.messages_per_s <= MAX_MESSAGES_PER_S
        and widget.bytes_per_text_byte <= MAX_BYTES_PER_TEXT_BYTE
    )
    print(
        f"\nStreamWidget: {widget.lost_tokens} lost, {widget.messages_per_s} msg/s, "
        f"{widget.bytes_per_text_byte} bytes per text byte: "
        + (
            f"meets the targets (0 lost, ≤ {MAX_MESSAGES_PER_S:.0f} msg/s, "
            f"≤ {MAX_BYTES_PER_TEXT_BYTE})"
            if verdict
            else "MISSES the targets"
        )
    )
    data = {"rate": args.rate, "seconds": args.seconds, "results": [asdict(r) for r in results]}
    return common.save(args.json, data)


if __name__ == "__main__":
    main()
