"""StreamWidget under real use, in JupyterLab and Chromium: a feed past its bound, many
widgets at once, the front end loaded once per page."""

from __future__ import annotations

from playwright.sync_api import expect

from .lab import Notebook
from .test_stream_widget import printed, show_widget, wait_status, widget

MANY = """\
ws = [StreamWidget(mock.url_for("/stream", count=300, rate=100), render="text")
      for _ in range(20)]
for x in ws:
    display(x)
"""


def test_a_feed_past_max_chars_shows_the_kept_text_and_says_what_went(
    notebook: Notebook,
) -> None:
    _cell, view = show_widget(
        notebook,
        'w = StreamWidget(mock.url_for("/stream", count=6000, rate=3000), render="text",'
        " max_chars=5000)\nw",
    )
    wait_status(view, "done")
    kept = printed(notebook, "print(json.dumps(w.wait(10)))")
    dropped = printed(notebook, 'print(json.dumps(w.stats["chars_dropped"]))')
    assert 0 < len(kept) <= 5000
    assert dropped > 10_000
    expect(view.locator(".sse-widget-text")).to_have_text(kept, use_inner_text=False)
    notice = view.locator(".sse-widget-dropped")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(f"{dropped:,} earlier characters not kept")
    # The page holds no more than the kernel keeps.
    shown = view.locator(".sse-widget-text").evaluate("el => el.textContent.length")
    assert shown == len(kept)
    notebook.screenshot("bounded", view)


def test_twenty_widgets_at_once_lose_nothing_and_share_one_module(notebook: Notebook) -> None:
    notebook.run(
        "import json\nfrom sse_widget import MockServer, StreamWidget\nmock = MockServer().start()"
    )
    cell = notebook.submit(MANY)
    views = notebook.output(cell).locator(".sse-widget")
    expect(views).to_have_count(20, timeout=30_000)
    answers = printed(notebook, "print(json.dumps([x.wait(60) for x in ws]))", timeout=90)
    assert len(answers) == 20
    assert all(answers)
    for index, answer in enumerate(answers):
        view = views.nth(index)
        wait_status(view, "done")
        expect(view.locator(".sse-widget-text")).to_have_text(answer, use_inner_text=False)
    page_text = notebook.page.locator(".jp-Notebook").inner_text()
    assert "IOPub message rate exceeded" not in page_text
    # One copy of the front end in the page, shared by every widget.
    modules = notebook.page.evaluate(
        "() => globalThis[Symbol.for('sse-widget.modules')]?.size ?? 0"
    )
    assert modules == 1
    assert widget(notebook, cell).count() == 20
    notebook.screenshot("twenty", views.first)
