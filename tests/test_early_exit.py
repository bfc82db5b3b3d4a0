"""Leaving a stream early is quiet and closes the connection, however it is left.

Each case runs in a fresh interpreter against the mock server, as a user's script would,
because what it pins happens while ``asyncio.run`` shuts its loop down (regression:
``break`` just before ``asyncio.run`` returned printed "Task exception was never
retrieved … aclose(): asynchronous generator is already running" and a traceback on
stderr). The script reports what the server saw; stderr must stay empty, with every
warning shown.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PRELUDE = """
import asyncio
import contextlib
import time

import httpx

from sse_widget import MockServer, aiter_events, iter_events

with MockServer() as mock:
    url = mock.url_for("/stream", count=1000, delay=0.02)
{body}
    left = time.monotonic()
    records = [r for r in mock.requests if r.path == "/stream"]
    for record in records:
        assert record.ended.wait(2), "the server never saw the end"
        assert record.outcome == "disconnected", record.outcome
        assert record.ended_at - left < 0.5, record.ended_at - left
        assert record.events_sent < 500, record.events_sent
    print(f"{{len(records)}} closed")
"""

CASES = {
    "break, then asyncio.run returns": """
async def main():
    async for event in aiter_events(url):
        break

asyncio.run(main())
""",
    "break in a helper coroutine that is given the stream": """
async def first(events, count):
    received = []
    async for event in events:
        received.append(event)
        if len(received) == count:
            break
    return received

async def main():
    received = await first(aiter_events(url), 3)
    assert len(received) == 3

asyncio.run(main())
""",
    "break in a helper coroutine nested in main": """
async def main():
    async def helper():
        async for event in aiter_events(url):
            if event.data:
                break
        return event

    assert (await helper()).data

asyncio.run(main())
""",
    "break with the caller's client": """
async def main():
    async with httpx.AsyncClient() as client:
        async for event in aiter_events(url, client=client):
            break

asyncio.run(main())
""",
    "break out of the caller's own async generator around the stream": """
async def texts():
    async for event in aiter_events(url):
        yield event.data

async def main():
    async for text in texts():
        break

asyncio.run(main())
""",
    "an exception in the loop body": """
async def main():
    async for event in aiter_events(url):
        raise KeyError("stop")

with contextlib.suppress(KeyError):
    asyncio.run(main())
""",
    "the task cancelled by a timeout": """
async def main():
    flowing = asyncio.Event()

    async def consume():
        async for event in aiter_events(url):
            flowing.set()

    task = asyncio.ensure_future(consume())
    # Wait for a state (events flowing), not for time to pass: on a busy machine the
    # request alone can take longer than the timeout below.
    await asyncio.wait_for(flowing.wait(), 30)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(task, 0.2)  # times out, and cancels the task

asyncio.run(main())
""",
    "two streams left by break in one run": """
async def main():
    async for event in aiter_events(url):
        break
    async for event in aiter_events(url):
        break

asyncio.run(main())
""",
    "sync: break in a script": """
for event in iter_events(url):
    break
""",
    "sync: break in a function": """
def first():
    for event in iter_events(url):
        return event

assert first().data
""",
}


@pytest.mark.parametrize("body", CASES.values(), ids=CASES.keys())
def test_leaving_early_is_quiet_and_closes_the_connection(body: str, tmp_path: Path) -> None:
    script = tmp_path / "leave.py"
    script.write_text(PRELUDE.format(body=textwrap.indent(body, "    ")))
    result = subprocess.run(
        [sys.executable, "-W", "default", str(script)],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert result.stderr == ""
    assert result.returncode == 0
    streams = body.count("_events(url")
    assert result.stdout == f"{streams} closed\n"
