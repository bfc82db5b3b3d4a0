"""The token server of ``bench_browser.py``: paced SSE streams that record when each token left.

It runs as a process of its own (``python benchmarks/browser_server.py`` prints
``port N`` and serves on 127.0.0.1 until killed), for two reasons: the kernel's CPU
figure must not include the server's, and the emit timestamps must not wait on the
kernel's GIL. ``TokenServer`` (below) starts it so for a benchmark and reads its records.
Latency is then "token written to the socket" (here, ``time.time()``) to
"token in the page's DOM" (the page's ``Date.now()``): the same machine clock.

Endpoints (``id`` names a run; everything about it is kept for the benchmark to fetch):

``GET /stream?id=ID&rate=R&count=N[&gate=1]``, ``GET /stream?id=ID&rate=R&doc=BYTES[&reasoning=1]``
    ``count`` numbered tokens ``" t0"``, ``" t1"``…, one ``data:`` event each; or with
    ``doc=BYTES`` the word-like tokens of a generated markdown document of about that
    size, as OpenAI Chat Completions chunks ending in ``[DONE]`` (with ``reasoning=1``, as
    the model's reasoning, then a one-word answer). Token ``i`` falls
    due ``i / R`` seconds after the start; whatever is due is written in one chunk (a fast
    model's server does the same), and the time of each write is recorded. ``gate=1``
    sends the headers and a comment, then holds the tokens until ``POST /go?id=ID``, so
    the page can attach its probes to the widget before the first token.
``POST /go?id=ID``
    Opens the gate of run ``ID``.
``GET /log?id=ID``
    ``{"planned", "sent", "started", "ended", "outcome", "writes": [[first_index, t], ...]}``:
    each write's first token index and ``time.time()`` just before it.
``POST /report?id=ID`` (JSON body) / ``GET /report?id=ID``
    A mailbox: the kernel posts its own measurements here, the benchmark reads them. It
    works while the page is frozen, when asking the kernel through a cell would not.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

#: How long a gated stream waits for its go before giving up.
GATE_TIMEOUT_S = 120.0
#: While gated, a comment this often, so that no idle timeout fires.
GATE_PING_S = 1.0

_TOKEN = re.compile(r"\s*\S+|\s+\Z")


# -- the markdown document ------------------------------------------------------------

_VOCABULARY = """
stream token event frame kernel widget browser latency buffer delta answer model server client
socket render layout paint block table list code fence heading paragraph quote link message
channel queue window budget update snapshot sequence generation status caret scroll follow
batch flush timer rate limit
"""
_WORDS = _VOCABULARY.split()
_CODE = [
    "def handle_{k}(events, limit={n}):",
    '    """Fold a stream of events into text, at most `limit` at a time."""',
    "    total = 0",
    "    parts = []",
    "    for index, event in enumerate(events):",
    "        if index >= limit:",
    "            break",
    "        parts.append(event.data.strip())",
    "        total += len(event.data)",
    '    return "".join(parts), total',
    "",
    "",
    "class Buffer{k}:",
    "    def __init__(self, size: int = {n}) -> None:",
    "        self.size = size",
    "        self.items: list[str] = []",
]


def _sentence(rng: random.Random, words: int) -> str:
    picked = [rng.choice(_WORDS) for _ in range(words)]
    return " ".join(picked).capitalize() + "."


def _section(k: int) -> tuple[str, dict[str, int]]:
    """One section of about 1.3 KB: every block type the markdown view has to handle."""
    rng = random.Random(k)
    n = rng.randint(10, 999)
    title = " ".join(rng.choice(_WORDS) for _ in range(4))
    paragraph = " ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(4))
    paragraph = paragraph.replace(" kernel ", " **kernel** ", 1).replace(" frame ", " *frame* ", 1)
    items = "\n".join(f"- {_sentence(rng, rng.randint(4, 9))}" for _ in range(3))
    nested = f"  - nested: `{rng.choice(_WORDS)}_{n}` and [a link](https://example.com/{k})"
    ordered = "\n".join(f"{i}. {_sentence(rng, rng.randint(3, 7))}" for i in range(1, 4))
    rows = "\n".join(
        f"| {rng.choice(_WORDS)} {i} | {rng.randint(0, 10_000):,} | {_sentence(rng, 3)} |"
        for i in range(6)
    )
    code = "\n".join(line.format(k=k, n=n) for line in _CODE)
    text = (
        f"## Section {k}: {title}\n\n"
        f"{paragraph}\n\n"
        f"{items}\n{nested}\n\n"
        f"{ordered}\n\n"
        f"| name | count | note |\n|---|---:|---|\n{rows}\n\n"
        f"```python\n{code}\n```\n\n"
        f"> {_sentence(rng, 12)}\n\n"
    )
    return text, {"h2": 1, "table": 1, "pre": 1, "blockquote": 1}


@lru_cache(maxsize=4)
def markdown_document(size: int) -> tuple[str, dict[str, int]]:
    """A deterministic markdown document of about ``size`` characters (ASCII, so bytes
    too), and how many of each element it should render to."""
    parts = ["# A long streamed answer\n\n", "What follows is generated, section by section.\n\n"]
    counts = {"h2": 0, "table": 0, "pre": 0, "blockquote": 0}
    length = sum(map(len, parts))
    k = 0
    while length < size:
        text, found = _section(k)
        parts.append(text)
        length += len(text)
        for name, number in found.items():
            counts[name] += number
        k += 1
    parts.append("End of document.\n")
    return "".join(parts), counts


@lru_cache(maxsize=4)
def _openai_events(size: int, field: str = "content") -> tuple[bytes, ...]:
    """The document as OpenAI chunks, encoded once (the server then costs nothing per
    token): as the answer (``content``), or as reasoning (``reasoning_content``, as
    DeepSeek and vLLM stream a model's thinking) followed by a one-word answer."""
    tokens = _TOKEN.findall(markdown_document(size)[0])
    head = '{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,'
    head += '"model":"bench","choices":[{"index":0,"delta":'
    events = tuple(
        b"data: %s\n\n" % (head + json.dumps({field: t}) + ',"finish_reason":null}]}').encode()
        for t in tokens
    )
    if field != "content":
        events += (
            b"data: %s\n\n" % (head + '{"content":"Done."},"finish_reason":null}]}').encode(),
        )
    return events


_OPENAI_END = (
    b'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,'
    b'"model":"bench","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)


# -- runs -----------------------------------------------------------------------------


@dataclass
class Run:
    planned: int
    gate: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    started: float | None = None
    ended: float | None = None
    outcome: str | None = None
    writes: list[tuple[int, float]] = field(default_factory=list)
    report: Any = None

    def log(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "sent": self.sent,
            "started": self.started,
            "ended": self.ended,
            "outcome": self.outcome,
            "writes": self.writes,
        }


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}

    def get(self, run_id: str, planned: int = 0) -> Run:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                run = self._runs[run_id] = Run(planned)
            elif planned:
                run.planned = planned
            return run


RUNS = Registry()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the benchmark's output is its tables

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def _json(self, status: int, value: Any) -> None:
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        route, query = urlsplit(self.path).path, self._query()
        if route == "/stream":
            self._stream(query)
        elif route == "/log":
            self._json(200, RUNS.get(query["id"]).log())
        elif route == "/report":
            report = RUNS.get(query["id"]).report
            self._json(200 if report is not None else 404, report)
        elif route == "/ping":
            self._json(200, "pong")
        else:
            self._json(404, None)

    def do_POST(self) -> None:
        route, query = urlsplit(self.path).path, self._query()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if route == "/go":
            RUNS.get(query["id"]).gate.set()
            self._json(200, "go")
        elif route == "/report":
            RUNS.get(query["id"]).report = json.loads(body or b"null")
            self._json(200, "ok")
        elif route == "/stream":
            self._stream(query)
        else:
            self._json(404, None)

    def _stream(self, query: dict[str, str]) -> None:
        rate = float(query.get("rate", 100))
        if "doc" in query:
            field = "reasoning_content" if query.get("reasoning") == "1" else "content"
            events = _openai_events(int(query["doc"]), field)
            end = _OPENAI_END
        else:
            events = tuple(b"data:  t%d\n\n" % i for i in range(int(query.get("count", 100))))
            end = b""
        run = RUNS.get(query["id"], planned=len(events))
        sock = self.connection
        # Small writes must leave at once: Nagle's algorithm would hold them for the ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def chunk(payload: bytes) -> None:
            sock.sendall(b"%x\r\n%s\r\n" % (len(payload), payload))

        try:
            chunk(b": open\n\n")
            if query.get("gate") == "1":
                deadline = time.monotonic() + GATE_TIMEOUT_S
                while not run.gate.wait(GATE_PING_S):
                    if time.monotonic() > deadline:
                        run.outcome = "gate timeout"
                        return
                    chunk(b": waiting\n\n")
            self._pace(run, events, rate, chunk)
            if end:
                chunk(end)
            sock.sendall(b"0\r\n\r\n")
            run.outcome = "complete"
        except OSError:
            run.outcome = "disconnected"  # the reader left (a consumer that gave up)
        finally:
            run.ended = time.time()

    @staticmethod
    def _pace(run: Run, events: tuple[bytes, ...], rate: float, chunk: Any) -> None:
        start = time.monotonic()
        run.started = time.time()
        sent = 0
        while sent < len(events):
            due = min(len(events), int((time.monotonic() - start) * rate) + 1)
            if due > sent:
                run.writes.append((sent, time.time()))
                chunk(b"".join(events[sent:due]))
                sent = run.sent = due
            else:
                # Sleep until the next token falls due; the OS may wake us late, and then
                # everything overdue goes in one write (its real time is what is recorded).
                time.sleep(max(0.0, start + sent / rate - time.monotonic()))


# -- its handle, for the benchmarks ---------------------------------------------------


class TokenServer:
    """``browser_server.py`` in a process of its own; its URL and its records."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.fullmatch(r"port (\d+)\n", line)
        if not found:
            self.close()
            raise RuntimeError(f"the token server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{found.group(1)}"
        self.client = httpx.Client(base_url=self.base, timeout=10.0)

    def url(self, **query: Any) -> str:
        return str(httpx.URL(f"{self.base}/stream", params=query))

    def go(self, run: str) -> None:
        self.client.post("/go", params={"id": run}).raise_for_status()

    def log(self, run: str) -> dict[str, Any]:
        log: dict[str, Any] = self.client.get("/log", params={"id": run}).json()
        return log

    def report(self, run: str, timeout: float) -> dict[str, Any] | None:
        """What the kernel posted for ``run``; ``None`` if nothing came within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.client.get("/report", params={"id": run})
            if response.status_code == 200:
                report: dict[str, Any] = response.json()
                return report
            time.sleep(0.1)
        return None

    def close(self) -> None:
        with contextlib.suppress(AttributeError):
            self.client.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
