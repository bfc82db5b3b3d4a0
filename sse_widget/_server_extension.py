"""A Jupyter server extension: kernel websockets that send each message at once.

Jupyter's server writes every kernel message to the page's websocket as soon as it has
it, but never turns off Nagle's algorithm on that socket. A small write made while an
earlier one is still unacknowledged then waits for the browser's delayed ACK (up to
40 ms on Linux). A widget sending 60 small deltas a second hits that wait on a good part
of them: on a 2-core machine it was most of the latency's p95 (25 ms of 53). With
``TCP_NODELAY`` the same hop takes under a millisecond.

Installing sse_widget enables this extension (``etc/jupyter/jupyter_server_config.d``);
``jupyter server extension disable sse_widget`` turns it off. It changes nothing but the
socket option: the kernel websocket connection class the server is configured with is
kept, and only its ``connect`` gains one ``set_nodelay(True)`` first.
"""

from __future__ import annotations

import contextlib
from typing import Any

#: Marks a connection class this extension already made: loading twice changes nothing.
_MARK = "_sse_widget_nodelay"  # the attribute NoDelay sets below
_SETTING = "kernel_websocket_connection_class"


def no_delay_connection(base: type) -> type:
    """A subclass of the kernel websocket connection class ``base`` whose ``connect``
    turns off Nagle's algorithm on the websocket before connecting to the kernel."""
    if getattr(base, _MARK, False):
        return base

    class NoDelay(base):  # type: ignore[misc]
        _sse_widget_nodelay = True

        def connect(self) -> Any:
            # No handler, no websocket yet, or a socket that refuses the option: the
            # connection works as before, only without the faster writes.
            with contextlib.suppress(AttributeError, AssertionError, OSError):
                self.websocket_handler.set_nodelay(True)
            return super().connect()  # a coroutine, or whatever the base returns

    NoDelay.__name__ = base.__name__
    NoDelay.__qualname__ = f"no_delay_connection.<{base.__qualname__}>"
    NoDelay.__doc__ = f"{base.__name__} with TCP_NODELAY on its websocket (sse_widget)."
    return NoDelay


def _load_jupyter_server_extension(serverapp: Any) -> None:
    settings = serverapp.web_app.settings
    base = settings.get(_SETTING)
    if not isinstance(base, type) or not hasattr(base, "connect"):
        serverapp.log.warning(
            "sse_widget: this Jupyter server has no %s setting; kernel websockets keep "
            "Nagle's algorithm (widget updates may lag up to 40 ms)",
            _SETTING,
        )
        return
    settings[_SETTING] = no_delay_connection(base)
    serverapp.log.debug("sse_widget: kernel websockets send without Nagle's delay")
