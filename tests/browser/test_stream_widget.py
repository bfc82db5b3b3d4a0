"""StreamWidget in a real JupyterLab and Chromium, against the in-kernel mock server.

Each test drives a notebook the way a user would (cells, buttons) and reads what the page
shows. Screenshots are saved under ``tests/browser/screenshots/``.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from .lab import Notebook

pytestmark = pytest.mark.browser

SETUP = """\
import json, time
from sse_widget import MockServer, StreamWidget
mock = MockServer().start()
"""

# Polls a widget's body in the page every 25 ms and returns what it showed over time,
# until its status pill says the stream ended (or the time runs out). `widget` is the
# .sse-widget element (which a later view may take over, elsewhere in the page).
SAMPLE_JS = """
async (widget, [selector, timeoutMs]) => {
  const samples = [];
  const end = Date.now() + timeoutMs;
  for (;;) {
    const body = widget.querySelector(selector);
    samples.push(body ? body.textContent : null);
    const status = widget.dataset.status;
    if (["done", "stopped", "error"].includes(status) || Date.now() > end) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return samples;
}
"""

FAKE_KEY = "sk-test-FAKE-0123456789abcdef"
FAKE_QUERY_KEY = "FAKE-QUERY-SECRET-42"


def widget(notebook: Notebook, cell: int) -> Locator:
    """The StreamWidget view in a cell's output."""
    return notebook.output(cell).locator(".sse-widget")


def show_widget(notebook: Notebook, code: str) -> tuple[int, Locator]:
    """Start a mock server, run ``code`` (which makes ``w`` and ends with ``w``) in a new
    cell and return that cell's index and the widget's view."""
    notebook.run(SETUP)
    cell = notebook.submit(code)
    return cell, widget(notebook, cell)


def text_streaming(notebook: Notebook, *, count: int, rate: int) -> tuple[int, Locator]:
    """Show ``w``, a text view of ``count`` tokens of ``/stream`` at ``rate`` a second;
    return its cell and view once the first text shows."""
    cell, view = show_widget(
        notebook,
        f'w = StreamWidget(mock.url_for("/stream", count={count}, rate={rate}), render="text")\nw',
    )
    expect(view.locator(".sse-widget-text")).not_to_be_empty(timeout=20_000)
    return cell, view


def printed(notebook: Notebook, code: str, *, timeout: float = 30.0) -> Any:
    """Run ``code`` (which prints one JSON value) and return the value."""
    output = notebook.run(code, timeout=timeout)
    return json.loads(output.inner_text())


def wait_status(view: Locator, status: str, *, timeout: float = 30.0) -> None:
    expect(view).to_have_attribute("data-status", status, timeout=timeout * 1000)


def test_tokens_stream_in_order_and_the_final_text_is_the_answer(notebook: Notebook) -> None:
    _cell, view = show_widget(
        notebook,
        'w = StreamWidget(mock.url_for("/stream", count=300, rate=100), render="text")\nw',
    )
    expect(view).to_be_visible(timeout=20_000)
    view.evaluate("el => { el.drawnWhileStreaming = true; }")
    samples: list[str | None] = view.evaluate(SAMPLE_JS, [".sse-widget-text", 20_000])
    answer = printed(notebook, "print(json.dumps(w.wait(10)))")
    sent = printed(notebook, "print(json.dumps(w._channel.snapshots_sent))")

    seen = [s for s in samples if s]
    assert seen, "the body never showed any text"
    # Live: many different states on the way, each a prefix of the next (in order,
    # nothing lost, nothing repeated), ending with the whole answer.
    assert len(set(seen)) >= 10, f"only {len(set(seen))} distinct states"
    for earlier, later in itertools.pairwise(seen):
        assert later.startswith(earlier)
    expect(view.locator(".sse-widget-text")).to_have_text(answer, use_inner_text=False)
    assert view.locator(".sse-widget-text").text_content() == answer
    expect(view.locator(".sse-widget-status")).to_have_text("done")
    # The final display update (the answer saved in the notebook) made JupyterLab create
    # a new view: it took the drawn one over, and no second snapshot was needed.
    assert view.evaluate("el => el.drawnWhileStreaming") is True
    # At most the one the view asked for if it appeared after the first delta went out.
    assert sent <= 1
    notebook.screenshot("done", view)


def test_markdown_and_code_render_and_the_answer_is_saved_in_the_notebook(
    notebook: Notebook,
) -> None:
    cell, view = show_widget(
        notebook,
        "w = StreamWidget(\n"
        '    mock.url_for("/v1/chat/completions", rate=40, api_key=' + repr(FAKE_QUERY_KEY) + "),\n"
        '    json={"model": "mock-gpt", "stream": True,\n'
        '          "messages": [{"role": "user", "content": "Explain SSE"}]},\n'
        '    headers={"Authorization": "Bearer ' + FAKE_KEY + '"},\n'
        '    format="openai",\n'
        ")\n"
        "w",
    )
    expect(view.locator(".sse-widget-markdown li").first).to_be_visible(timeout=20_000)
    notebook.screenshot("streaming", view)  # the README's picture
    wait_status(view, "done")
    answer = printed(notebook, "print(json.dumps(w.wait(10)))")

    body = view.locator(".sse-widget-markdown")
    expect(body.locator("h2").first).to_be_visible()
    expect(body.locator("ul li").first).to_be_visible()
    code = body.locator("pre code.language-python")
    expect(code).to_have_count(1)
    assert code.locator(".hljs-keyword").count() >= 1, "the code is not highlighted"
    assert "#" not in (body.locator("h1").text_content() or "")
    assert view.locator(".sse-widget-caret").count() == 0
    expect(view.locator(".sse-widget-url")).to_contain_text("api_key=")
    notebook.screenshot("markdown", view)

    # The final text is in the cell's output itself (as markdown and plain text), so the
    # saved notebook shows it without widget state. It came from the streams thread.
    outputs = notebook.page.evaluate(
        """([path, index]) => {
            for (const w of window.jupyterapp.shell.widgets("main")) {
              if (w.context && w.context.path === path)
                return w.content.widgets[index].model.outputs.toJSON();
            }
        }""",
        [notebook.path, cell],
    )
    bundles = [o["data"] for o in outputs if "data" in o]
    assert any(b.get("text/markdown") == answer for b in bundles), bundles
    assert any(b.get("text/plain") == answer for b in bundles)

    # No credential in what the page shows or in the saved file, outside the code the
    # user typed (a real notebook would read the key from the environment).
    notebook.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    time.sleep(1.0)
    saved = notebook.lab.api("GET", f"/api/contents/{notebook.path}").json()["content"]
    for saved_cell in saved["cells"]:
        saved_cell.pop("source")
    shown = notebook.page.locator(".jp-OutputArea").evaluate_all(
        "areas => areas.map(a => a.outerHTML).join('')"
    )
    for secret in (FAKE_KEY, FAKE_QUERY_KEY):
        assert secret not in shown
        assert secret not in json.dumps(saved)
    saved_outputs = saved["cells"][cell]["outputs"]
    assert any(o.get("data", {}).get("text/markdown") == answer for o in saved_outputs)


def test_stop_cancels_the_request_and_the_server_sees_the_disconnect(notebook: Notebook) -> None:
    _cell, view = show_widget(
        notebook,
        'w = StreamWidget(mock.url_for("/feed", interval=0.05), render="text")\nw',
    )
    expect(view.locator(".sse-widget-text")).to_contain_text('"n":5', timeout=20_000)
    stop = view.locator(".sse-widget-stop")
    expect(stop).to_be_enabled()
    stop.click()
    wait_status(view, "stopped", timeout=10)
    expect(stop).to_be_disabled()
    result = printed(
        notebook,
        "r = mock.requests[-1]\n"
        "ended = r.ended.wait(2)\n"
        'print(json.dumps({"ended": ended, "outcome": r.outcome, "status": w.status,\n'
        '                  "events": r.events_sent, "text": w.text}))',
    )
    assert result["ended"] is True
    assert result["outcome"] == "disconnected"
    assert result["status"] == "stopped"
    # The feed stopped growing: what the page shows is what the kernel received.
    time.sleep(0.5)
    assert view.locator(".sse-widget-text").text_content() == result["text"]
    assert 5 <= result["events"] < 400
    notebook.screenshot("stopped", view)

    notebook.run("w.restart()")
    wait_status(view, "streaming")
    expect(view.locator(".sse-widget-text")).to_contain_text('"n":3', timeout=10_000)
    assert view.locator(".sse-widget-text").text_content().startswith('{"n":1,')
    view.locator(".sse-widget-stop").click()
    wait_status(view, "stopped")


XSS = (
    "Before.\n\n"
    "<script>window.__pwned = 'script'</script>\n\n"
    '<img src="x" onerror="window.__pwned = \'img\'">\n\n'
    "![pic](x onerror=alert(1))\n\n"
    "[click me](javascript:window.__pwned='link')\n\n"
    "<iframe src=\"javascript:window.__pwned='iframe'\"></iframe>\n\n"
    "<a href=\"javascript:window.__pwned='a'\">raw link</a>\n\n"
    "![remote](https://tracker.example/pixel.png?secret=1)\n\n"
    "After."
)


def test_html_and_script_in_the_stream_never_execute(notebook: Notebook) -> None:
    dialogs: list[str] = []
    notebook.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    requests: list[str] = []
    notebook.page.on("request", lambda request: requests.append(request.url))
    _cell, view = show_widget(
        notebook,
        "w = StreamWidget(\n"
        '    mock.url_for("/v1/chat/completions", rate=200, text=' + repr(XSS) + "),\n"
        '    json={"stream": True, "messages": []}, format="openai")\n'
        "w",
    )
    wait_status(view, "done")
    body = view.locator(".sse-widget-markdown")
    expect(body).to_contain_text("After.")
    for link in body.locator("a").all():
        link.click(modifiers=["Control"])  # a real click: nothing may run
    time.sleep(0.5)
    assert notebook.page.evaluate("() => window.__pwned") is None
    assert dialogs == []
    assert body.locator("script, iframe, object, embed").count() == 0
    assert body.locator("img").count() == 0, "a remote image was loaded"
    assert not any("tracker.example" in url for url in requests)
    for element in body.locator("*").all():
        attributes = element.evaluate("el => [...el.attributes].map(a => a.name + '=' + a.value)")
        for attribute in attributes:
            assert not attribute.startswith("on"), attribute
            assert "javascript:" not in attribute.lower(), attribute
    # The raw HTML is shown as text, so the reader sees what the model wrote.
    expect(body).to_contain_text("<script>window.__pwned = 'script'</script>")
    expect(body.locator(".sse-widget-image-blocked")).to_contain_text("[image: remote]")
    notebook.screenshot("xss", view)


def test_a_late_second_view_catches_up_and_continues_live(notebook: Notebook) -> None:
    _first_cell, first = text_streaming(notebook, count=400, rate=80)
    time.sleep(1.5)
    second_cell = notebook.submit("w")
    second = widget(notebook, second_cell)
    expect(second).to_be_visible(timeout=10_000)
    # It shows the text so far at once (from a snapshot), not only what comes next.
    expect(second.locator(".sse-widget-text")).to_contain_text(
        first.locator(".sse-widget-text").text_content()[:200], timeout=5_000
    )
    samples = second.evaluate(SAMPLE_JS, [".sse-widget-text", 20_000])
    assert len({s for s in samples if s}) >= 5, "the second view did not stream live"
    answer = printed(notebook, "print(json.dumps(w.wait(10)))")
    for view in (first, second):
        expect(view.locator(".sse-widget-text")).to_have_text(answer, use_inner_text=False)
    notebook.screenshot("second-view", second)


def test_a_reloaded_page_shows_the_text_so_far_and_continues_live(notebook: Notebook) -> None:
    cell, view = text_streaming(notebook, count=900, rate=60)
    time.sleep(1.5)
    # Saved, so that the reloaded page has the cell and its widget output to show.
    notebook.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    notebook.wait_in_page(
        "() => !document.querySelector('.jp-mod-current .jp-mod-dirty')",
        timeout=10,
        what="the notebook to be saved",
    )
    before = view.locator(".sse-widget-text").text_content() or ""
    notebook.page.reload()
    notebook.wait_for_kernel_idle(timeout=60)
    view = widget(notebook, cell)
    expect(view).to_be_visible(timeout=20_000)
    # The new page's view starts from a snapshot of everything so far, then goes on live.
    expect(view.locator(".sse-widget-text")).to_contain_text(before, timeout=10_000)
    samples = view.evaluate(SAMPLE_JS, [".sse-widget-text", 30_000])
    assert len({s for s in samples if s}) >= 5, "the reloaded view did not stream live"
    answer = printed(notebook, "print(json.dumps(w.wait(20)))")
    expect(view.locator(".sse-widget-text")).to_have_text(answer, use_inner_text=False)
    notebook.screenshot("reloaded", view)


def test_a_busy_cell_does_not_freeze_the_stream(notebook: Notebook) -> None:
    _cell, view = text_streaming(notebook, count=300, rate=50)
    busy = notebook.submit("time.sleep(4)")
    expect(notebook.prompt(busy)).to_have_text("[*]:")
    lengths = []
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        lengths.append(len(view.locator(".sse-widget-text").text_content() or ""))
        time.sleep(0.25)
    assert notebook.prompt(busy).text_content() == "[*]:", "the busy cell ended too early"
    assert len(set(lengths)) >= 8, f"the stream froze while a cell ran: {lengths}"
    assert lengths == sorted(lengths)
    notebook.wait(busy, timeout=20)


def test_an_http_error_shows_its_status_and_the_servers_words(notebook: Notebook) -> None:
    _cell, view = show_widget(
        notebook,
        'w = StreamWidget(mock.url_for("/v1/chat/completions", status=401),\n'
        '                 json={"stream": True, "messages": []}, format="openai")\n'
        "w",
    )
    wait_status(view, "error")
    expect(view.locator(".sse-widget-status")).to_have_text("error")
    expect(view.locator(".sse-widget-error-title")).to_have_text("HTTP 401 · HTTPStatusError")
    expect(view.locator(".sse-widget-error-message")).to_contain_text("401")
    expect(view.locator(".sse-widget-error-body")).to_contain_text('"code": "invalid_api_key"')
    expect(view.locator(".sse-widget-error-body")).to_contain_text("Incorrect API key provided")
    notebook.screenshot("error", view)


def test_the_events_view_lists_each_event(notebook: Notebook) -> None:
    _cell, view = show_widget(
        notebook,
        'w = StreamWidget(mock.url_for("/feed", interval=0.02, limit=40, event="tick"),\n'
        '                 render="events", reconnect=False)\n'
        "w",
    )
    wait_status(view, "done")
    rows = view.locator("tbody tr")
    expect(rows).to_have_count(40)
    cells = rows.nth(0).locator("td").all_text_contents()
    assert cells[1:] == ["tick", "1", '{"n":1,"tick":"tick 1"}']
    assert rows.nth(39).locator("td").all_text_contents()[2] == "40"
    times = [int(rows.nth(i).locator("td").first.text_content() or "") for i in range(40)]
    assert times == sorted(times)
    notebook.screenshot("events", view)


def settled_scroll_top(body: Locator) -> int:
    """The body's scroll offset once it stops moving (a wheel scrolls smoothly)."""
    top = body.evaluate("el => el.scrollTop")
    for _ in range(20):
        time.sleep(0.1)
        now = body.evaluate("el => el.scrollTop")
        if now == top:
            break
        top = now
    return int(top)


def test_auto_scroll_pauses_while_reading_and_resumes_at_the_bottom(notebook: Notebook) -> None:
    _cell, view = show_widget(
        notebook,
        'w = StreamWidget(mock.url_for("/stream", count=5000, rate=400), render="text")\nw',
    )
    body = view.locator(".sse-widget-body")
    notebook.page.wait_for_function(
        "el => el.scrollHeight > el.clientHeight + 300", arg=body.element_handle(), timeout=20_000
    )
    gap = "el => el.scrollHeight - el.scrollTop - el.clientHeight"
    assert body.evaluate(gap) < 30, "the view does not follow new text"

    body.hover()
    notebook.page.mouse.wheel(0, -300)  # the reader scrolls up
    jump = view.locator(".sse-widget-jump")
    expect(jump).to_be_visible()
    top = settled_scroll_top(body)
    time.sleep(0.6)  # about 30 more events arrive
    assert body.evaluate("el => el.scrollTop") == top, "the view moved while being read"
    assert body.evaluate(gap) > 100

    jump.click()  # back to the newest text: following again
    expect(jump).to_be_hidden()
    time.sleep(0.4)
    assert body.evaluate(gap) < 30
    notebook.run("w.stop()")


@pytest.mark.parametrize("reading", [False, True], ids=["following", "reading"])
def test_the_view_keeps_its_place_when_the_finished_output_is_re_rendered(
    notebook: Notebook, reading: bool
) -> None:
    # At the end the kernel updates the widget's output, so the saved notebook holds the
    # answer; JupyterLab re-renders it, taking the drawn view out of the page and back,
    # which loses its scroll offset.
    _cell, view = show_widget(
        notebook,
        'w = StreamWidget(mock.url_for("/v1/chat/completions", count=1500, rate=500), '
        'json={"stream": True}, format="openai")\nw',
    )
    body = view.locator(".sse-widget-body")
    handle = body.element_handle()
    notebook.page.wait_for_function(
        "el => el.scrollHeight > el.clientHeight + 300", arg=handle, timeout=20_000
    )
    if reading:
        body.hover()
        notebook.page.mouse.wheel(0, -200)
        expect(view.locator(".sse-widget-jump")).to_be_visible()
    top = settled_scroll_top(body)
    wait_status(view, "done")
    # The re-render may be over already: wait for the state it leaves (the view taken
    # over, back in the page, its place restored), not for the re-render itself.
    notebook.page.wait_for_function(
        "el => el.isConnected && Number(el.closest('.sse-widget').dataset.takenOver) >= 1",
        arg=handle,
        timeout=20_000,
    )
    time.sleep(0.3)  # a few frames
    gap = body.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight")
    if reading:
        assert body.evaluate("el => el.scrollTop") == top, "the reader lost their place"
        assert gap > 100
    else:
        assert gap < 30, f"the view jumped away from the end ({gap} px above it)"


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_dark_theme_renders_legibly(dark_notebook: Notebook) -> None:
    notebook = dark_notebook
    _cell, view = show_widget(
        notebook,
        "w = StreamWidget(\n"
        '    mock.url_for("/v1/chat/completions", rate=400),\n'
        '    json={"stream": True, "messages": [{"role": "user", "content": "Dark mode"}]},\n'
        '    format="openai")\n'
        "w",
    )
    wait_status(view, "done")
    # The status can show "done" a frame before the last text is drawn.
    expect(view.locator(".sse-widget-markdown pre")).to_be_visible()
    expect(view.locator(".sse-widget-markdown")).to_contain_text("That is the whole answer")
    colours = view.evaluate(
        """root => {
            const style = (sel, prop) => getComputedStyle(root.querySelector(sel))[prop];
            return {
              background: style(".sse-widget-body", "backgroundColor") === "rgba(0, 0, 0, 0)"
                ? getComputedStyle(root).backgroundColor
                : style(".sse-widget-body", "backgroundColor"),
              text: style(".sse-widget-markdown p", "color"),
              code: style(".sse-widget-markdown pre", "backgroundColor"),
              codeText: style(".sse-widget-markdown pre code", "color"),
              header: style(".sse-widget-header", "backgroundColor"),
              headerText: style(".sse-widget-stats", "color"),
            };
        }"""
    )
    assert _luminance(colours["background"]) < 0.1, colours  # it is dark
    assert contrast(colours["text"], colours["background"]) >= 4.5, colours
    assert contrast(colours["codeText"], colours["code"]) >= 4.5, colours
    assert contrast(colours["headerText"], colours["header"]) >= 3.0, colours
    notebook.screenshot("dark", view)
