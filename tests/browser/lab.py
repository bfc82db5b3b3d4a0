"""A real JupyterLab (or Notebook 7), driven by a real Chromium through Playwright.

Two pieces, wired into fixtures by ``conftest.py`` (and into a host by ``hosts.py``):

* :class:`LabServer` runs ``jupyter lab`` (or ``jupyter notebook``: :data:`NOTEBOOK7`)
  on a free port, with its config, settings, workspaces and runtime directories in a
  temporary directory, so that nothing from the machine's own Jupyter setup leaks in
  and nothing leaks out.
* :class:`Notebook` is one notebook open in one browser page: run cells, look at their
  outputs, take screenshots, switch the theme.

Chromium itself comes from ``pages.py``: Debian's ``/usr/bin/chromium`` (Playwright
cannot download browsers here, and CI should not need to).
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .pages import ConsoleLog, new_page, save_screenshot
from .servers import ServerProcess, free_port, jupyter_env

LIGHT_THEME = "JupyterLab Light"
DARK_THEME = "JupyterLab Dark"

# "The kernel is idle", as the page shows it. Both are needed: with a kernel that is
# still starting, the toolbar's execution indicator already says idle (about 1.5 s
# early, measured) while the status bar still says "Starting"; and the status bar alone
# does not prove the notebook toolbar is rendered.
KERNEL_IDLE_INDICATOR = '.jp-NotebookPanel-toolbar [data-status="idle"]'
KERNEL_IDLE_TEXT = "| Idle"

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

_APPUTILS = "@jupyterlab/apputils-extension"


class CellError(AssertionError):
    """A cell run with ``check=True`` raised an exception in the kernel."""


def notebook_json(cells: Sequence[str] = ("",)) -> dict[str, Any]:
    """An nbformat 4 notebook of code cells with these sources, never run."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        # A kernelspec, so that the host starts the kernel instead of asking for one.
        "metadata": {
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            },
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": uuid.uuid4().hex[:8],
                "metadata": {},
                "source": source,
                "outputs": [],
                "execution_count": None,
            }
            for source in cells
        ],
    }


@dataclass(frozen=True)
class JupyterApp:
    """What differs between the front ends a Jupyter server can serve a notebook with."""

    #: The ``jupyter`` subcommand that serves it.
    command: str
    #: Its name in messages.
    name: str
    #: The app's own options: ``window.jupyterapp`` (lets the harness set a cell's
    #: source through the model, find a notebook's panel, and run commands), no
    #: update checks.
    options: tuple[str, ...]

    def notebook_url(self, path: str) -> str:
        """The page of the notebook at ``path`` (JupyterLab: in a workspace of its own,
        since the default one would reopen the notebooks earlier tests left open)."""
        if self.command == "lab":
            return f"/lab/workspaces/test-{uuid.uuid4().hex[:12]}/tree/{quote(path)}"
        return f"/notebooks/{quote(path)}"

    def kernel_idle(self, path: str) -> tuple[str, Any]:
        """A JavaScript predicate and its argument: the notebook's kernel is idle."""
        if self.command == "lab":
            return _JS_KERNEL_IDLE, [KERNEL_IDLE_INDICATOR, KERNEL_IDLE_TEXT]
        return _JS_NOTEBOOK7_KERNEL_IDLE, [KERNEL_IDLE_INDICATOR, path]


JUPYTERLAB = JupyterApp(
    "lab",
    "JupyterLab",
    (
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ),
)
NOTEBOOK7 = JupyterApp(
    "notebook", "Jupyter Notebook", ("--JupyterNotebookApp.expose_app_in_browser=True",)
)


