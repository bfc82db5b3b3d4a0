"""The browser side of the harness, whatever the host: Chromium, what a page logs, and
screenshots."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
)
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    # Root in a container: the sandbox needs user namespaces we do not have.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No calls home: the network here only reaches package mirrors, and a test must not
    # depend on (or wait for) Google's servers.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_CHROMIUM = "apt-get update && apt-get install -y chromium"

SCREENSHOT_DIR = Path(__file__).parent / "screenshots"

T = TypeVar("T")


class OpenedPage(Protocol):
    """A page a test opened: on failure, ``conftest.py`` screenshots it and lists its
    errors."""

    path: str

    @property
    def page_errors(self) -> list[str]: ...

    def screenshot(self, name: str) -> Path: ...


#: The pages a test opened (``item.stash[OPENED_PAGES]``).
OPENED_PAGES = pytest.StashKey[list[OpenedPage]]()


def launch_chromium(playwright: Playwright) -> Browser:
    """Start the system Chromium headless; fail (never skip) when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests drive the system Chromium. "
            f"Install it with: {INSTALL_CHROMIUM}",
            pytrace=False,
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_page(
    browser: Browser, viewport: tuple[int, int]
) -> tuple[BrowserContext, Page, ConsoleLog]:
    """A page in a browser context of its own (no cookies, storage or cache shared with
    other pages), its errors collected from before it loads anything."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    return context, page, ConsoleLog.watch(page)


def poll(probe: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.1) -> T:
    """Call ``probe`` until it returns something true, and return that; fail after
    ``timeout`` seconds, naming ``what`` was awaited and the last value seen.

    For states that are read from outside the page (a file, a kernel) or across shadow
    roots, where a poll inside the page (``page.wait_for_function``) cannot reach.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what} (last: {value!r:.300})"
            )
        time.sleep(interval)


def settled(read: Callable[[], tuple[T, T]], *, timeout: float) -> tuple[T, T]:
    """Read a pair (what is shown, what should be) until its two sides are equal or
    ``timeout`` seconds have passed; return the last pair read, for the test to assert
    on (and pytest to show the difference of)."""
    deadline = time.monotonic() + timeout
    shown, expected = read()
    while shown != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        shown, expected = read()
    return shown, expected


@dataclass(frozen=True)
class PageError:
    """A console error or an uncaught exception in a page."""

    text: str
    #: Where it came from: the stack of an uncaught exception, else the console call's
    #: script URL (anywidget modules run from ``blob:`` URLs).
    origin: str

    def __str__(self) -> str:
        return f"{self.text} [{self.origin}]" if self.origin else self.text


@dataclass
class ConsoleLog:
    """The errors a page reported since :meth:`watch` began."""

    errors: list[PageError] = field(default_factory=list)

    @classmethod
    def watch(cls, page: Page) -> ConsoleLog:
        log = cls()
        page.on("pageerror", log._exception)
        page.on("console", log._console)
        return log

    def _exception(self, error: PlaywrightError) -> None:
        self.errors.append(PageError(f"{error.name}: {error.message}", error.stack or ""))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(PageError(message.text, message.location.get("url", "")))

    @property
    def texts(self) -> list[str]:
        return [error.text for error in self.errors]


def save_screenshot(
    target: Page | Locator, prefix: str, name: str, *, full_page: bool = False
) -> Path:
    """Save a PNG of ``target`` under ``tests/browser/screenshots/`` as
    ``<prefix>-<name>.png`` (made file-name safe); return its path."""
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{prefix}-{name}").strip("-")
    path = SCREENSHOT_DIR / f"{slug}.png"
    if isinstance(target, Page):
        target.screenshot(path=path, full_page=full_page)
    else:
        target.screenshot(path=path)
    return path
