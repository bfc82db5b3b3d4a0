"""The widget in every front end people use: JupyterLab (the control), Notebook 7, Voila,
and marimo as a notebook (``marimo edit``, cells run from its run-all button) and as an
app (``marimo run``). In marimo each widget is shown both ways a user can: as a cell's
last expression and wrapped in ``mo.ui.anywidget``.

Each host opens one notebook (``hosts.py`` writes it in the host's own format) with three
streams from the in-kernel mock server: the quickstart's OpenAI-shaped answer rendered as
markdown, a fast text stream (2,000 tokens at 2,000 a second, no line feed), and a slow
one (20 a second) for the Stop button. A thread in the kernel writes each widget's status
and text (and how the mock's answer to it ended) to a JSON file, whatever the host: that
is the kernel's side of every comparison. marimo never runs the final
``update_display``, so reaching ``done`` with the whole text there proves nothing depends
on it.

One server per host and one page per host serve all of that host's tests (pytest groups
the tests by host), in this order: Stop first, while the slow stream still runs.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator

from .hosts import HOSTS, Host, HostPage, running_host
from .lab import LabServer
from .pages import OPENED_PAGES, SCREENSHOT_DIR, poll, settled

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

# The kernel's side. `report` writes, whenever anything changed, each widget's status
# and text, and the outcome of the mock's answer to it (requests are told apart by a
# header naming the widget).
SETUP = """\
import json, os, threading, time
from sse_widget import MockServer, StreamWidget
mock = MockServer().start()


def report(path, widgets):
    def facts():
        answers = {r.headers.get("x-view"): r for r in mock.requests}
        return {
            name: {
                "status": w.status,
                "text": w.text,
                "outcome": getattr(answers.get(name), "outcome", None),
                "events": getattr(answers.get(name), "events_sent", 0),
            }
            for name, w in widgets.items()
        }

    def loop():
        last = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            now = json.dumps(facts())
            if now != last:
                with open(path + ".tmp", "w", encoding="utf-8") as file:
                    file.write(now)
                os.replace(path + ".tmp", path)
                last = now
            time.sleep(0.05)

    threading.Thread(target=loop, name="report", daemon=True).start()
