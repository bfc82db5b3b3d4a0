"""Watch a Server-Sent Events stream live in a Jupyter notebook."""

from ._api import aiter_events, iter_events
from ._exceptions import (
    ConnectError,
    ConnectionLostError,
    ContentTypeError,
    EventTooLargeError,
    HTTPStatusError,
    IdleTimeoutError,
    NetworkError,
    ResponseError,
    RetriesExhaustedError,
    ServerEventError,
    StreamError,
)
from ._formats import FORMATS, Extractor, MalformedEvent, get_extractor
from ._models import Event, ReconnectAttempt
from ._reconnect import Reconnect
from ._version import __version__
from ._widget import StreamWidget
from .mock import MockServer

__all__ = [
    "FORMATS",
    "ConnectError",
    "ConnectionLostError",
    "ContentTypeError",
    "Event",
    "EventTooLargeError",
    "Extractor",
    "HTTPStatusError",
    "IdleTimeoutError",
    "MalformedEvent",
    "MockServer",
    "NetworkError",
    "Reconnect",
    "ReconnectAttempt",
    "ResponseError",
    "RetriesExhaustedError",
    "ServerEventError",
    "StreamError",
    "StreamWidget",
    "__version__",
    "aiter_events",
    "get_extractor",
    "iter_events",
]
