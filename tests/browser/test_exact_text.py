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


# What marimo puts beside the widget (Tailwind's base): element-level resets of sizes,
# weights and bullets. Added to the page here, in JupyterLab, to test that the view's own
# styles win.
RESET = """
h1, h2, h3, h4, h5, h6 { font-size: inherit; font-weight: inherit; margin: 0; }
ol, ul, menu { list-style: none; margin: 0; padding: 0; }
blockquote, pre { margin: 0; }
hr { height: 0; color: inherit; border-top-width: 1px; }
"""


def test_markdown_keeps_its_styles_under_a_hosts_reset(notebook: Notebook) -> None:
    notebook.page.add_style_tag(content=RESET)
    text = "".join(
        [
            "# Title\n\n## Section\n\n- one\n- two\n\n",
            "1. first\n2. second\n\n---\n\n**bold** *em*\n",
        ]
    )
    _cell, view = show_widget(
        notebook, f'w = StreamWidget(mock.url_for("/stream", text={text!r}), render="markdown")\nw'
    )
    wait_status(view, "done")
    body = view.locator(".sse-widget-markdown")
    expect(body.locator("ol li")).to_have_count(2)
    styles = body.evaluate(
        """el => {
            const css = (sel) => getComputedStyle(el.querySelector(sel));
            const base = parseFloat(getComputedStyle(el).fontSize);
            return {
              h1: parseFloat(css("h1").fontSize) / base, h1Weight: Number(css("h1").fontWeight),
              h2: parseFloat(css("h2").fontSize) / base, h2Weight: Number(css("h2").fontWeight),
              ul: css("ul").listStyleType, ulPad: parseFloat(css("ul").paddingLeft),
              ol: css("ol").listStyleType, li: css("li").display,
              hr: css("hr").borderTopStyle, strong: Number(css("strong").fontWeight),
              em: css("em").fontStyle,
            };
        }"""
    )
    assert styles["h1"] >= 1.5, styles
    assert styles["h2"] >= 1.3, styles
    assert styles["h1Weight"] >= 700, styles
    assert styles["h2Weight"] >= 700, styles
    assert styles["ul"] == "disc", styles
    assert styles["ol"] == "decimal", styles
    assert styles["ulPad"] > 10, styles
    assert styles["li"] == "list-item", styles
    assert styles["hr"] == "solid", styles
    assert styles["strong"] >= 700, styles
    assert styles["em"] == "italic", styles
    notebook.screenshot("reset", view)
