"""Watch a Server-Sent Events stream live in a Jupyter notebook."""

from ._api import aiter_events, iter_events
from ._exceptions import (
    ConnectError,
    ConnectionLostError,
    ContentTypeError,
    HTTPStatusError,
    IdleTimeoutError,
    NetworkError,
    ResponseError,
    RetriesExhaustedError,
    ServerEventError,
    StreamError,
)
from ._models import Event, ReconnectAttempt
from ._reconnect import Reconnect
from ._version import __version__

__all__ = [
    "ConnectError",
    "ConnectionLostError",
    "ContentTypeError",
    "Event",
    "HTTPStatusError",
    "IdleTimeoutError",
    "NetworkError",
    "Reconnect",
    "ReconnectAttempt",
    "ResponseError",
    "RetriesExhaustedError",
    "ServerEventError",
    "StreamError",
    "__version__",
    "aiter_events",
    "iter_events",
]
