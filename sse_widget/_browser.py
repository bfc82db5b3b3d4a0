"""``transport="browser"``: the page makes the request; the kernel reads what it receives.

For endpoints only the reader's browser can reach (a model on the reader's laptop, a
company VPN, a kernel with no network), one view of the widget makes the request with
@microsoft/fetch-event-source (``js/transport.js``) and forwards the events it parses.
Everything else stays where it is: the kernel's ``StreamSession`` decides every attempt
(the same reconnection policies, timeouts and typed errors), and the events go through the
same extractor, callbacks, text and deltas as the kernel's own. The browser only fetches.

The conversation, in custom messages (``kind``), for attempt ``n`` of a stream::

    kernel ─► views   {"kind": "call", "attempt": n}            who makes attempt n?
    views  ─► kernel  {"kind": "volunteer", "view": v}          each view; also on render
    kernel ─► views   {"kind": "request", "attempt": n, "view": v, "url", "method",
                       "headers", "body", "base64"}              the first volunteer only acts
    view v ─► kernel  {"kind": "response", "status", "headers", "url", "body"}
                      {"kind": "events", "events": [[type, data, id, retry, ms], …]}
                      {"kind": "alive"}                          when nothing else was sent
                      {"kind": "end"} | {"kind": "fail", "error", "message", …}
                      {"kind": "gone"}                           the view is going away
    kernel ─► views   {"kind": "abort", "attempt": n}           stop, or a new attempt

Every message from view ``v`` carries ``view``, ``attempt``, ``bytes`` (body bytes so far:
the idle timeout counts bytes, comments included) and ``hidden`` (whether the page is
hidden). The kernel listens only to the view it asked, for the attempt it asked: two views
or two tabs never make two requests, and a late message of an earlier attempt is ignored.

The request message is the only one that carries the headers, credentials included: it
goes once per attempt, as a custom message (Jupyter sends those to the pages connected to
the kernel, and keeps them nowhere), never in the widget's state or the saved notebook.

A page that goes away (closed, reloaded) cannot always say so: the view sends at least
one message a second, and silence longer than ``SILENCE`` (``HIDDEN_SILENCE`` for a page
that said it is hidden: browsers run its timers once a minute) counts as the connection
lost. ``"safe"`` then stops with that error, and ``"eventsource"`` asks the open views
again, resuming from the last event id.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from ._exceptions import CORSError, EventTooLargeError, NoPageError, StreamError
from ._models import Event
from ._session import ResponseCheck, StreamSession

__all__ = ["HIDDEN_SILENCE", "SILENCE", "PageLink", "page_events"]

#: Seconds without a message from the view making the request before it counts as gone.
SILENCE = 5.0
#: The same for a page that said it was hidden.
HIDDEN_SILENCE = 130.0

Message = dict[str, Any]

_GONE = "the page making the request went away (closed, reloaded or asleep)"

#: Request headers the browser sets or forbids; ``Cache-Control`` would also make every
#: request need a preflight the usual local servers refuse (the view asks fetch for
#: ``cache: "no-store"`` instead).
_NOT_SENT = frozenset({"cache-control", "host", "content-length", "connection"})


class PageLink:
    """A widget's side of the conversation with its views, on the streams thread.

    ``send`` sends a custom message to the views (in turn, through the widget's budget).
    ``receive`` takes every message a view sends.
    """

    def __init__(self, send: Callable[[Message], None]) -> None:
        self._send = send
        self.attempt = 0
        #: The view making the current attempt's request, once one volunteered.
        self.view: str | None = None
        self._volunteer: asyncio.Future[str] | None = None
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        #: Whether the view's last message said its page is hidden.
        self._hidden = False

    def receive(self, message: Message) -> None:
        view = message.get("view")
        if not isinstance(view, str):
            return
        if message.get("kind") == "volunteer":
            waiting = self._volunteer
            if waiting is not None and not waiting.done():
                waiting.set_result(view)
            return
        # Only the view asked, and only about this attempt (a "gone" is about the view).
        if view == self.view and (
            message.get("kind") == "gone" or message.get("attempt") == self.attempt
        ):
            self._inbox.put_nowait(message)

    async def claim(self, timeout: float | None, url: str) -> str:
        """Ask the views who makes the next attempt; the first to answer does."""
        self.abort()
        self.attempt += 1
        self._inbox = asyncio.Queue()
        self._hidden = False
        self._volunteer = asyncio.get_running_loop().create_future()
        self._send({"kind": "call", "attempt": self.attempt})
        try:
            self.view = await asyncio.wait_for(self._volunteer, timeout)
        except TimeoutError:
            raise NoPageError(
                f'transport="browser": no page showed the widget within {timeout:g} s to '
                f"make the request to {url}. Show it (make it the last line of a cell), or "
                f'use transport="kernel" where no browser runs (scripts, nbval).',
                url=url,
            ) from None
        finally:
            self._volunteer = None
        return self.view

    def request(self, session: StreamSession) -> None:
        """Send the view the request to make (the only message with the headers)."""
        args = session.request_args()
        text, encoded = _body_text(args["content"])
        self._send(
            {
                "kind": "request",
                "attempt": self.attempt,
                "view": self.view,
                "url": str(httpx.Request(session.method, session.url, params=args["params"]).url),
                "method": session.method,
                "headers": [list(header) for header in _page_headers(args["headers"])],
                "body": text,
                "base64": encoded,
            }
        )

    def abort(self) -> None:
        """Tell the view making the request to abort it (the server sees the close)."""
        if self.view is not None:
            self._send({"kind": "abort", "attempt": self.attempt, "view": self.view})
            self.view = None

    async def next(self, deadline: float | None) -> Message | None:
        """The next message of the view making the request, or ``None`` once ``deadline``
        (``time.monotonic()``) has passed first; ``TimeoutError`` when the view has been
        silent longer than ``SILENCE`` (``HIDDEN_SILENCE`` when its page said it is hidden):
        it has gone."""
        silence = HIDDEN_SILENCE if self._hidden else SILENCE
        left = None if deadline is None else deadline - time.monotonic()
        try:
            message = await asyncio.wait_for(
                self._inbox.get(), silence if left is None else max(0.0, min(silence, left))
            )
        except TimeoutError:
            if left is not None and left <= silence:
                return None
            raise
        self._hidden = bool(message.get("hidden"))
        return message


async def page_events(session: StreamSession, link: PageLink) -> AsyncIterator[Event]:
    """The events of ``session``, fetched by a view: ``_api._astream``'s twin."""
    try:
        while True:
            try:
                await link.claim(session.timeout, session.shown_url)
                link.request(session)
                response, body = await _response(session, link)
                verdict = session.check(response)
                if verdict is ResponseCheck.NO_CONTENT:
                    return
                if verdict is not ResponseCheck.OK:
                    raise verdict.error(response, body)
                session.connected(response)
                async for events in _batches(session, link):
                    session.received(len(events))
                    for event in events:
                        yield event
                delay = session.after_end()
            except (httpx.HTTPError, StreamError) as exc:
                link.abort()
                delay = session.after_failure(exc)
            if delay is None:
                return
            await asyncio.sleep(delay)
    finally:
        link.abort()


async def _response(session: StreamSession, link: PageLink) -> tuple[httpx.Response, bytes]:
    """The response's status and headers as the page saw them (and a rejected one's body)."""
    timeout = session.timeout
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            message = await link.next(deadline)
        except TimeoutError:
            raise httpx.ConnectError(_GONE) from None
        if message is None:
            raise httpx.ConnectTimeout(f"no response within {timeout:g} s")
        kind = message.get("kind")
        if kind == "alive":
            continue
        if kind != "response":
            raise _failure(session, message)
        headers = httpx.Headers([(str(k), str(v)) for k, v in message.get("headers", [])])
        request = httpx.Request(session.method, str(message.get("url") or session.url))
        response = httpx.Response(int(message.get("status", 0)), headers=headers, request=request)
        return response, str(message.get("body") or "").encode("utf-8")


async def _batches(session: StreamSession, link: PageLink) -> AsyncIterator[list[Event]]:
    """Each batch of events the view forwards, until the body ends."""
    idle = session.idle_timeout
    progress = time.monotonic()
    received = 0
    while True:
        try:
            message = await link.next(None if idle is None else progress + idle)
        except TimeoutError:
            raise httpx.ReadError(_GONE) from None
        if message is None:
            raise httpx.ReadTimeout("no data")
        count = message.get("bytes")
        if isinstance(count, int) and count > received:
            received = count
            progress = time.monotonic()
        kind = message.get("kind")
        if kind == "events":
            events, too_large = _events(session, message.get("events"))
            if events:
                yield events
            if too_large is not None:
                raise too_large
        elif kind == "end":
            return
        elif kind != "alive":
            raise _failure(session, message)


def _events(session: StreamSession, raw: Any) -> tuple[list[Event], EventTooLargeError | None]:
    """Events as the page parsed them (``[type, data, id, retry, ms]`` each), up to one
    larger than ``max_event_bytes`` if one is (the page holds it already; the kernel
    keeps its bound all the same).

    fetch-event-source hands over every block, even one without data (the spec dispatches
    none for it) and cannot tell ``data:`` with nothing after it from no data: a block
    whose data is empty only moves the last event id and reconnection time.
    """
    events: list[Event] = []
    for item in raw if isinstance(raw, list) else ():
        kind, data, event_id, retry = (list(item) + [None] * 4)[:4]
        retry_ms = retry if isinstance(retry, int) and retry >= 0 else None
        last_id = str(event_id) if event_id else session.last_event_id
        session.parsed_elsewhere(last_id, retry_ms)
        if not data:
            continue
        limit = session.max_event_bytes
        if limit is not None and len(str(data).encode("utf-8", "replace")) > limit:
            return events, EventTooLargeError(limit=limit, url=session.shown_url)
        events.append(
            Event(event=str(kind or "message"), data=str(data), id=last_id, retry=retry_ms)
        )
    return events, None


def _failure(session: StreamSession, message: Message) -> Exception:
    """The error a view reported (or its going away), as the kernel's transport would."""
    kind = message.get("kind")
    text = str(message.get("message") or "")
    if kind == "gone":
        return httpx.ReadError(_GONE)
    error = message.get("error")
    if error == "cors":
        return CORSError(
            url=session.shown_url,
            origin=str(message.get("origin") or "the page's origin"),
            method=session.method,
            header_names=[
                name
                for name, _ in _page_headers(session.request_args()["headers"])
                if name != "accept"
            ],
            detail=text,
        )
    if error == "lost":
        return httpx.ReadError(text or "the connection broke")
    return httpx.ConnectError(text or "the page could not connect")


def _page_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """What a view sends of a session's request headers (names lower-case)."""
    return [
        (name.lower(), value) for name, value in headers.items() if name.lower() not in _NOT_SENT
    ]


def _body_text(body: bytes | None) -> tuple[str | None, bool]:
    """The body as text for a JSON message: UTF-8 as is, anything else in base64."""
    if body is None:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True
