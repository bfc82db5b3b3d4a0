"""Fixtures for the browser tests: one JupyterLab and one Chromium, many notebooks.

``notebook`` is what a test usually wants::

    @pytest.mark.browser
    def test_answer(notebook: Notebook) -> None:
        expect(notebook.run("print(6 * 7)")).to_have_text("42")

The server and the browser are package-scoped rather than session-scoped: while the
Playwright sync API is started it marks its event loop as the running loop of the main
thread, between calls too, so ``asyncio.run`` (and anyio's test runner) would fail in
every test that runs after the first browser test. Package scope stops both as soon
as the last test of this package has run, and they still start only once per run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from .lab import DARK_THEME, LabServer, NewNotebook, Notebook
from .pages import OPENED_PAGES, launch_chromium

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test in this package needs Lab and Chromium: mark it `browser` even if its
    # module forgets to, so that `-m "not browser"` reliably leaves them all out.
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # When a test fails, screenshot its pages while they still show the failure, and
    # list the files (and the pages' JavaScript errors) in the failure report.
    report = yield
    if report.when == "call" and report.failed:
        lines = []
        for opened in item.stash.get(OPENED_PAGES, []):
            try:
                lines.append(f"screenshot: {opened.screenshot('failure')}")
            except Exception as exc:  # a dead page must not hide the test's own failure
                lines.append(f"no screenshot of {opened.path}: {exc}")
            lines.extend(f"page error: {error}" for error in opened.page_errors)
        if lines:
            report.sections.append(("browser", "\n".join(lines)))
    return report


@pytest.fixture(scope="package")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server with its state in a temporary directory."""
    started = time.monotonic()
    with LabServer.running(tmp_path_factory.mktemp("jupyterlab")) as server:
        print(f"JupyterLab ready in {time.monotonic() - started:.1f} s at {server.url}")
        yield server


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="package")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Headless system Chromium; fails with the install command when it is missing."""
    browser = launch_chromium(playwright)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def lab_theme() -> str | None:
    """The theme ``notebook`` opens with; ``None`` is JupyterLab's default (light).

    Override it per test with ``@pytest.mark.parametrize("lab_theme", [DARK_THEME])``.
    """
    return None


@pytest.fixture
def new_notebook(
    request: pytest.FixtureRequest, jupyter_lab: LabServer, chromium: Browser
) -> Iterator[NewNotebook]:
    """Factory: ``new_notebook(theme=None, viewport=(1280, 900))`` opens a new, empty
    notebook in a page of its own and waits for its kernel. Every notebook is closed and
    its kernel shut down after the test; a failed test leaves a screenshot of each."""
    test_name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-")
    opened: list[Notebook] = []
    request.node.stash[OPENED_PAGES] = opened

    def open_notebook(
        *, theme: str | None = None, viewport: tuple[int, int] = (1280, 900)
    ) -> Notebook:
        number = len(opened) + 1
        path = jupyter_lab.create_notebook(f"{test_name}-{number}.ipynb")
        notebook = Notebook.in_new_context(
            jupyter_lab,
            chromium,
            path,
            screenshot_prefix=test_name if number == 1 else f"{test_name}-{number}",
            viewport=viewport,
        )
        opened.append(notebook)
        return notebook.open(theme=theme)

    yield open_notebook

    for notebook in opened:
        notebook.close()


@pytest.fixture
def notebook(new_notebook: NewNotebook, lab_theme: str | None) -> Notebook:
    """A new, empty notebook open in the browser, its kernel idle."""
    return new_notebook(theme=lab_theme)


@pytest.fixture
def dark_notebook(new_notebook: NewNotebook) -> Notebook:
    """Like ``notebook``, in the JupyterLab Dark theme."""
    return new_notebook(theme=DARK_THEME)
