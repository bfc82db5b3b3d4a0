"""transport="browser" in JupyterLab and Chromium: the page makes the request.

The mock servers run in the test's own process, on another port than JupyterLab's: to
the page, another origin (a model on the reader's laptop, in real use). They record
every request, so the tests see who made each one (the page's carry its ``Origin``; the
kernel's would not), its headers and body, and when its connection closed.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, expect

from sse_widget import MockServer

from .lab import Notebook
from .test_stream_widget import printed, wait_status, widget

pytestmark = pytest.mark.browser

KEY = "sk-fake-browser-transport-7f3a9c"
CHAT = {"model": "mock-gpt", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
SETUP = f"""\
import json
from sse_widget import StreamWidget
CHAT = {CHAT!r}
HEADERS = {{"Authorization": "Bearer {KEY}"}}
"""


@pytest.fixture(scope="module")
def cors_mock() -> Iterator[MockServer]:
    with MockServer(cors=True) as server:
        yield server


@pytest.fixture(scope="module")
def plain_mock() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def show(notebook: Notebook, url: str, options: str = "") -> tuple[int, Locator]:
    """Show ``w``, a browser-transport widget for ``url``; its cell and view."""
    notebook.run(SETUP)
    cell = notebook.submit(
        f"w = StreamWidget({url!r}, json=CHAT, headers=HEADERS, format='openai', "
        f"transport='browser'{options})\nw"
    )
    return cell, widget(notebook, cell)


def first_line(answer: str) -> str:
    """The answer's first line as the markdown view shows it (a heading's text)."""
    return answer.split("\n")[0].lstrip("# ")[:40]


def origin(notebook: Notebook) -> str:
    return notebook.page.evaluate("location.origin")


def test_a_post_with_a_key_streams_from_another_origin_into_the_view_and_wait(
    notebook: Notebook, cors_mock: MockServer
) -> None:
    before = len(cors_mock.requests)
    _cell, view = show(notebook, cors_mock.url_for("/v1/chat/completions", rate=400))
    wait_status(view, "done", timeout=60)
    answer = printed(notebook, "print(json.dumps(w.wait(30)))")
    assert len(answer) > 200
    expect(view.locator(".sse-widget-markdown")).to_contain_text(first_line(answer))
    made = cors_mock.requests[before:]
    posts = [r for r in made if r.method == "POST"]
    assert len(posts) == 1
    [post] = posts
    assert post.headers["origin"] == origin(notebook)
    assert post.headers["authorization"] == f"Bearer {KEY}"
    assert post.json == CHAT
    # The page's preflight asked for the headers the request sets and no other (the
    # usual local servers allow these, not Cache-Control).
    [preflight] = [r for r in made if r.method == "OPTIONS"]
    assert preflight.headers["access-control-request-headers"] == "authorization,content-type"
    # No request from the kernel: every one has the page's Origin.
    assert all(r.headers.get("origin") == origin(notebook) for r in made)
    stats = printed(notebook, "print(json.dumps([w.stats['tokens'], w.transport]))")
    assert stats[0] > 10
    assert stats[1] == "browser"
    notebook.screenshot("done", view)


def failure(notebook: Notebook) -> list[Any]:
    """``w``'s error once it ends: its type, message and (if any) last error's type."""
    return printed(  # type: ignore[no-any-return]
        notebook,
        "try:\n    w.wait(60)\nexcept Exception as e:\n"
        "    last = getattr(e, 'last_error', None)\n"
        "    print(json.dumps([type(e).__name__, str(e), type(last).__name__]))",
        timeout=90,
    )


def test_a_server_without_cors_gives_the_cors_error_and_what_to_allow(
    notebook: Notebook, plain_mock: MockServer
) -> None:
    _cell, view = show(notebook, plain_mock.url_for("/v1/chat/completions"))
    wait_status(view, "error", timeout=60)
    kind, message, _ = failure(notebook)
    assert kind == "CORSError"
    page_origin = origin(notebook)
    assert f"Access-Control-Allow-Origin: {page_origin}" in message
    assert "Access-Control-Allow-Headers: authorization, content-type" in message
    assert f"OLLAMA_ORIGINS={page_origin}" in message
    expect(view.locator(".sse-widget-error")).to_contain_text("CORS")
    notebook.screenshot("cors", view)


def test_an_http_error_read_by_the_page_carries_the_servers_words(
    notebook: Notebook, cors_mock: MockServer
) -> None:
    _cell, view = show(notebook, cors_mock.url_for("/v1/chat/completions", status=401))
    wait_status(view, "error", timeout=60)
    kind, message, _ = failure(notebook)
    assert kind == "HTTPStatusError"
    assert "401" in message
    assert "invalid_api_key" in message or "API key" in message, message
    expect(view.locator(".sse-widget-error")).to_contain_text("401")


def test_a_server_that_is_not_there_is_a_network_failure_not_cors(notebook: Notebook) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _cell, view = show(notebook, f"http://127.0.0.1:{port}/v1/chat/completions")
    wait_status(view, "error", timeout=60)
    kind, _message, last = failure(notebook)
    # Retried as the kernel's transport would (nothing had arrived), then given up.
    assert (kind, last) == ("RetriesExhaustedError", "ConnectError")


def slow_stream(notebook: Notebook, mock: MockServer, rate: int) -> tuple[Locator, Any]:
    """Show a slow browser-transport stream; its view and the page's POST, once text shows."""
    _cell, view = show(notebook, mock.url_for("/v1/chat/completions", rate=rate))
    expect(view.locator(".sse-widget-markdown")).not_to_be_empty(timeout=30_000)
    [post] = [r for r in mock.requests if r.method == "POST" and not r.ended.is_set()]
    return view, post


