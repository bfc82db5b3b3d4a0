"""``aiter_events`` and its sync twin ``iter_events``: the I/O loops around a session.

Both loops are the same few steps; every decision (what to send, whether a response is
acceptable, whether and when to reconnect) belongs to ``StreamSession``. The body is
parsed by our ``EventDecoder`` instead of httpx-sse's ``aiter_sse`` (see ``_decoder.py``
for why).

Leaving the iteration early (``break``, an exception, ``aclose()``, task cancellation)
closes the response at once, which closes the connection; a client we created is closed
too, a caller's client is left open.

Each connection is ``client.send(request, stream=True)`` closed in a ``finally``, not an
``async with client.stream(...)`` (nor httpx-sse's ``aconnect_sse``): those context
managers are async generators, and a loop left by ``break`` just before ``asyncio.run``
returns is closed by ``shutdown_asyncgens``, which closes every async generator it tracks
at once. Our generator's cleanup then drove the context managers' generators while the
loop was closing them too ("aclose(): asynchronous generator is already running" on
stderr). Closing the response is a plain coroutine, so the two never meet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx

from ._arguments import checked_client
from ._exceptions import BODY_EXCERPT_BYTES, EventTooLargeError, ResponseError
from ._models import Event
from ._reconnect import ReconnectSpec
from ._session import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_TIMEOUT,
    ErrorHook,
    OpenHook,
    ReconnectHook,
    ResponseCheck,
    StreamSession,
)

__all__ = ["aiter_events", "iter_events"]


def aiter_events(
    url: str | httpx.URL,
    *,
    method: str | None = None,
    headers: Mapping[str, str] | httpx.Headers | None = None,
    params: Any = None,
    json: Any = None,
    content: str | bytes | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    reconnect: ReconnectSpec = True,
    client: httpx.AsyncClient | None = None,
    on_open: OpenHook | None = None,
    on_reconnect: ReconnectHook | None = None,
    on_error: ErrorHook | None = None,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
) -> AsyncIterator[Event]:
    """Stream the events of ``url`` as they arrive, reconnecting by policy.

    - ``method`` defaults to ``POST`` when ``json`` or ``content`` is given, else ``GET``.
    - ``timeout``: seconds to connect, to send the request and to wait for the response
      headers (a server that never answers is a ``ConnectError``). ``idle_timeout``:
      seconds without any byte of the body (comments count) before the stream is
      declared dead. ``None`` waits forever.
    - ``reconnect``: ``True``/``"safe"`` (default: LLM-safe, 2 retries as the OpenAI and
      Anthropic SDKs do), ``"eventsource"`` (the browser's model, for live feeds),
      ``False``, or a ``Reconnect(...)``.
    - ``client``: an ``httpx.AsyncClient`` you own (base URL, auth, proxies); not closed.
    - ``on_open(response)`` runs for each accepted response (raise to reject it);
      ``on_reconnect(attempt)`` before each reconnection wait; ``on_error(error)`` on each
      failure: return seconds to retry after (even where the policy would stop), ``None``
      to let the policy decide, or raise to end the stream with your exception.
    - ``max_event_bytes``: the largest line or event (its data) accepted; a larger one
      raises ``EventTooLargeError`` as soon as the limit is passed. ``None``: no limit.

    Raises a ``StreamError`` subclass on failure, after yielding every event received
    before it. Arguments are checked at the call, before any request.

    Example::

        async for event in aiter_events(url, json={"stream": True}):
            print(event.data)
    """
    session = StreamSession(
        url,
        method=method,
        headers=headers,
        params=params,
        json=json,
        content=content,
        timeout=timeout,
        idle_timeout=idle_timeout,
        reconnect=reconnect,
        on_open=on_open,
        on_reconnect=on_reconnect,
        on_error=on_error,
        max_event_bytes=max_event_bytes,
    )
    return _aiter_session(session, client)


def iter_events(
    url: str | httpx.URL,
    *,
    method: str | None = None,
    headers: Mapping[str, str] | httpx.Headers | None = None,
    params: Any = None,
    json: Any = None,
    content: str | bytes | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    reconnect: ReconnectSpec = True,
    client: httpx.Client | None = None,
    on_open: OpenHook | None = None,
    on_reconnect: ReconnectHook | None = None,
    on_error: ErrorHook | None = None,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
) -> Iterator[Event]:
    """The blocking twin of ``aiter_events``; ``client`` is an ``httpx.Client``.

    Example::

        for event in iter_events(url):
            print(event.data)
    """
    session = StreamSession(
        url,
        method=method,
        headers=headers,
        params=params,
        json=json,
        content=content,
        timeout=timeout,
        idle_timeout=idle_timeout,
        reconnect=reconnect,
        on_open=on_open,
        on_reconnect=on_reconnect,
        on_error=on_error,
        max_event_bytes=max_event_bytes,
    )
    return _iter_session(session, client)


def _aiter_session(
    session: StreamSession,
    client: httpx.AsyncClient | None,
) -> AsyncIterator[Event]:
    """The events of ``session``.

    A plain function, so a wrong ``client`` fails here, not at the first ``anext``.
    """
    checked_client(client, httpx.AsyncClient)
    return _astream(session, client)


async def _astream(
    session: StreamSession,
    client: httpx.AsyncClient | None,
) -> AsyncIterator[Event]:
    http = client if client is not None else httpx.AsyncClient()
    try:
        while True:
            try:
                request = http.build_request(session.method, session.url, **session.request_args())
                response = await http.send(request, stream=True, follow_redirects=True)
                try:
                    verdict = session.check(response)
                    if verdict is ResponseCheck.NO_CONTENT:
                        return
                    if verdict is not ResponseCheck.OK:
                        raise verdict.error(response, await _aread_excerpt(response))
                    decoder = session.connected(response)
                    async for chunk in response.aiter_bytes():
                        events = decoder.feed(chunk)
                        if events:
                            session.received(len(events))
                            for event in events:
                                yield event
                        if decoder.exceeded:
                            raise session.too_large(decoder)
                finally:
                    await response.aclose()
                delay = session.after_end()
            except (httpx.HTTPError, ResponseError, EventTooLargeError) as exc:
                delay = session.after_failure(exc)
            if delay is None:
                return
            await asyncio.sleep(delay)
    finally:
        if client is None:
            await http.aclose()


def _iter_session(session: StreamSession, client: httpx.Client | None) -> Iterator[Event]:
    checked_client(client, httpx.Client)
    return _stream(session, client)


def _stream(session: StreamSession, client: httpx.Client | None) -> Iterator[Event]:
    http = client if client is not None else httpx.Client()
    try:
        while True:
            try:
                request = http.build_request(session.method, session.url, **session.request_args())
                response = http.send(request, stream=True, follow_redirects=True)
                try:
                    verdict = session.check(response)
                    if verdict is ResponseCheck.NO_CONTENT:
                        return
                    if verdict is not ResponseCheck.OK:
                        raise verdict.error(response, _read_excerpt(response))
                    decoder = session.connected(response)
                    for chunk in response.iter_bytes():
                        events = decoder.feed(chunk)
                        if events:
                            session.received(len(events))
                            yield from events
                        if decoder.exceeded:
                            raise session.too_large(decoder)
                finally:
                    response.close()
                delay = session.after_end()
            except (httpx.HTTPError, ResponseError, EventTooLargeError) as exc:
                delay = session.after_failure(exc)
            if delay is None:
                return
            time.sleep(delay)
    finally:
        if client is None:
            http.close()


async def _aread_excerpt(response: httpx.Response) -> bytes:
    """The first KB or so of a rejected response's body; whatever arrived if reading fails."""
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > BODY_EXCERPT_BYTES:
                break
    except httpx.HTTPError:
        pass
    return bytes(body)


def _read_excerpt(response: httpx.Response) -> bytes:
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > BODY_EXCERPT_BYTES:
                break
    except httpx.HTTPError:
        pass
    return bytes(body)