"""

# The quickstart's stream (notebooks/01-quickstart.ipynb), and the two text streams.
STREAMS = {
    "quickstart": (
        'mock.url_for("/v1/chat/completions", rate=30),\n'
        '    json={"model": "mock-gpt", "stream": True,\n'
        '          "messages": [{"role": "user", "content": "Explain Server-Sent Events"}]},\n'
        '    format="openai",'
    ),
    "fast": 'mock.url_for("/stream", count=2000, rate=2000), render="text",',
    "slow": 'mock.url_for("/stream", count=1500, rate=20), render="text",',
}
#: What a view's URL line shows, to tell the streams' views apart in the page.
URL_MARKS = {"quickstart": "/v1/chat/completions", "fast": "count=2000", "slow": "count=1500"}
#: Tokens in the slow stream: Stop must cut it well before this.
SLOW_TOKENS = 1500

# What comes from our code, in a console error's text or origin: the widget's names,
# anywidget's, and the blob: URLs anywidget (and our loader) run modules from.
OUR_MODULE = re.compile(r"sse[-_]widget|StreamWidget|anywidget|blob:", re.IGNORECASE)


def widget_cells(host: Host, report_path: Path) -> tuple[list[str], list[str]]:
    """The notebook's cells, and the widgets' names (``<stream>`` or
    ``<stream>_wrapped``) in the order their views appear."""
    cells = [host.prelude + SETUP]
    names = []
    for stream, arguments in STREAMS.items():
        for how in host.displays:
            name = stream if how == "direct" else f"{stream}_{how}"
            names.append(name)
            cells.append(
                f"{name} = StreamWidget(\n    {arguments}\n"
                f'    headers={{"X-View": "{name}"}},\n)\n{host.show(name, how)}'
            )
    widgets = ", ".join(f'"{name}": {name}' for name in names)
    cells.append(f"report({str(report_path)!r}, {{{widgets}}})")
    return cells, names


@dataclass
class Opened:
    """One host's notebook, open and run: the page, and the kernel's report."""

    host: Host
    page: HostPage
    report_path: Path
    names: list[str]

    def kernel(self, name: str) -> dict[str, Any]:
        """What the kernel last reported of widget ``name`` (empty before the first
        report, which comes once every cell has run)."""
        try:
            facts: dict[str, dict[str, Any]] = json.loads(self.report_path.read_text())
        except FileNotFoundError:
            return {}
        return facts.get(name, {})

    def wait_kernel(
        self, name: str, status: str, *, answered: bool = False, timeout: float = 60
    ) -> dict[str, Any]:
        """Wait until the kernel reports widget ``name`` with ``status`` (and, with
        ``answered``, the mock's answer to it ended); return that report."""

        def reported() -> dict[str, Any] | None:
            facts = self.kernel(name)
            ended = facts.get("outcome") is not None or not answered
            return facts if facts.get("status") == status and ended else None

        return poll(reported, timeout=timeout, what=f"the kernel's {name} to be {status}")

    def views(self, stream: str) -> Iterator[tuple[str, Locator]]:
        """The widget names and views of a stream, one per way the host shows it, each
        brought into sight first: the browser skips rendering settled sections out of
        sight (``content-visibility: auto``), and ``innerText`` leaves those out."""
        views = self.page.page.locator(".sse-widget").filter(
            has=self.page.page.locator(".sse-widget-url", has_text=URL_MARKS[stream])
        )
        names = [name for name in self.names if name.split("_")[0] == stream]
        for index, name in enumerate(names):
            view = views.nth(index)
            view.scroll_into_view_if_needed(timeout=60_000)
            yield name, view


def status_of(view: Locator) -> str | None:
    return view.get_attribute("data-status") if view.count() else None


def wait_view_status(view: Locator, status: str, *, timeout: float = 60) -> None:
    poll(lambda: status_of(view) == status, timeout=timeout, what=f"the view to say {status}")


@pytest.fixture(scope="module", params=HOSTS)
def opened(
    request: pytest.FixtureRequest, chromium: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Opened]:
    name: str = request.param
    base = tmp_path_factory.mktemp(name)
    # The control shares the package's JupyterLab with the other browser tests.
    lab: LabServer | None = request.getfixturevalue("jupyter_lab") if name == "lab" else None
    started = time.monotonic()
    with running_host(name, base, lab=lab) as host:
        report_path = base / "report.json"
        cells, names = widget_cells(host, report_path)
        page = host.open(chromium, "streams", cells, screenshot_prefix=f"host-{name}")
        with page.closed_on_error():
            # The last cell starts the report: it exists once every cell has run.
            poll(report_path.exists, timeout=90, what=f"every cell to have run in {name}")
        print(f"{name}: started and ran its cells in {time.monotonic() - started:.1f} s")
        try:
            yield Opened(host, page, report_path, names)
        finally:
            page.close()


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request: pytest.FixtureRequest, opened: Opened) -> None:
    request.node.stash[OPENED_PAGES] = [opened.page]


def test_stop_ends_the_request_and_the_text_stops_growing(opened: Opened) -> None:
    for name, view in opened.views("slow"):
        stop_mid_stream(opened, name, view)


def stop_mid_stream(opened: Opened, name: str, view: Locator) -> None:
    body = view.locator(".sse-widget-text")

    def page_and_kernel() -> tuple[str, str]:
        return text_shown(body, opened.kernel(name)["text"])

    poll(lambda: len(body.text_content() or "") > 100, timeout=60, what=f"{name}'s text")
    assert status_of(view) == "streaming"
    view.locator(".sse-widget-stop").click()
    wait_view_status(view, "stopped")
    kernel = opened.wait_kernel(name, "stopped", answered=True, timeout=30)
    assert kernel["outcome"] == "disconnected", kernel
    assert 5 <= kernel["events"] < SLOW_TOKENS, kernel
    # The page catches up with the kernel, then neither grows any more.
    shown, expected = settled(page_and_kernel, timeout=30)
    assert shown == expected, f"{name}: the page does not show the kernel's text"
    time.sleep(1.0)
    assert opened.kernel(name)["text"] == kernel["text"], "the kernel's text grew"
    assert page_and_kernel() == (kernel["text"], kernel["text"]), "the page's text changed"
    assert status_of(view) == "stopped"


# The body's rendered text, and where (offsets in the streamed text) the text view cut a
# line longer than 4 K characters into a block of its own, marked .sse-widget-cut: the
# page shows a line break there that the stream did not send.
_JS_TEXT_AND_CUTS = """body => {
    let offset = 0;
    const cuts = [];
    for (const block of body.querySelectorAll(".sse-widget-block")) {
        offset += block.textContent.length;
        if (block.classList.contains("sse-widget-cut")) cuts.push(offset);
        else offset += 1;
    }
    return { shown: body.innerText, cuts };
}"""


