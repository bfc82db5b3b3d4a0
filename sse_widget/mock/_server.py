"""HTTP plumbing of the mock: the server thread, request handling, chunked framing, and
noticing that a client went away or that the server is stopping.

One daemon thread accepts connections and one daemon thread serves each connection, so
the server lives happily inside a Jupyter kernel. Every wait in a response is a
``select`` on the connection socket and on a wake-up socket that ``stop()`` makes
readable: a disconnect or a stop ends the wait at once, however long the delay.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import select
import socket
import socketserver
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ._cors import NO_CORS, Cors, cors_for
from ._faults import (
    KNOB_HELP,
    KnobError,
    Outcome,
    dump_json,
    error_response,
    parse_knobs,
    stream_content_type,
    write_stream,
)
from ._streams import ENDPOINTS, Call, Endpoint, find_endpoint

__all__ = ["MockServer", "Outcome", "RecordedRequest"]

#: How long ``stop()`` lets responses finish by themselves before cutting their sockets,
#: then how long it waits for each thread.
_GRACE_SECONDS = 1.0
_JOIN_SECONDS = 2.0

KnobValue = str | int | float | bool


@dataclass(eq=False)
class RecordedRequest:
    """One request the mock server received, and how its response went."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any  # the body parsed as JSON, or None
    #: Events handed to the socket so far (updated while the response streams).
    events_sent: int = 0
    #: None while the response runs; then "complete", "disconnected" (the client left),
    #: "dropped" (drop_after, or a server bug), "status" (an error status, no stream) or
    #: "stopped" (``MockServer.stop()`` ended it).
    outcome: Outcome | None = None
    #: Set when the response has ended.
    ended: threading.Event = field(default_factory=threading.Event, repr=False)
    #: ``time.monotonic()`` when the response ended.
    ended_at: float | None = None

    def _end(self, outcome: Outcome) -> None:
        if self.ended.is_set():
            return
        self.outcome = outcome
        self.ended_at = time.monotonic()
        self.ended.set()


