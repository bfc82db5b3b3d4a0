"""The public surface is deliberate: ``__all__`` names exactly what the package offers."""

from __future__ import annotations

import inspect
from types import ModuleType

import sse_widget
from sse_widget import _exceptions


def test_all_is_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(sse_widget).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert set(sse_widget.__all__) == public | {"__version__"}
    assert len(sse_widget.__all__) == len(set(sse_widget.__all__))


def test_the_exported_names() -> None:
    assert sorted(sse_widget.__all__) == [
        "ConnectError",
        "ConnectionLostError",
        "ContentTypeError",
        "Event",
        "EventTooLargeError",
        "Extractor",
        "FORMATS",
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


def test_every_error_is_exported_and_drawn_in_the_tree() -> None:
    errors = {
        name
        for name, value in vars(_exceptions).items()
        if inspect.isclass(value) and issubclass(value, sse_widget.StreamError)
    }
    assert errors == set(_exceptions.__all__)
    assert errors <= set(sse_widget.__all__)
    tree = _exceptions.__doc__ or ""
    for name in errors:
        assert f" {name} " in tree or f"    {name}" in tree, name
