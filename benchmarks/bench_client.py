"""Client throughput: ``aiter_events`` against plain httpx-sse and raw bytes, in one run.

A loopback server in a separate process (so it does not share our GIL) sends a prebuilt
stream as fast as the socket takes it: 100,000 small events, then 1,000 large (64 KB)
ones. Each round reads the same stream with each reader, in rotating order; the table
shows the median time of each and its ratio to httpx-sse's. Target: ``aiter_events`` at
most 1.10x httpx-sse.

    python benchmarks/bench_client.py                   # 7 rounds of each
    python benchmarks/bench_client.py --smoke           # seconds, for CI
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

import common
import httpx
import httpx_sse

import sse_widget

TARGET_RATIO = 1.10

Reader = Callable[[httpx.AsyncClient, str], Awaitable[int]]


async def read_aiter_events(client: httpx.AsyncClient, url: str) -> int:
    count = 0
    async for _event in sse_widget.aiter_events(url, client=client, reconnect=False):
        count += 1
    return count


async def read_httpx_sse(client: httpx.AsyncClient, url: str) -> int:
    count = 0
    async with httpx_sse.aconnect_sse(client, "GET", url) as source:
        async for _event in source.aiter_sse():
            count += 1
    return count


async def read_raw_bytes(client: httpx.AsyncClient, url: str) -> int:
    """No parsing at all: the floor set by httpx and the socket."""
    async with client.stream("GET", url) as response:
        received = 0
        previous = b""
        async for chunk in response.aiter_bytes():
            received += chunk.count(b"\n\n") + (previous == b"\n" and chunk[:1] == b"\n")
            previous = chunk[-1:]
    return received


READERS: dict[str, Reader] = {
    "aiter_events": read_aiter_events,
    "httpx-sse aiter_sse": read_httpx_sse,
    "raw bytes (no parsing)": read_raw_bytes,
}


def serve_prebuilt(body: bytes, ready: Connection) -> None:
    """A loopback server that answers every request with one prebuilt response.

    The stream is built once, so the server costs nothing per event and the timings
    measure the readers, not the server (the mock server encodes each event in Python,
    which would make every reader wait on it alike).
    """
    # "connection: close": the server closes each connection after its response, so the
    # client must not keep it for the next request (reusing it races the close: ReadError).
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    )
    with socket.create_server(("127.0.0.1", 0)) as listener:
        ready.send(listener.getsockname()[1])
        while True:
            connection, _ = listener.accept()
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:
                    piece = connection.recv(65536)
                    if not piece:
                        break
                    request += piece
                connection.sendall(head + body)


@contextmanager
def loopback_server(events: int, size: int) -> Iterator[str]:
    """Serve ``events`` events; ``size`` > 0 makes each one's data that many bytes."""
    if size:
        filler = b"x" * (size - 12)
        body = b"".join(b"data: %010d%s\n\n" % (i, filler) for i in range(events))
    else:
        body = b"".join(b"data: token %d\n\n" % i for i in range(events))
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=serve_prebuilt, args=(body, child), daemon=True)
    process.start()
    try:
        if not parent.poll(10):
            raise SystemExit("the benchmark server did not start")
        yield f"http://127.0.0.1:{parent.recv()}"
    finally:
        process.terminate()
        process.join(10)


async def run(events: int, rounds: int, base_url: str) -> dict[str, list[float]]:
    url = f"{base_url}/events"
    times: dict[str, list[float]] = {name: [] for name in READERS}
    names = list(READERS)
    async with httpx.AsyncClient(timeout=60) as client:
        await read_raw_bytes(client, url)  # warm up the server and the connection pool
        for round_number in range(rounds):
            rotation = names[round_number % len(names) :] + names[: round_number % len(names)]
            for name in rotation:
                start = time.perf_counter()
                received = await READERS[name](client, url)
                times[name].append(time.perf_counter() - start)
                if received != events:
                    raise SystemExit(f"{name} read {received} events, expected {events}")
    return times


def scenario(events: int, size: int, rounds: int) -> dict[str, Any]:
    with loopback_server(events, size) as base_url:
        times = asyncio.run(run(events, rounds, base_url))
    reference = statistics.median(times["httpx-sse aiter_sse"])
    readers = {
        name: {
            "median_s": statistics.median(samples),
            "events_per_s": events / statistics.median(samples),
            "vs_httpx_sse": statistics.median(samples) / reference,
        }
        for name, samples in times.items()
    }
    return {"events": events, "size": size, "rounds": rounds, "readers": readers}


def table(result: dict[str, Any]) -> str:
    what = f"{result['size'] // 1024} KB" if result["size"] else "small"
    lines = [
        f"{result['events']:,} {what} events over loopback, median of {result['rounds']} rounds",
        "",
        "| reader | median s | events/s | vs httpx-sse |",
        "|---|---:|---:|---:|",
    ]
    for name, figures in result["readers"].items():
        lines.append(
            f"| {name} | {figures['median_s']:.3f} | {figures['events_per_s']:,.0f} "
            f"| {figures['vs_httpx_sse']:.2f}x |"
        )
    ratio = result["readers"]["aiter_events"]["vs_httpx_sse"]
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    lines += [
        "",
        f"aiter_events / httpx-sse = {ratio:.2f}x: {verdict} the {TARGET_RATIO:.2f}x target",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = common.parser(__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="small events")
    parser.add_argument("--large-events", type=int, default=1_000, help="large events")
    parser.add_argument("--large-size", type=int, default=65_536, help="bytes of each")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    if args.smoke:
        args.events, args.large_events, args.rounds = 2_000, 20, 1
    results = {
        "small": scenario(args.events, 0, args.rounds),
        "large": scenario(args.large_events, args.large_size, args.rounds),
    }
    for result in results.values():
        print("\n" + table(result))
    return common.save(args.json, results)


if __name__ == "__main__":
    main()
