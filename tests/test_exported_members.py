"""The public surface is deliberate: ``__all__`` names exactly what the package offers."""

from __future__ import annotations

import inspect
import subprocess
import sys
from types import ModuleType

import pytest

import sse_widget
from sse_widget import _exceptions


def test_all_is_exactly_the_public_names() -> None:
    public = {
        name
        for name in dir(sse_widget)
        if not name.startswith("_") and not isinstance(getattr(sse_widget, name), ModuleType)
    }
    assert set(sse_widget.__all__) == public | {"__version__"}
    assert len(sse_widget.__all__) == len(set(sse_widget.__all__))
    for name in sse_widget.__all__:
        value = getattr(sse_widget, name)
        assert getattr(value, "__name__", name) == name or name in ("FORMATS", "__version__")


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'StreamWidgit'"):
        sse_widget.StreamWidgit  # noqa: B018
    with pytest.raises(ImportError):
        exec("from sse_widget import StreamWidgit", {})


def test_importing_the_package_alone_loads_no_widget_or_http_code() -> None:
    # Jupyter's server imports the package to find its extension: it must stay cheap.
    code = (
        "import sys, sse_widget, sse_widget._server_extension\n"
        "heavy = {'httpx', 'httpx_sse', 'anywidget', 'ipywidgets', 'traitlets'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "from sse_widget import StreamWidget\n"
        "print('anywidget' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split("\n")
    assert out[:2] == ["[]", "True"]


def test_the_exported_names() -> None:
    assert sorted(sse_widget.__all__) == [
        "CORSError",
        "ConnectError",
        "ConnectionLostError",
        "ContentTypeError",
        "Event",
        "EventTooLargeError",
        "Extractor",
        "FORMATS",
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
