"""Watch a Server-Sent Events stream live in a Jupyter notebook.

Each public name is imported the first time it is used, so ``import sse_widget`` alone
costs next to nothing: Jupyter's server imports the package at start-up to find its
server extension (``_server_extension``), and must not pay for widgets and HTTP there.
"""

import importlib as _importlib
import typing as _typing

from ._version import __version__

if _typing.TYPE_CHECKING:
    from ._api import aiter_events, iter_events
    from ._exceptions import (
        ConnectError,
        ConnectionLostError,
        ContentTypeError,
        CORSError,
        EventTooLargeError,
        HTTPStatusError,
        IdleTimeoutError,
        NetworkError,
        NoPageError,
        ResponseError,
        RetriesExhaustedError,
        ServerEventError,
        StreamError,
    )
    from ._formats import (
        FORMATS,
        Extractor,
        JSONFormat,
        MalformedEvent,
        ReasoningPart,
        TextPart,
        ToolCall,
        ToolCallPart,
        get_extractor,
    )
    from ._models import Event, ReconnectAttempt
    from ._reconnect import Reconnect
    from ._widget import StreamWidget
    from .mock import MockServer

#: Where each public name lives.
_HOMES = {
    name: module
    for module, names in {
        "._api": "aiter_events iter_events",
        "._exceptions": "CORSError ConnectError ConnectionLostError ContentTypeError "
        "EventTooLargeError HTTPStatusError IdleTimeoutError NetworkError NoPageError "
        "ResponseError RetriesExhaustedError ServerEventError StreamError",
        "._formats": "FORMATS Extractor JSONFormat MalformedEvent ReasoningPart TextPart ToolCall "
        "ToolCallPart get_extractor",
        "._models": "Event ReconnectAttempt",
        "._reconnect": "Reconnect",
        "._widget": "StreamWidget",
        ".mock": "MockServer",
    }.items()
    for name in names.split()
}

__all__ = [
    "FORMATS",
    "CORSError",
    "ConnectError",
    "ConnectionLostError",
    "ContentTypeError",
    "Event",
    "EventTooLargeError",
    "Extractor",
    "HTTPStatusError",
    "IdleTimeoutError",
    "JSONFormat",
    "MalformedEvent",
    "MockServer",
    "NetworkError",
    "NoPageError",
    "ReasoningPart",
    "Reconnect",
    "ReconnectAttempt",
    "ResponseError",
    "RetriesExhaustedError",
    "ServerEventError",
    "StreamError",
    "StreamWidget",
    "TextPart",
    "ToolCall",
    "ToolCallPart",
    "__version__",
    "aiter_events",
    "get_extractor",
    "iter_events",
]


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(home, __name__), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Jupyter's server finds its extension here (see ``_server_extension``)."""
    return [{"module": "sse_widget._server_extension"}]
