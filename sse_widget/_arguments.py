"""The arguments of a stream, checked at the call.

A mistake raises here, before any request, with a message that names the argument: not
later on the widget's background thread, not as an ``AttributeError`` from inside httpx,
and not as a request that goes out with ``<object object at 0x…>`` in its query string.
``TypeError`` for a value of the wrong kind, ``ValueError`` for a right kind with a wrong
value, as Python's own functions do.
"""

from __future__ import annotations

import json as json_module
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

__all__ = [
    "checked_client",
    "checked_content",
    "checked_count",
    "checked_flag",
    "checked_headers",
    "checked_hook",
    "checked_limit",
    "checked_method",
    "checked_params",
    "checked_seconds",
    "json_body",
]

# RFC 9110 5.6.2: the characters of a token (method and header names).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_IN_VALUES = re.compile(r"[\r\n\x00]")
_QUERY_VALUE_TYPES = (str, int, float, bool, type(None))


def _kind(value: object) -> str:
    return type(value).__name__


def checked_method(method: object, *, has_body: bool) -> str:
    """The request method, upper-cased; ``POST`` with a body, else ``GET``, by default."""
    if method is None:
        return "POST" if has_body else "GET"
    if not isinstance(method, str):
        raise TypeError(f"method must be a str like 'GET' or 'POST', not {_kind(method)}")
    if not _TOKEN.fullmatch(method):
        raise ValueError(f"method must be an HTTP method name like 'GET' or 'POST', not {method!r}")
    return method.upper()


def checked_headers(headers: object) -> httpx.Headers:
    """``headers`` as ``httpx.Headers``, each name a token and each value one line."""
    if headers is None:
        return httpx.Headers()
    if isinstance(headers, httpx.Headers):
        pairs: Iterable[Any] = headers.raw
    elif isinstance(headers, Mapping):
        pairs = headers.items()
    elif isinstance(headers, (str, bytes)) or not isinstance(headers, Iterable):
        raise TypeError(
            "headers must be a mapping of names to values (a dict or httpx.Headers), "
            f"not {_kind(headers)}"
        )
    else:
        pairs = list(headers)
        if not all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs):
            raise TypeError("headers must be a mapping of names to values, or (name, value) pairs")
    for name, value in pairs:
        _check_header(name, value)
    return httpx.Headers(headers)  # type: ignore[arg-type]


def _check_header(name: object, value: object) -> None:
    if not isinstance(name, (str, bytes)):
        raise TypeError(f"headers: a name must be str or bytes, not {_kind(name)}")
    text = name.decode("latin-1") if isinstance(name, bytes) else name
    if not _TOKEN.fullmatch(text):
        raise ValueError(f"headers: {text!r} is not a valid header name")
    if not isinstance(value, (str, bytes)):
        raise TypeError(f"headers: the value of {text!r} must be str or bytes, not {_kind(value)}")
    shown = value.decode("latin-1") if isinstance(value, bytes) else value
    if _FORBIDDEN_IN_VALUES.search(shown):
        # Checked for every header, secret or not, so the value itself is never shown.
        raise ValueError(f"headers: the value of {text!r} contains a line break or NUL")
    if isinstance(value, str) and not value.isascii():
        raise ValueError(
            f"headers: the value of {text!r} is not ASCII; pass it as bytes to send "
            "other bytes (e.g. its UTF-8 encoding)"
        )


def checked_params(params: object) -> Any:
    """``params`` as given, once httpx can read it and every value is a plain one."""
    if params is None or isinstance(params, (str, httpx.QueryParams)):
        return params
    if isinstance(params, Mapping):
        items: Iterable[Any] = params.items()
        lists = True  # httpx sends {"tag": ["x", "y"]} as tag=x&tag=y
    elif isinstance(params, (list, tuple)):
        items = params
        lists = False  # but a list in a pair would go out as its repr
        if not all(isinstance(pair, tuple) and len(pair) == 2 for pair in items):
            raise TypeError("params must be a mapping, (name, value) pairs or a query string")
    else:
        raise TypeError(
            f"params must be a mapping, (name, value) pairs or a query string, not {_kind(params)}"
        )
    for name, value in items:
        if not isinstance(name, str):
            raise TypeError(f"params: a name must be str, not {_kind(name)}")
        values = value if lists and isinstance(value, (list, tuple)) else [value]
        for each in values:
            if not isinstance(each, _QUERY_VALUE_TYPES):
                allowed = "str, int, float, bool or None" + (
                    " (or a list of them)" if lists else ""
                )
                raise TypeError(
                    f"params: the value of {name!r} must be {allowed}, not {_kind(each)}"
                )
    return params


def json_body(value: object) -> bytes:
    """``json=`` serialized once, as httpx would: compact, UTF-8, no NaN or infinity.

    Serializing at the call catches what is not JSON before any request, and makes every
    reconnection send the same bytes, even if the caller changes the object meanwhile.
    """
    try:
        text = json_module.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except TypeError as exc:
        raise TypeError(f"json= must be serializable to JSON: {exc}") from exc
    except ValueError as exc:  # NaN or infinity, a circular reference
        raise ValueError(f"json= must be serializable to JSON: {exc}") from exc
    return text.encode("utf-8")


def checked_content(content: object) -> str | bytes | None:
    if content is None or isinstance(content, (str, bytes)):
        return content
    # A stream or an iterator could not be sent again on a reconnection.
    raise TypeError(f"content must be str or bytes, not {_kind(content)}")


def checked_seconds(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or None, not {_kind(value)}")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive number of seconds or None, not {value!r}")
    return float(value)


def checked_limit(max_event_bytes: object) -> int | None:
    if max_event_bytes is None:
        return None
    if isinstance(max_event_bytes, bool) or not isinstance(max_event_bytes, int):
        raise TypeError(
            f"max_event_bytes must be a positive int or None, not {_kind(max_event_bytes)}"
        )
    if max_event_bytes <= 0:
        raise ValueError(f"max_event_bytes must be a positive int or None, not {max_event_bytes}")
    return max_event_bytes


def checked_count(name: str, value: object, *, none: bool = False) -> int | None:
    """A count of at least 1 (``None`` too, if ``none``: no limit)."""
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {_kind(value)}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return value


def checked_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return value


def checked_hook(name: str, hook: Any) -> Callable[..., Any] | None:
    if hook is not None and not callable(hook):
        raise TypeError(f"{name} must be callable or None, not {_kind(hook)}")
    return hook  # type: ignore[no-any-return]


def checked_client(client: object, expected: type[httpx.AsyncClient] | type[httpx.Client]) -> None:
    """``client`` must be ``None`` or the kind of httpx client the loop drives."""
    if client is None or isinstance(client, expected):
        return
    message = f"client must be an httpx.{expected.__name__}, not {_kind(client)}"
    if isinstance(client, httpx.Client):
        message += " (an httpx.Client goes with iter_events)"
    elif isinstance(client, httpx.AsyncClient):
        message += " (an httpx.AsyncClient goes with aiter_events)"
    raise TypeError(message)
