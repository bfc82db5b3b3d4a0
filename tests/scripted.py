"""A scripted HTTP server for ``httpx.MockTransport``, driving both client twins alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from sse_widget import Event, StreamError, aiter_events, iter_events

Reply = Callable[[httpx.Request], httpx.Response]


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Chunks, then optionally a network error: usable by sync and async clients."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.error is not None:
            raise self.error


def reply(
    *chunks: bytes,
    status: int = 200,
    content_type: str | None = "text/event-stream",
    error: Exception | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    def respond(request: httpx.Request) -> httpx.Response:
        all_headers = dict(headers or {})
        if content_type is not None:
            all_headers["content-type"] = content_type
        return httpx.Response(
            status, headers=all_headers, stream=Body(list(chunks), error), request=request
        )

    return respond


def fail(error: Exception) -> Reply:
    def respond(request: httpx.Request) -> httpx.Response:
        raise error

    return respond


class Script:
    """Answers the n-th request with the n-th reply (the last one repeats)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        index = min(len(self.requests), len(self.replies)) - 1
        return self.replies[index](request)


@dataclass
class Outcome:
    events: list[Event] = field(default_factory=list)
    error: StreamError | None = None

    @property
    def data(self) -> list[str]:
        return [event.data for event in self.events]


def collect(
    twin: str, script: Script, url: str = "http://test.local/sse", **kwargs: Any
) -> Outcome:
    """Run ``iter_events`` (twin "sync") or ``aiter_events`` ("async") to the end."""
    outcome = Outcome()
    if twin == "sync":
        with httpx.Client(transport=httpx.MockTransport(script)) as client:
            try:
                for event in iter_events(url, client=client, **kwargs):
                    outcome.events.append(event)
            except StreamError as exc:
                outcome.error = exc
        return outcome

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(script)) as client:
            try:
                async for event in aiter_events(url, client=client, **kwargs):
                    outcome.events.append(event)
            except StreamError as exc:
                outcome.error = exc

    asyncio.run(run())
    return outcome
