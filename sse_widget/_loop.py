"""The one background thread, with its own event loop, on which every widget streams.

A task on the kernel's own loop pauses while a cell blocks (``time.sleep``, heavy
compute). On this thread streams keep reading, coalescing and sending to the front end
(IOPub sends are thread-safe in ipykernel) while the user works. One thread serves all
widgets: twenty streams are twenty tasks, not twenty threads.

Everything a stream does (HTTP, parsing, the user's ``on_*`` callbacks, the flush timer)
runs here; the kernel's main thread only starts, stops and reads.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["StreamsThread", "streams_thread"]

T = TypeVar("T")


class StreamsThread:
    """A daemon thread running an asyncio loop, started on first use."""

    def __init__(self, name: str = "sse-widget-streams") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                self._start()
            assert self._loop is not None
            return self._loop

    def in_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coroutine`` as a task on the streams loop."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def call(self, function: Callable[..., object], *args: object) -> None:
        """Call ``function(*args)`` on the streams loop, soon; at once if already there."""
        if self.in_thread():
            function(*args)
        else:
            self.loop.call_soon_threadsafe(function, *args)

    def run(self, function: Callable[[], object], timeout: float = 5.0) -> None:
        """Call ``function()`` on the streams loop and wait (at most ``timeout``) for it;
        call it here if the thread is not running (nothing else can touch its state then,
        and starting a thread at interpreter exit fails)."""
        with self._lock:
            loop, thread = self._loop, self._thread
        if self.in_thread() or loop is None or thread is None or not thread.is_alive():
            function()
            return
        done = concurrent.futures.Future[None]()

        def call() -> None:
            try:
                function()
                done.set_result(None)
            except BaseException as exc:  # handed to the waiting thread
                done.set_exception(exc)

        loop.call_soon_threadsafe(call)
        done.result(timeout)

    def stop(self, timeout: float = 2.0) -> None:
        """Cancel every task and end the thread (at interpreter exit; tests)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(_cancel_all, loop)
        thread.join(timeout)

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                loop.close()

        thread = threading.Thread(target=run, name=self._name, daemon=True)
        thread.start()
        ready.wait()
        self._loop, self._thread = loop, thread


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()

    async def finish() -> None:
        await asyncio.gather(*tasks, return_exceptions=True)
        loop.stop()

    loop.create_task(finish())


#: The thread every widget shares.
streams_thread = StreamsThread()
atexit.register(streams_thread.stop)