@dataclass
class LabServer:
    """A running Jupyter server with JupyterLab (or Notebook 7, built from the same
    parts); make one with :meth:`running`."""

    url: str
    token: str = field(repr=False)
    root_dir: Path
    settings_dir: Path
    app: JupyterApp
    process: ServerProcess = field(repr=False)
    client: httpx.Client = field(repr=False)

    @classmethod
    @contextmanager
    def running(
        cls, base_dir: Path, *, app: JupyterApp = JUPYTERLAB, timeout: float = 60.0
    ) -> Iterator[LabServer]:
        """Start the server with all its state under ``base_dir``; stop it on exit."""
        env = jupyter_env(base_dir)
        dirs = {name: base_dir / name for name in ("root", "settings", "workspaces")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        env["JUPYTERLAB_SETTINGS_DIR"] = str(dirs["settings"])
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(dirs["workspaces"])
        # No "what's new" or "update available" toast: it would cover the page in
        # screenshots, and fetching news needs the internet.
        _write_settings(
            dirs["settings"], "notification", {"fetchNews": "false", "checkForUpdates": False}
        )

        token = uuid.uuid4().hex
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "jupyter",
            app.command,
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            # Fail on a taken port instead of quietly serving on another one.
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={dirs['root']}",
            *app.options,
        ]
        headers = {"Authorization": f"token {token}"}
        with (
            ServerProcess.running(
                app.name,
                command,
                port=port,
                env=env,
                log_path=base_dir / f"jupyter-{app.command}.log",
                ready_path="/api/status",
                headers=headers,
                timeout=timeout,
            ) as process,
            httpx.Client(base_url=process.url, headers=headers, timeout=30.0) as client,
        ):
            yield cls(process.url, token, dirs["root"], dirs["settings"], app, process, client)

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call the server's REST API (``path`` starts with ``/api/`` or ``/lab/api/``)."""
        response = self.client.request(method, path, **kwargs)
        response.raise_for_status()
        return response

    def create_notebook(self, name: str, cells: Sequence[str] = ("",)) -> str:
        """Write a notebook of code cells with these sources (by default one empty
        cell) at ``name``; return its path."""
        model = {"type": "notebook", "format": "json", "content": notebook_json(cells)}
        self.api("PUT", f"/api/contents/{quote(name)}", json=model)
        return name

    def start_session(self, path: str, kernel: str = "python3") -> None:
        """Start a kernel for the notebook at ``path``, as opening it in Lab would."""
        self.api(
            "POST",
            "/api/sessions",
            json={"path": path, "name": path, "type": "notebook", "kernel": {"name": kernel}},
        )

    def shutdown_kernels(self) -> None:
        """Delete every session (which shuts its kernel down), then any stray kernel."""
        for session in self.api("GET", "/api/sessions").json():
            self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels").json():
            self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def set_theme_setting(self, theme: str | None) -> None:
        """Make pages opened from now on use ``theme``; ``None``: JupyterLab's default.

        Written as a user-settings file: Lab reads it on page load, so the page never
        shows the default theme first.
        """
        if theme is None:
            (self.settings_dir / _APPUTILS / "themes.jupyterlab-settings").unlink(missing_ok=True)
        else:
            _write_settings(self.settings_dir, "themes", {"theme": theme})


def _write_settings(settings_dir: Path, plugin: str, values: dict[str, Any]) -> None:
    path = settings_dir / _APPUTILS / f"{plugin}.jupyterlab-settings"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))


# JavaScript run in the page. `window.jupyterapp` exists thanks to expose_app_in_browser.
_JS_FIND_PANEL = """
const findPanel = (path) => {
    for (const widget of window.jupyterapp.shell.widgets("main")) {
        if (widget.context && widget.context.path === path) return widget;
    }
    throw new Error(`notebook ${path} is not open`);
};
"""

# Puts `code` into a fresh code cell at the end of the notebook and returns its index:
# the last cell when it is still pristine (a new notebook's only cell, or the one that
# Shift+Enter adds below), else a new cell. The source goes in through the model, exact:
# typed with keyboard.type(), CodeMirror auto-indents after every newline and dedents
# `else:`, so typed indentation comes out doubled or wrong (seen: four spaces became
# eight, then twenty). keyboard.insert_text() kept it intact, but the model API is
# public and does not depend on which element has the focus.
_JS_PREPARE_CELL = (
    "([path, code]) => {"
    + _JS_FIND_PANEL
    + """
    const notebook = findPanel(path).content;
    const cells = notebook.model.sharedModel;
    let index = notebook.widgets.length - 1;
    const last = notebook.widgets[index].model;
    const pristine = last.type === "code" && last.sharedModel.getSource() === ""
        && last.outputs.length === 0 && last.executionCount === null;
    if (!pristine) {
        index += 1;
        cells.insertCell(index, { cell_type: "code", source: "" });
    }
    notebook.widgets[index].model.sharedModel.setSource(code);
    notebook.activeCellIndex = index;
    return index;
}"""
)

_JS_CELL_ERRORS = (
    "([path, index]) => {"
    + _JS_FIND_PANEL
    + """
    const model = findPanel(path).content.widgets[index].model;
    return model.outputs.toJSON().filter((output) => output.output_type === "error");
}"""
)

