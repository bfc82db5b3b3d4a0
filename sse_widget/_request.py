"""A widget's request, and who makes it: the kernel (httpx) or a page (``_browser.py``).

Every start of a ``StreamWidget`` sends the same request again. ``WidgetRequest`` keeps
its options, checks them all when the widget is made (so a wrong argument fails on the
caller's thread, not later on the streams thread), and opens a stream of events over the
chosen transport. Both transports run the same ``StreamSession``: the same checks,
reconnection policies, timeouts and typed errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ._api import _aiter_session
from ._arguments import checked_client
from ._browser import PageLink, page_events
from ._models import Event
from ._reconnect import ReconnectSpec
from ._redact import redact_url
from ._session import ErrorHook, OpenHook, ReconnectHook, StreamSession

__all__ = ["TRANSPORTS", "WidgetRequest"]

#: Who makes the request.
TRANSPORTS = ("kernel", "browser")


@dataclass(frozen=True)
class WidgetRequest:
    """The request options of ``StreamWidget`` (those of ``aiter_events``) and its
    ``transport``."""

    url: str | httpx.URL
    method: str | None
    headers: Mapping[str, str] | httpx.Headers | None
    params: Any
    json: Any
    content: str | bytes | None
    timeout: float | None
    idle_timeout: float | None
    reconnect: ReconnectSpec
    client: httpx.AsyncClient | None
    on_error: ErrorHook | None
    max_event_bytes: int | None
    transport: str = "kernel"

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be 'kernel' or 'browser', not {self.transport!r}")
        if self.transport == "browser" and self.client is not None:
            raise ValueError('client= is an httpx client: transport="browser" uses none')
        # Every argument checked now: building the session checks them all.
        self.session(on_open=None, on_reconnect=None)
        checked_client(self.client, httpx.AsyncClient)

    @property
    def shown_method(self) -> str:
        """The method as sent: POST with a body, else GET, unless given."""
        has_body = self.json is not None or self.content is not None
        return (self.method or ("POST" if has_body else "GET")).upper()

    @property
    def shown_url(self) -> httpx.URL:
        """The URL as httpx sends it (params replace or extend the query), unredacted."""
        return httpx.Request("GET", self.url, params=self.params).url

    @property
    def display_url(self) -> str:
        """The URL with its credentials redacted: what the views may show."""
        return redact_url(str(self.shown_url))

    def session(
        self, *, on_open: OpenHook | None, on_reconnect: ReconnectHook | None
    ) -> StreamSession:
        """A new session for one run of the request."""
        return StreamSession(
            self.url,
            method=self.method,
            headers=self.headers,
            params=self.params,
            json=self.json,
            content=self.content,
            timeout=self.timeout,
            idle_timeout=self.idle_timeout,
            reconnect=self.reconnect,
            on_open=on_open,
            on_reconnect=on_reconnect,
            on_error=self.on_error,
            max_event_bytes=self.max_event_bytes,
        )

    def open(
        self, *, on_open: OpenHook | None, on_reconnect: ReconnectHook | None, link: PageLink
    ) -> AsyncIterator[Event]:
        """The events of one run (nothing is sent until they are read)."""
        session = self.session(on_open=on_open, on_reconnect=on_reconnect)
        if self.transport == "browser":
            return page_events(session, link)
        return _aiter_session(session, self.client)