@pytest.mark.parametrize("where", ["page", "kernel"])
def test_stop_closes_the_pages_connection_at_once(
    notebook: Notebook, cors_mock: MockServer, where: str
) -> None:
    view, post = slow_stream(notebook, cors_mock, rate=10)
    stopped = time.monotonic()
    if where == "page":
        view.locator(".sse-widget-stop").click()  # the view aborts its fetch itself
    else:
        notebook.run("w.stop()")  # the kernel tells the view to abort
    assert post.ended.wait(5)
    assert post.outcome == "disconnected"
    if where == "page":
        assert post.ended_at - stopped < 0.2, f"closed {post.ended_at - stopped:.3f} s after"
    wait_status(view, "stopped")


def test_two_views_make_one_request_and_both_show_the_answer(
    notebook: Notebook, cors_mock: MockServer
) -> None:
    before = len(cors_mock.requests)
    first_cell, first = show(notebook, cors_mock.url_for("/v1/chat/completions", rate=100))
    second = widget(notebook, notebook.submit("w"))
    wait_status(first, "done", timeout=60)
    wait_status(second, "done", timeout=60)
    answer = printed(notebook, "print(json.dumps(w.wait(30)))")
    posts = [r for r in cors_mock.requests[before:] if r.method == "POST"]
    assert len(posts) == 1
    line = first_line(answer)
    expect(first.locator(".sse-widget-markdown")).to_contain_text(line)
    expect(second.locator(".sse-widget-markdown")).to_contain_text(line)
    assert first_cell >= 0


# The page going to the background and back, as a browser signals it.
HIDE_AND_SHOW = """async () => {
    for (const hidden of [true, false]) {
        Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
        Object.defineProperty(document, "visibilityState", {
            value: hidden ? "hidden" : "visible", configurable: true,
        });
        document.dispatchEvent(new Event("visibilitychange"));
        await new Promise((resolve) => setTimeout(resolve, 300));
    }
}"""


def test_a_hidden_tab_keeps_its_request_and_never_sends_it_twice(
    notebook: Notebook, cors_mock: MockServer
) -> None:
    before = len(cors_mock.requests)
    view, post = slow_stream(notebook, cors_mock, rate=40)
    notebook.page.evaluate(HIDE_AND_SHOW)
    wait_status(view, "done", timeout=60)
    assert [r.method for r in cors_mock.requests[before:]].count("POST") == 1
    assert post.outcome == "complete"