_JS_CELL_COUNT = "(path) => {" + _JS_FIND_PANEL + "return findPanel(path).content.widgets.length; }"

# Whether cell `index` has run: its prompt shows an execution count ("[ ]:" before, "[*]:"
# while queued or running, "[3]:" after the kernel replied), read from the cell's own node,
# which exists even while the notebook's windowing keeps it off the page.
_JS_CELL_EXECUTED = (
    "([path, index]) => {"
    + _JS_FIND_PANEL
    + """
    const cell = findPanel(path).content.widgets[index];
    const prompt = cell && cell.node.querySelector(".jp-InputArea-prompt");
    return prompt !== null && /^\\[\\d+\\]:$/.test(prompt.textContent.trim());
}"""
)

# Whether the kernel is idle, by both the notebook toolbar's execution indicator and the
# status bar's kernel status ("| Idle").
_JS_KERNEL_IDLE = """([indicator, text]) => {
    const bar = document.getElementById("jp-main-statusbar");
    return document.querySelector(indicator) !== null
        && bar !== null && bar.textContent.includes(text);
}"""

# Whether the notebook's kernel is idle in Notebook 7, which has no status bar: the
# toolbar's execution indicator, and the kernel status that JupyterLab's status bar shows
# (read from the notebook's panel, once the app has started).
_JS_NOTEBOOK7_KERNEL_IDLE = """([indicator, path]) => {
    const app = window.jupyterapp;
    const panel = app && [...app.shell.widgets("main")]
        .find((widget) => widget.context && widget.context.path === path);
    return document.querySelector(indicator) !== null && Boolean(panel)
        && panel.sessionContext.kernelDisplayStatus === "idle";
}"""


