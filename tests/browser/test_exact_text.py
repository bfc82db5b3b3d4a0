"""The text view shows exactly the text the stream sent: the page's own rendered text
(``innerText``, which counts every block boundary as a line break) equals ``w.text``,
for streams with line feeds, blank lines, tabs and wide characters, and lines far longer
than the 4 K after which the view lays them out in pieces. The view settles text in
blocks and pieces for speed; none of that may show: every line takes exactly the height
it takes laid out whole, at the width it streamed in and after the width changes."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Locator, expect

from .lab import Notebook
from .test_stream_widget import printed, show_widget, wait_status

pytestmark = pytest.mark.browser

LINES = "".join(
    f"line {i}\twith a tab, 宽字 and 😀\n" + ("\n" if i % 7 == 0 else "") for i in range(600)
)
LONG = " ".join(f"word{i}" for i in range(2000))
LONG_AND_SHORT = f"{LONG}\n{LINES[:3000]}{LONG} 宽字😀 {LONG}"
CASES = {
    # 2,000 tokens of a paragraph with no line feed: one line of about 11,000 characters.
    "a line without line feeds": 'mock.url_for("/stream", count=2000, rate=4000)',
    "lines, blank lines, tabs, wide characters": (
        f"mock.url_for('/stream', text={LINES!r}, rate=4000)"
    ),
    # Long lines that end, short lines after them, and a long line the stream leaves open.
    "long lines and short ones": (f"mock.url_for('/stream', text={LONG_AND_SHORT!r}, rate=4000)"),
}

# For each element of the view that holds pieces of a long line (and the tail), lay its
# text out whole in an element like it, at its width: both must be as high (a piece cut
# anywhere but where the line wraps shows as a short line: a line break to the reader).
SAME_HEIGHTS = """el => [...el.querySelectorAll(".sse-widget-block, .sse-widget-tail")]
    .filter((part) => part.matches(".sse-widget-tail") || part.querySelector(".sse-widget-piece"))
    .map((part) => {
        const whole = document.createElement("div");
        whole.className = part.className;
        whole.textContent = part.textContent;
        whole.style.cssText = "position: absolute; visibility: hidden";
        whole.style.width = `${part.clientWidth}px`;
        part.parentElement.append(whole);
        const heights = [part.getBoundingClientRect(), whole.getBoundingClientRect()]
            .map((box) => box.height);
        whole.remove();
        return heights;
    })"""


# What copying gets (the selection's text) and the rendered text (innerText), read while
# the view is selected: a selection makes the browser lay out the sections it skips as
# out of sight (`content-visibility: auto`), whose text innerText leaves out otherwise.
PAGE_TEXTS = """el => {
    const selection = getSelection();
    selection.selectAllChildren(el);
    const texts = [selection.toString(), el.innerText];
    selection.removeAllRanges();
    return texts;
}"""


def _first_difference(shown: str, sent: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(shown, sent, strict=False)) if a != b), None)
    at = min(len(shown), len(sent)) if at is None else at
    return (
        f"differs at {at} of {len(sent)} (shown {len(shown)}): "
        f"shown {shown[max(0, at - 60) : at + 60]!r}, sent {sent[max(0, at - 60) : at + 60]!r}"
    )


def _wait_for_text(body: Locator, text: str, *, timeout: float = 30) -> None:
    """Wait until copying the body and its innerText both give `text`; else say where not."""
    # The last frames may still be writing after the status says done, and JupyterLab may
    # re-render the finished output (a new view takes over): the locator finds the
    # current view on every poll, and the test waits for the state it needs.
    # Copying leaves out one line feed at the very end of the text (the browser's copy of
    # a selection ending in a line feed it draws no line for): the one difference allowed.
    copy = text.removesuffix("\n")
    deadline = time.monotonic() + timeout
    copied, shown = body.evaluate(PAGE_TEXTS)
    while (copied.removesuffix("\n"), shown) != (copy, text) and time.monotonic() < deadline:
        body.page.wait_for_timeout(100)
        copied, shown = body.evaluate(PAGE_TEXTS)
    assert copied.removesuffix("\n") == copy, f"the copied text {_first_difference(copied, text)}"
    assert shown == text, f"innerText {_first_difference(shown, text)}"


@pytest.mark.parametrize("case", CASES)
def test_the_page_shows_exactly_the_streamed_text(notebook: Notebook, case: str) -> None:
    _cell, view = show_widget(notebook, f'w = StreamWidget({CASES[case]}, render="text")\nw')
    wait_status(view, "done", timeout=60)
    kernel = printed(notebook, "print(json.dumps(w.text))")
    body = view.locator(".sse-widget-text")
    _wait_for_text(body, kernel)
    if case != "lines, blank lines, tabs, wide characters":
        assert body.locator(".sse-widget-piece").count() >= 2
        heights = body.evaluate(SAME_HEIGHTS)
        assert heights, "no long line laid out"
        assert all(abs(a - b) < 0.5 for a, b in heights), heights
        notebook.screenshot(case.replace(" ", "-"), view)
        # A narrower view: the pieces are joined, and every line wraps as one again.
        body.evaluate("el => { el.style.width = '70%' }")
        expect(body.locator(".sse-widget-piece")).to_have_count(0, timeout=10_000)
        heights = body.evaluate(SAME_HEIGHTS)
        assert all(abs(a - b) < 0.5 for a, b in heights), heights
        _wait_for_text(body, kernel)
    else:
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