class _StopSignal:
    """The stop request, also readable as a socket so that a ``select`` can wait for it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._pair: tuple[socket.socket, socket.socket] | None = None

    def open(self) -> None:
        # A socket pair, not a pipe: select() takes sockets on every platform.
        self._pair = socket.socketpair()

    @property
    def reader(self) -> socket.socket:
        """Readable once the stop is requested."""
        if self._pair is None:
            raise RuntimeError("the MockServer is not started")
        return self._pair[0]

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        self._event.set()
        if self._pair is not None:
            # Never read: the socket stays readable and wakes every select, now and later.
            self._pair[1].send(b"x")

    def close(self) -> None:
        for sock in self._pair or ():
            sock.close()


class _Link:
    """A stream's connection: chunk framing, and waits that notice a gone client."""

    def __init__(self, sock: socket.socket, wake: socket.socket, record: RecordedRequest):
        self._sock = sock
        self._wake = wake
        self._record = record

    def send(self, data: bytes, events: int) -> None:
        if not data:  # an empty chunk would be the terminating one
            return
        self._sock.sendall(b"%x\r\n%b\r\n" % (len(data), data))
        self._record.events_sent += events

    def idle(self, seconds: float) -> Outcome | None:
        seconds = max(0.0, seconds)
        deadline = time.monotonic() + seconds
        while True:
            try:
                readable, _, _ = select.select([self._sock, self._wake], [], [], seconds)
            except (OSError, ValueError):  # stop() closed the wake-up socket
                return "stopped"
            if self._wake in readable:
                return "stopped"
            if readable and self._client_left():
                return "disconnected"
            seconds = deadline - time.monotonic()
            if seconds <= 0:
                return None

    def _client_left(self) -> bool:
        try:
            if not self._sock.recv(1, socket.MSG_PEEK):
                return True
            # Bytes after the request (a pipelined one): this connection closes after the
            # stream anyway, so drop them rather than spin on a readable socket.
            self._sock.recv(65536)
        except OSError:  # ConnectionResetError and friends
            return True
        return False

    def finish(self) -> None:
        """The terminating zero-length chunk: the client sees a clean end."""
        self._sock.sendall(b"0\r\n\r\n")

    def drop(self) -> None:
        """End without the terminating chunk, so the client sees a broken body."""
        self._sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Each token is a small write: with Nagle's algorithm, one made while the last is
    # unacknowledged would wait for the client's delayed ACK (up to 40 ms). Real API
    # servers send them at once; so does the mock.
    disable_nagle_algorithm = True
    server: _HTTPServer
    _cors: Cors = NO_CORS  # of the request being answered

    def setup(self) -> None:
        super().setup()
        self.server.mock._register(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.mock._unregister(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a notebook must not fill up with access logs."""

    # Every method is served (and recorded); an endpoint answers 405 to those it refuses.
    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    def _serve(self) -> None:
        mock = self.server.mock
        if mock._stop.is_set():
            self.close_connection = True
            return
        try:
            record = self._record()
        except OSError:  # the client left (or stop() cut it) while sending its request
            self.close_connection = True
            return
        mock._add(record)
        self._cors = cors_for(record.method, record.query, record.headers, always=mock.cors)
        outcome: Outcome = "dropped"  # what an unexpected error leaves the client with
        try:
            outcome = self._respond(record)
        except OSError:
            self.close_connection = True
            outcome = "stopped" if mock._stop.is_set() else "disconnected"
        finally:
            self._cors = NO_CORS
            record._end(outcome)

    def end_headers(self) -> None:
        # Every response of a request, whichever path answers it, carries the CORS headers.
        for name, value in self._cors.headers:
            self.send_header(name, value)
        super().end_headers()

    def _record(self) -> RecordedRequest:
        url = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        body = self._read_body()
        return RecordedRequest(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            json=_parse_json(body),
        )

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length", "")
        return self.rfile.read(int(length)) if length.strip().isdigit() else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while size := int(self.rfile.readline().split(b";")[0] or b"0", 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
            pass
        return b"".join(parts)

    def _respond(self, record: RecordedRequest) -> Outcome:
        if self._cors.preflight:
            self._send(204, "", b"")
            return "complete"
        if record.path == "/":
            self._send(200, "text/plain; charset=utf-8", _help_text().encode())
            return "complete"
        found = find_endpoint(record.path)
        if found is None:
            return self._fail(404, "not_found", f"Unknown path {record.path}; GET / lists them.")
        endpoint, params = found
        if record.method not in endpoint.methods:
            allowed = ", ".join(sorted(endpoint.methods))
            return self._fail(405, "method_not_allowed", f"{record.path} accepts {allowed}.")
        try:
            knobs = parse_knobs(record.query)
        except KnobError as exc:
            return self._fail(400, "invalid_knob", str(exc), param=exc.knob)
        headers = _request_id(endpoint, record)
        if knobs.status is not None:
            if knobs.status == 429 and endpoint.retry_after is not None:
                headers.append(("retry-after", endpoint.retry_after))
            body = error_response(knobs.status, endpoint.flavor, knobs.error_body)
            self._send(knobs.status, *body, headers=headers)
            return "status"
        payload = record.json if isinstance(record.json, dict) else {}
        last_event_id = record.headers.get("last-event-id", "")
        call = Call(record.body, payload, knobs, last_event_id, params)
        if not endpoint.streams(call):
            assert endpoint.document is not None  # streams() is true without one
            document = dump_json(endpoint.document(call))
            self._send(200, "application/json", document, headers=headers)
            return "complete"
        return self._stream(endpoint, call, record, [*headers, *endpoint.headers])

    def _stream(
        self,
        endpoint: Endpoint,
        call: Call,
        record: RecordedRequest,
        headers: list[tuple[str, str]],
    ) -> Outcome:
        self.send_response_only(200)
        self.send_header("Content-Type", stream_content_type(call.knobs))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        # One stream per connection: no pipelined request can hide behind an endless body.
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        link = _Link(self.connection, self.server.mock._stop.reader, record)
        knobs = call.knobs
        outcome = write_stream(
            endpoint.events(call),
            knobs,
            link,
            delay=endpoint.default_delay if knobs.delay is None else knobs.delay,
            last_event_id=call.last_event_id,
            number=knobs.ids and not endpoint.own_ids,
            newline=endpoint.newline,
        )
        if outcome == "dropped":
            link.drop()
        elif outcome != "disconnected":
            link.finish()
        return outcome

    def _fail(self, status: int, kind: str, message: str, param: str | None = None) -> Outcome:
        error = {"message": message, "type": kind, "param": param, "code": None}
        self._send(status, "application/json", dump_json({"error": error}))
        return "status"

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        # send_response_only: no Date header, so the same request gives the same bytes.
        self.send_response_only(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers or ():
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _request_id(endpoint: Endpoint, record: RecordedRequest) -> list[tuple[str, str]]:
    """The endpoint's request-id header, derived from the request (method, target and
    body) so that the same request gets the same id, and another request another one."""
    if endpoint.request_id_header is None:
        return []
    target = f"{record.method} {record.path}?{urlencode(record.query)}\n".encode()
    digest = hashlib.sha256(target + record.body).hexdigest()[:24]
    return [(endpoint.request_id_header, f"req_mock_{digest}")]


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _help_text() -> str:
    lines = ["sse_widget mock server", "", "Endpoints:"]
    width = max(map(len, ENDPOINTS))
    for path, endpoint in ENDPOINTS.items():
        methods = "/".join(sorted(endpoint.methods))
        lines.append(f"  {methods:<9} {path:<{width}} {endpoint.summary}")
    lines += ["", "Knobs (query parameters, on every streaming endpoint):"]
    lines += [f"  {line}" for line in KNOB_HELP]
    lines += ["", "Example: curl -N 'http://HOST:PORT/stream?delay=0.1&drop_after=5'", ""]
    return "\n".join(lines)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() joins the threads itself, with a timeout

    def __init__(self, address: tuple[str, int], mock: MockServer) -> None:
        self.mock = mock
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN: a DNS query, for nothing.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Socket errors are the network's doing (a client left, stop() cut it): silent.
        # Anything else is a bug in the mock: kept for tests to see, never printed.
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, OSError):
            self.mock.errors.append(error)


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the mock server only listens on loopback hosts, not {host!r}")


class MockServer:
    """A deterministic, fault-injecting SSE server on a loopback port, in this process.

    >>> with MockServer() as mock:
    ...     url = mock.url_for("/stream", delay=0.05, drop_after=3)

    ``cors=True``: pages on other origins may call it (the ``cors=1`` knob, one URL).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, cors: bool = False) -> None:
        _check_loopback(host)
        self._address = (host, port)
        #: Answer CORS on every request (else only on those with the ``cors=1`` knob).
        self.cors = cors
        self._state = "new"
        self._state_lock = threading.Lock()
        self._lock = threading.Lock()
        self._stop = _StopSignal()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: Every request received, in order.
        self.requests: list[RecordedRequest] = []
        #: Unexpected exceptions raised while serving (a bug in the mock; stays empty).
        self.errors: list[BaseException] = []

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> MockServer:
        """Bind and serve from a daemon thread; returns ``self``. A no-op when running."""
        with self._state_lock:
            if self._state == "running":
                return self
            if self._state == "stopped":
                raise RuntimeError("a stopped MockServer cannot start again; make a new one")
            self._server = _HTTPServer(self._address, self)
            self._stop.open()
            self._server.socket.setblocking(False)
            self._thread = threading.Thread(
                target=self._accept_loop, name="sse_widget-mock", daemon=True
            )
            self._thread.start()
            self._state = "running"
        return self

    def stop(self) -> None:
        """End every response, free the port and join the threads. Idempotent, silent.

        Streams end at once (cleanly, with the terminating chunk); a response stuck
        sending to a client that does not read is cut after a grace of one second.
        """
        with self._state_lock:
            running = self._state == "running"
            self._state = "stopped"
        if not running:
            return
        self._stop.set()
        assert self._thread is not None
        assert self._server is not None
        self._thread.join(_JOIN_SECONDS)
        self._server.server_close()
        self._end_responses()
        self._stop.close()

    def _end_responses(self) -> None:
        deadline = time.monotonic() + _GRACE_SECONDS
        with self._lock:
            active = [record for record in self.requests if not record.ended.is_set()]
        for record in active:
            record.ended.wait(max(0.0, deadline - time.monotonic()))
        # What is left waits for a request on an idle keep-alive connection, or is stuck
        # sending to a client that does not read: cutting the socket wakes it.
        with self._lock:
            threads = list(self._connections.values())
            for sock in self._connections:
                with contextlib.suppress(OSError):  # already closed by its thread
                    sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(_JOIN_SECONDS)

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MockServer({'running' if self._state == 'running' else 'stopped'})"

    # --- addresses ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on (known once started)."""
        if self._server is None:
            raise RuntimeError("the MockServer is not started")
        return self._server.server_port

    @property
    def url(self) -> str:
        """The base URL, like ``http://127.0.0.1:54321`` (no trailing slash)."""
        host = self._address[0]
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def url_for(self, path: str, **knobs: KnobValue) -> str:
        """The URL of ``path`` with ``knobs`` as query parameters (booleans as 1/0).

        Unknown knobs and bad values raise ``ValueError`` here rather than a 400 later.
        """
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        query = {name: _knob_text(value) for name, value in knobs.items()}
        parse_knobs(query)
        return self.url + path + (f"?{urlencode(query)}" if query else "")

    # --- bookkeeping for the handlers --------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._server is not None
        server = self._server
        while True:
            try:
                readable, _, _ = select.select([server.socket, self._stop.reader], [], [])
            except (OSError, ValueError):
                return
            if self._stop.reader in readable:
                return
            try:
                request, address = server.get_request()
            except OSError:  # BlockingIOError: the client gave up before accept
                continue
            try:
                server.process_request(request, address)
            except Exception:
                server.handle_error(request, address)
                server.shutdown_request(request)

    def _register(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections[sock] = threading.current_thread()
            if self._stop.is_set():  # accepted just as stop() cut the others
                sock.shutdown(socket.SHUT_RDWR)

    def _unregister(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.pop(sock, None)

    def _add(self, record: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(record)


def _knob_text(value: KnobValue) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
