"""The text view shows exactly the text the stream sent: the page's own rendered text
(``innerText``, which counts every block boundary as a line break) equals ``w.text``,
for streams with line feeds, blank lines, tabs and wide characters. The view settles
text in blocks for speed; none of that may show. The one exception, kept for the
frame's sake: a line longer than 4 K characters is cut after a space, and the cut is
marked (``sse-widget-cut``): the page's text has a line break there and nowhere else."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from .lab import Notebook
from .test_stream_widget import printed, show_widget, wait_status

pytestmark = pytest.mark.browser

LINES = "".join(
    f"line {i}\twith a tab, 宽字 and 😀\n" + ("\n" if i % 7 == 0 else "") for i in range(600)
)
CASES = {
    # 2,000 tokens of a paragraph with no line feed: one line of about 11,000 characters.
    "a line without line feeds": 'mock.url_for("/stream", count=2000, rate=4000)',
    "lines, blank lines, tabs, wide characters": (
        f"mock.url_for('/stream', text={LINES!r}, rate=4000)"
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_page_shows_exactly_the_streamed_text(notebook: Notebook, case: str) -> None:
    _cell, view = show_widget(notebook, f'w = StreamWidget({CASES[case]}, render="text")\nw')
    wait_status(view, "done", timeout=60)
    kernel = printed(notebook, "print(json.dumps(w.text))")
    body = view.locator(".sse-widget-text")
    # The last frames may still be writing after the status says done, and JupyterLab may
    # re-render the finished output (a new view takes over): the locator finds the
    # current view on every poll, and the test waits for the state it needs.
    if case.startswith("a line without"):
        # The only line breaks the stream did not send: at each cut of a line past 4 K.
        flat = kernel.replace("\n", "")
        deadline = time.monotonic() + 30
        shown = body.evaluate("el => el.innerText")
        while shown.replace("\n", "") != flat and time.monotonic() < deadline:
            notebook.page.wait_for_timeout(100)
            shown = body.evaluate("el => el.innerText")
        assert shown.replace("\n", "") == flat
        cuts = body.locator(".sse-widget-cut").count()
        assert cuts >= 1
        assert shown.count("\n") == kernel.count("\n") + cuts
    else:
        expect(body).to_have_js_property("innerText", kernel, timeout=30_000)
    notebook.screenshot(case.split(",")[0].replace(" ", "-"), view)
