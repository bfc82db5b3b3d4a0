"""The text view shows exactly the text the stream sent: the page's own rendered text
(``innerText``, which counts every block boundary as a line break) equals ``w.text``,
for streams with and without line feeds, long lines, blank lines, tabs and wide
characters. The view settles text in blocks for speed; none of that may show."""

from __future__ import annotations

import json

import pytest

from .lab import Notebook
from .test_stream_widget import printed, show_widget, wait_status

pytestmark = pytest.mark.browser

LINES = "".join(
    f"line {i}\twith a tab, 宽字 and 😀\n" + ("\n" if i % 7 == 0 else "") for i in range(600)
)
CASES = {
    # 2,000 tokens of a paragraph with no line feed: one line of about 11,000 characters.
    "no line feeds": 'mock.url_for("/stream", count=2000, rate=4000)',
    "lines, blank lines, tabs, wide characters": (
        f"mock.url_for('/stream', text={LINES!r}, rate=4000)"
    ),
    # Past the longest line the view keeps whole (64 K): it is cut, and says so.
    "a line longer than 64 K characters": 'mock.url_for("/stream", count=14000, rate=20000)',
}


@pytest.mark.parametrize("case", CASES)
def test_the_page_shows_exactly_the_streamed_text(notebook: Notebook, case: str) -> None:
    _cell, view = show_widget(notebook, f'w = StreamWidget({CASES[case]}, render="text")\nw')
    wait_status(view, "done", timeout=60)
    kernel = printed(notebook, "print(json.dumps(w.text))")
    body = view.locator(".sse-widget-text")
    # The last frames may still be writing after the status says done: wait until every
    # character is on the page.
    notebook.page.wait_for_function(
        "([el, n]) => el.innerText.replace(/\\n/g, '').length >= n",
        arg=[body.element_handle(), len(kernel.replace("\n", ""))],
        timeout=30_000,
    )
    shown = body.evaluate("el => el.innerText")
    if case.startswith("a line longer"):
        # The only line breaks the stream did not send: at each cut of a line past 64 K.
        cuts = body.locator(".sse-widget-cut").count()
        assert cuts >= 1
        assert shown.count("\n") == kernel.count("\n") + cuts
        assert shown.replace("\n", "") == kernel.replace("\n", "")
    else:
        assert shown == kernel, json.dumps([shown[:200], kernel[:200]])
    notebook.screenshot(case.split(",")[0].replace(" ", "-"), view)