def test_a_reload_mid_stream_stops_it_with_a_clear_error(
    notebook: Notebook, cors_mock: MockServer
) -> None:
    _view, post = slow_stream(notebook, cors_mock, rate=5)
    notebook.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    notebook.page.reload()
    notebook.wait_for_kernel_idle(timeout=60)
    assert post.ended.wait(10)  # the page's fetch died with the page
    kind, message, _ = failure(notebook)
    assert kind == "ConnectionLostError"
    assert "went away" in message
    assert printed(notebook, "print(len(w.text))") > 0  # what came before is kept


def test_eventsource_resumes_through_another_open_page_when_the_first_closes(
    notebook: Notebook, cors_mock: MockServer, chromium: Browser
) -> None:
    notebook.run(SETUP)
    url = cors_mock.url_for("/feed", interval=0.1)
    first = widget(
        notebook,
        notebook.submit(
            f"w = StreamWidget({url!r}, transport='browser', reconnect='eventsource', "
            "render='events')\nw"
        ),
    )
    expect(first.locator("tbody tr").first).to_be_visible(timeout=30_000)
    notebook.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    # The same notebook (and kernel) in a second page, the widget shown there too.
    other = Notebook.in_new_context(
        notebook.lab, chromium, notebook.path, screenshot_prefix="resume-second-page"
    ).open()
    try:
        second = widget(other, other.submit("w"))
        expect(second.locator("tbody tr").first).to_be_visible(timeout=30_000)
        feeds = [r for r in cors_mock.requests if r.path == "/feed" and r.method == "GET"]
        assert len(feeds) == 1
        notebook.page.close()  # the page making the request goes away
        deadline = time.monotonic() + 30
        while len(feeds) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            feeds = [r for r in cors_mock.requests if r.path == "/feed" and r.method == "GET"]
        assert len(feeds) == 2, "no other page took the stream over"
        resumed = feeds[1]
        assert resumed.headers["origin"] == origin(other)
        last = int(resumed.headers["last-event-id"])
        assert last >= 1
        events = printed(
            other,
            "import time\ntime.sleep(1)\n"
            "print(json.dumps([w.status, [int(e.id) for e in w.events]]))",
        )
        status, ids = events
        assert status == "streaming"
        assert ids == list(range(ids[0], ids[-1] + 1)), "an event was lost or repeated"
        assert ids[-1] > last
        other.run("w.stop()")
    finally:
        other.close()


def test_the_key_is_absent_from_state_every_other_message_and_the_saved_notebook(
    notebook: Notebook, cors_mock: MockServer
) -> None:
    notebook.run(SETUP)
    url = cors_mock.url_for("/v1/chat/completions", rate=400)
    cell = notebook.submit(
        f"w = StreamWidget({url!r}, json=CHAT, headers=HEADERS, format='openai', "
        "transport='browser', autostart=False)\n"
        "sent = []\n"
        "publish = w.comm.publish_msg\n"
        "def recording(msg_type, data=None, **keys):\n"
        "    sent.append(json.dumps(data, default=str))\n"
        "    return publish(msg_type, data=data, **keys)\n"
        "w.comm.publish_msg = recording\n"
        "w.start()\nw"
    )
    wait_status(widget(notebook, cell), "done", timeout=60)
    holding: list[Any] = printed(
        notebook,
        f"w.wait(30)\nprint(json.dumps([json.loads(m).get('content', {{}}).get('kind') "
        f"for m in sent if {KEY!r} in m] + [len(sent), {KEY!r} in json.dumps(w.get_state())]))",
    )
    *kinds, count, in_state = holding
    assert kinds == ["request"]
    assert count > 5
    assert in_state is False
    # The command's promise settles once the file is written.
    notebook.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    content = json.loads((notebook.lab.root_dir / notebook.path).read_text(encoding="utf-8"))
    outputs = [cell.get("outputs", []) for cell in content["cells"]]
    assert any(outputs), "the notebook was saved without its outputs"
    # The cells' sources hold the key (this test writes it there); what the notebook
    # saved of the widget (outputs, widget state in the metadata) must not.
    assert KEY not in json.dumps(outputs) + json.dumps(content.get("metadata", {}))