@dataclass
class Notebook:
    """One notebook open in its own browser page, with a running kernel.

    Cells are addressed by index (0 is the first cell). Locators are live: they find
    the element again at each use, so they can be made before the element exists.
    """

    lab: LabServer = field(repr=False)
    context: BrowserContext = field(repr=False)
    page: Page = field(repr=False)
    path: str
    screenshot_prefix: str = field(repr=False)
    #: Uncaught exceptions in the page and console errors, for tests that want none
    #: (watched from :meth:`open` on, unless given).
    console: ConsoleLog | None = field(default=None, repr=False)

    @classmethod
    def in_new_context(
        cls,
        lab: LabServer,
        browser: Browser,
        path: str,
        *,
        screenshot_prefix: str,
        viewport: tuple[int, int] = (1280, 900),
    ) -> Notebook:
        """The notebook at ``path``, to open in a page of a new browser context (no
        cookies, storage or cache shared with other notebooks)."""
        context, page, console = new_page(browser, viewport)
        return cls(lab, context, page, path, screenshot_prefix, console)

    @property
    def page_errors(self) -> list[str]:
        return self.console.texts if self.console is not None else []

    def open(self, *, theme: str | None = None, timeout: float = 60.0) -> Notebook:
        """Load the notebook in the page and wait until its kernel is idle."""
        if self.console is None:
            self.console = ConsoleLog.watch(self.page)
        self.lab.set_theme_setting(theme)
        # Start the kernel now, while the page loads Lab's JavaScript (2-3 s): the page
        # then joins this session instead of starting one. Saves about a second.
        self.lab.start_session(self.path)
        self.page.goto(
            f"{self.lab.url}{self.lab.app.notebook_url(self.path)}?token={self.lab.token}"
        )
        self.wait_for_kernel_idle(timeout=timeout)
        if theme is not None:
            expect(self.page.locator("body")).to_have_attribute(
                "data-jp-theme-name", theme, timeout=timeout * 1000
            )
        # Room for the notebook: no file browser, no property inspector (Notebook 7
        # shows neither by default).
        self.page.evaluate(
            "() => { window.jupyterapp.shell.collapseLeft?.(); "
            "window.jupyterapp.shell.collapseRight?.(); }"
        )
        return self

    def wait_for_kernel_idle(self, *, timeout: float = 30.0) -> None:
        predicate, arg = self.lab.app.kernel_idle(self.path)
        self.wait_in_page(predicate, arg, timeout=timeout, what="the kernel to be idle")

    def wait_in_page(self, predicate: str, arg: Any = None, *, timeout: float, what: str) -> None:
        """Wait until the JavaScript ``predicate(arg)`` is true, polling inside the page.

        The harness's own waits poll here rather than with ``expect()``: every poll of
        ``expect()`` that fails takes an aria snapshot of the whole page for its message,
        which costs the page's main thread seconds once a widget holds a long answer.
        """
        try:
            self.page.wait_for_function(predicate, arg=arg, timeout=timeout * 1000, polling=100)
        except PlaywrightTimeoutError as exc:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}") from exc

    # -- cells ----------------------------------------------------------------------

    def cell(self, index: int) -> Locator:
        """The whole cell (input and output)."""
        return self.page.locator(".jp-Notebook .jp-Notebook-cell").nth(index)

    def output(self, index: int) -> Locator:
        """The output area of a cell; its ``.jp-OutputArea-output`` children are the
        individual outputs (an execute result also has an ``[n]:`` prompt beside it)."""
        return self.cell(index).locator(".jp-Cell-outputArea")

    def prompt(self, index: int) -> Locator:
        """The input prompt: ``[ ]:``, ``[*]:`` while running, ``[n]:`` once run."""
        return self.cell(index).locator(".jp-InputArea-prompt")

    @property
    def cell_count(self) -> int:
        count: int = self.page.evaluate(_JS_CELL_COUNT, self.path)
        return count

    def submit(self, code: str) -> int:
        """Put ``code`` in a new cell at the end and execute it with Shift+Enter, without
        waiting for it to finish. Returns the cell's index, for :meth:`wait`."""
        index: int = self.page.evaluate(_JS_PREPARE_CELL, [self.path, code])
        # Focus the cell's editor as a user would, then run it from the keyboard.
        self.cell(index).locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Shift+Enter")
        return index

    def wait(self, index: int, *, timeout: float = 30.0, check: bool = True) -> Locator:
        """Wait until cell ``index`` has run; return its output area.

        With ``check``, raise :class:`CellError` if the cell raised an exception.
        """
        self.wait_in_page(
            _JS_CELL_EXECUTED,
            [self.path, index],
            timeout=timeout,
            what=f"cell {index} to finish",
        )
        # The execution count comes with the kernel's reply on the shell channel; the
        # outputs come on the iopub channel, which ends with "idle". Waiting for idle as
        # well means every output of the cell has been rendered.
        self.wait_for_kernel_idle(timeout=timeout)
        if check:
            errors = self.page.evaluate(_JS_CELL_ERRORS, [self.path, index])
            if errors:
                error = errors[0]
                traceback = ANSI_ESCAPE.sub("", "\n".join(error.get("traceback", [])))
                raise CellError(
                    f"cell {index} raised {error['ename']}: {error['evalue']}\n{traceback}"
                )
        return self.output(index)

    def run(self, code: str, *, timeout: float = 30.0, check: bool = True) -> Locator:
        """Run ``code`` in a new cell, wait until it has finished, return its output area.

        Example: ``expect(notebook.run("print(6 * 7)")).to_have_text("42")``.
        """
        return self.wait(self.submit(code), timeout=timeout, check=check)

    def run_all(self, *, timeout: float = 60.0) -> None:
        """Run every cell from the menu (Run, Run All Cells), as a user would, and wait
        until the last one has run and the kernel is idle again."""
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        self.wait(self.cell_count - 1, timeout=timeout)

    # -- look -----------------------------------------------------------------------

    def screenshot(self, name: str, target: Locator | None = None) -> Path:
        """Save a PNG of the page (or of ``target``) under ``tests/browser/screenshots/``,
        named after the test and ``name``; return its path."""
        return save_screenshot(target or self.page, self.screenshot_prefix, name)

    def set_theme(self, theme: str, *, timeout: float = 10.0) -> None:
        """Switch the theme live, e.g. to :data:`DARK_THEME`, as the Settings menu does.

        Lab saves the choice in the user settings; the next notebook the harness opens
        resets it, so it does not leak into other tests.
        """
        self.page.evaluate(
            "(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})",
            theme,
        )
        expect(self.page.locator("body")).to_have_attribute(
            "data-jp-theme-name", theme, timeout=timeout * 1000
        )

    def close(self) -> None:
        """Close the page, then shut its kernel down."""
        try:
            self.context.close()
        finally:
            self.lab.shutdown_kernels()


#: The ``new_notebook`` fixture: ``new_notebook(theme=None, viewport=(1280, 900))``.
NewNotebook = Callable[..., Notebook]