def text_shown(body: Locator, text: str) -> tuple[str, str]:
    """What a text view's page shows, and what it should show of ``text``: exactly
    ``text``, with a line break added at each marked cut and nowhere else (the /stream
    text is ASCII: JavaScript's offsets count the same characters as Python's)."""
    state = body.evaluate(_JS_TEXT_AND_CUTS)
    expected = text
    for cut in reversed(state["cuts"]):
        expected = expected[:cut] + "\n" + expected[cut:]
    return state["shown"], expected


def test_a_fast_text_stream_shows_exactly_the_kernels_text(opened: Opened) -> None:
    for name, view in opened.views("fast"):
        wait_view_status(view, "done")
        text: str = opened.wait_kernel(name, "done")["text"]
        assert len(text) > 10_000
        body = view.locator(".sse-widget-text")
        # The last frames may still be writing after the status says done.
        shown, expected = settled(partial(text_shown, body, text), timeout=30)
        assert shown == expected, f"{name}: the page's text is not the kernel's"


def words(text: str) -> list[str]:
    """The words of a text, without punctuation (``sse_widget`` is two words, since
    an underscore may be markdown's emphasis)."""
    return re.findall(r"[^\W_]+", text)


def markdown_words(source: str) -> list[str]:
    """The words a reader sees of markdown ``source``: fence lines (with their language)
    are syntax; headings', lists' and emphasis' marks are punctuation anyway."""
    return words(re.sub(r"(?m)^\s*(```|~~~).*$", "", source))


def test_the_quickstart_renders_as_markdown_with_the_kernels_words(opened: Opened) -> None:
    for name, view in opened.views("quickstart"):
        wait_view_status(view, "done")
        text: str = opened.wait_kernel(name, "done")["text"]
        assert text.startswith("# Mock answer")
        body = view.locator(".sse-widget-markdown")

        def rendered(body: Locator = body, text: str = text) -> tuple[list[str], list[str]]:
            return words(body.inner_text()), markdown_words(text)

        shown, expected = settled(rendered, timeout=30)
        assert shown == expected, f"{name}: the rendered words differ from the kernel's"
        assert body.locator("h1").count() == 1
        assert body.locator("pre code .hljs-keyword").count() >= 1, "the code is not highlighted"


# Computed sizes, weights and bullets of the quickstart's heading and list; and, where the
# view sits in a shadow root (marimo), what a bare <h1> there looks like: the host's reset
# of headings, proving the check runs under it.
_JS_STYLES = """body => {
    const css = (sel) => getComputedStyle(body.querySelector(sel));
    const root = body.getRootNode();
    let bareH1 = null;
    if (root instanceof ShadowRoot) {
        const probe = document.createElement("h1");
        probe.textContent = "probe";
        root.appendChild(probe);
        bareH1 = parseFloat(getComputedStyle(probe).fontSize)
            / parseFloat(getComputedStyle(probe.parentNode.host || probe.parentNode).fontSize);
        probe.remove();
    }
    return {
        h1: parseFloat(css("h1").fontSize) / parseFloat(css("p").fontSize),
        h1Weight: Number(css("h1").fontWeight),
        bullet: css("ul li").listStyleType,
        display: css("ul li").display,
        shadow: root instanceof ShadowRoot,
        bareH1,
    };
}"""


def test_headings_and_bullets_are_styled(opened: Opened) -> None:
    for _name, view in opened.views("quickstart"):
        styles = view.locator(".sse-widget-markdown").evaluate(_JS_STYLES)
        assert styles["h1"] >= 1.5, styles
        assert styles["h1Weight"] >= 600, styles
        assert styles["bullet"] == "disc", styles
        assert styles["display"] == "list-item", styles
        if opened.host.name.startswith("marimo"):
            # marimo's Tailwind reset is beside the view: a bare heading is body-sized.
            assert styles["shadow"] is True, styles
            assert styles["bareH1"] < 1.2, styles


def test_no_console_error_comes_from_our_module(opened: Opened) -> None:
    # Last, so that it covers everything the page did; the page's picture goes with it.
    path = opened.page.screenshot("page")
    assert path.stat().st_size > 0
    errors = opened.page.console.errors
    ours = [error for error in errors if OUR_MODULE.search(f"{error.text} {error.origin}")]
    noise = [str(error) for error in errors if error not in ours]
    # The host's own errors (fonts from a CDN it cannot reach, its plugins' version
    # checks) are listed beside the screenshot, not failed on.
    (SCREENSHOT_DIR / f"host-{opened.host.name}-console.txt").write_text(
        "".join(f"{line}\n" for line in noise)
    )
    print(f"{len(noise)} console errors from {opened.host.name} itself", *noise, sep="\n")
    assert not ours, "\n".join(map(str, ours))
