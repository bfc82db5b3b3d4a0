"""The Jupyter server extension: kernel websockets with TCP_NODELAY, nothing else changed."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tornado.httpserver import HTTPServer
from tornado.web import Application
from tornado.websocket import WebSocketHandler, websocket_connect

import sse_widget
from sse_widget._server_extension import _load_jupyter_server_extension, no_delay_connection


class Connection:
    """Stands in for the server's kernel websocket connection class."""

    def __init__(self, websocket_handler: Any = None, **_: Any) -> None:
        self.websocket_handler = websocket_handler
        self.calls: list[str] = []

    async def connect(self) -> str:
        self.calls.append("connect")
        return "connected"


class Handler:
    def __init__(self, error: type[BaseException] | None = None) -> None:
        self.error, self.nodelay = error, None
        self.owner: Connection | None = None

    def set_nodelay(self, value: bool) -> None:
        if self.error is not None:
            raise self.error()
        assert self.owner is not None
        assert self.owner.calls == []
        self.nodelay = value


def server_app(settings: dict[str, Any]) -> Any:
    log = logging.getLogger("test-server-extension")
    return SimpleNamespace(web_app=SimpleNamespace(settings=settings), log=log)


def test_the_extension_is_found_in_the_package() -> None:
    assert sse_widget._jupyter_server_extension_points() == [
        {"module": "sse_widget._server_extension"}
    ]


def test_loading_keeps_the_configured_class_and_only_adds_nodelay() -> None:
    settings: dict[str, Any] = {"kernel_websocket_connection_class": Connection, "other": 1}
    _load_jupyter_server_extension(server_app(settings))
    made = settings["kernel_websocket_connection_class"]
    assert made is not Connection
    assert issubclass(made, Connection)
    assert made.__name__ == "Connection"
    assert settings["other"] == 1

    handler = Handler()
    connection = made(websocket_handler=handler)
    handler.owner = connection
    assert asyncio.run(connection.connect()) == "connected"
    assert handler.nodelay is True
    assert connection.calls == ["connect"]

    # Loaded twice (two configs naming it): the same class, not a subclass of a subclass.
    _load_jupyter_server_extension(server_app(settings))
    assert settings["kernel_websocket_connection_class"] is made


@pytest.mark.parametrize("error", [AssertionError, OSError, AttributeError])
def test_a_socket_that_refuses_the_option_still_connects(error: type[BaseException]) -> None:
    connection = no_delay_connection(Connection)(websocket_handler=Handler(error))
    assert asyncio.run(connection.connect()) == "connected"
    assert asyncio.run(no_delay_connection(Connection)().connect()) == "connected"  # no handler


def test_a_server_without_the_setting_is_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    settings: dict[str, Any] = {}
    with caplog.at_level(logging.WARNING):
        _load_jupyter_server_extension(server_app(settings))
    assert settings == {}
    assert "keep Nagle's algorithm" in caplog.text


def nodelay_of_served_socket(extension: bool) -> int:
    """TCP_NODELAY of a real tornado websocket's server side, after the connection class
    from the settings has connected (as Jupyter's KernelWebsocketHandler does it)."""

    class KernelSocket(WebSocketHandler):
        async def open(self) -> None:
            connection = self.settings["kernel_websocket_connection_class"](websocket_handler=self)
            await connection.connect()
            option = self.ws_connection.stream.socket.getsockopt(  # type: ignore[union-attr]
                socket.IPPROTO_TCP, socket.TCP_NODELAY
            )
            self.write_message(str(option))

    async def main() -> int:
        settings: dict[str, Any] = {"kernel_websocket_connection_class": Connection}
        if extension:
            _load_jupyter_server_extension(server_app(settings))
        app = Application([("/ws", KernelSocket)], **settings)
        server = HTTPServer(app)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        server.add_socket(sock)
        try:
            client = await asyncio.wait_for(
                websocket_connect(f"ws://127.0.0.1:{sock.getsockname()[1]}/ws"), 10
            )
            message = await asyncio.wait_for(client.read_message(), 10)
            client.close()
            return int(message)  # type: ignore[arg-type]
        finally:
            server.stop()

    return asyncio.run(main())


def test_a_real_websocket_sends_without_nagle_only_with_the_extension() -> None:
    assert nodelay_of_served_socket(extension=False) == 0
    assert nodelay_of_served_socket(extension=True) != 0


def test_installing_the_package_enables_the_extension() -> None:
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent))
    if jupyter is None:
        pytest.fail("jupyter is not installed beside this Python (the test group needs it)")
    listing = subprocess.run(
        [jupyter, "server", "extension", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    text = listing.stdout + listing.stderr
    assert "sse_widget \x1b[32menabled" in text or "sse_widget enabled" in text, text
    assert f"sse_widget {sse_widget.__version__} \x1b[32mOK" in text or (
        f"sse_widget {sse_widget.__version__} OK" in text
    ), text
