"""Raw-socket loopback servers for failures the mock server does not imitate.

``serve(handler)`` listens on 127.0.0.1 (an ephemeral port) and runs ``handler(conn)`` in
a thread per connection; leaving the ``with`` block closes the listener and every
connection, and joins the threads. Each connection's record says what the server saw.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field


@dataclass
class Connection:
    """One accepted connection, as the server saw it."""

    sock: socket.socket
    accepted_at: float
    request: bytes = b""
    bytes_sent: int = 0
    #: Set when the client closed the connection (or the server gave up on it).
    closed: threading.Event = field(default_factory=threading.Event)
    closed_at: float = 0.0

    def read_request(self) -> bytes:
        """The request head (and whatever followed it in the same reads)."""
        while b"\r\n\r\n" not in self.request:
            piece = self.sock.recv(65536)
            if not piece:
                break
            self.request += piece
        return self.request

    def wait_for_close(self, seconds: float) -> bool:
        """Block until the client closes (True) or ``seconds`` pass (False)."""
        self.sock.settimeout(seconds)
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            return False
        self.mark_closed()
        return True

    def mark_closed(self) -> None:
        if not self.closed.is_set():
            self.closed_at = time.monotonic()
            self.closed.set()


Handler = Callable[[Connection], None]


@dataclass
class Server:
    url: str
    connections: list[Connection]


@contextmanager
def serve(handler: Handler) -> Iterator[Server]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    server = Server(f"http://127.0.0.1:{listener.getsockname()[1]}", [])
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def run(connection: Connection) -> None:
        try:
            handler(connection)
        except OSError:
            connection.mark_closed()  # the client left while we wrote

    def accept() -> None:
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection = Connection(sock, time.monotonic())
            server.connections.append(connection)
            thread = threading.Thread(target=run, args=(connection,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stop.set()
        acceptor.join(5)
        listener.close()
        for connection in server.connections:
            # Wakes a handler blocked in recv or sendall.
            with suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(5)
        for connection in server.connections:
            connection.sock.close()


def silent(connection: Connection) -> None:
    """Accept the request and never answer: no status line, no headers."""
    connection.read_request()
    connection.wait_for_close(60)


SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-store\r\n"
    b"connection: close\r\n\r\n"
)


def endless_line(total: int = 1 << 30, block: int = 65536) -> Handler:
    """Answer 200 and a body of ``total`` bytes that never has a line feed."""

    def handle(connection: Connection) -> None:
        connection.read_request()
        connection.sock.sendall(SSE_HEAD + b"data: ")
        filler = b"x" * block
        try:
            while connection.bytes_sent < total:
                connection.sock.sendall(filler)
                connection.bytes_sent += block
        except OSError:
            connection.mark_closed()
            return
        connection.wait_for_close(60)

    return handle
