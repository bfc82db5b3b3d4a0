"""The front ends a notebook user shows a widget in, behind one interface: start a
host, then open notebooks of code cells in it and get a page where the cells run.

=============== ============================================ ==========================
host            server                                       how the cells run
=============== ============================================ ==========================
``lab``         ``jupyter lab`` (:class:`.lab.LabServer`)    Run > Run All Cells
``notebook7``   ``jupyter notebook``                         Run > Run All Cells
``voila``       ``voila <dir>``                              Voila runs them on load
``marimo-edit`` ``marimo edit <file>``, one per notebook     its run-all button
``marimo-run``  ``marimo run <file>``, one per notebook      it runs the app on load
=============== ============================================ ==========================

Every server runs on a free port with its state under a temporary directory
(``servers.py``); every page is a browser context of its own, whose console errors are
collected (``pages.py``).
"""

from __future__ import annotations

import json
import sys
import textwrap
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Browser, Locator, Page

from .lab import JUPYTERLAB, NOTEBOOK7, LabServer, Notebook, notebook_json
from .pages import ConsoleLog, new_page, poll, save_screenshot
from .servers import ServerProcess, free_port, jupyter_env

HOSTS = ("lab", "notebook7", "voila", "marimo-edit", "marimo-run")

#: The viewport of a host's page: tall enough that a screenshot shows several views.
VIEWPORT = (1280, 1400)


@dataclass
class HostPage:
    """A notebook open in a host's page, its cells run or running."""

    host: str
    page: Page = field(repr=False)
    #: The notebook's file, relative to the host's root.
    path: str
    console: ConsoleLog = field(repr=False)
    screenshot_prefix: str = field(repr=False)
    _close: Callable[[], None] = field(repr=False)

    @property
    def page_errors(self) -> list[str]:
        return self.console.texts

    def screenshot(self, name: str, target: Locator | None = None) -> Path:
        """Save a PNG of the whole page (or of ``target``) as ``<prefix>-<name>.png``."""
        return save_screenshot(target or self.page, self.screenshot_prefix, name, full_page=True)

    def close(self) -> None:
        self._close()

    @contextmanager
    def closed_on_error(self) -> Iterator[HostPage]:
        """Leave a screenshot of the page and close it if the block fails (a notebook
        that does not open or run is a failure before any test has the page)."""
        try:
            yield self
        except BaseException:
            with suppress(Exception):
                self.screenshot("failure")
            self.close()
            raise


class Host(ABC):
    """A front end with its server running; open notebooks in it with :meth:`open`."""

    name: str
    #: The ways a cell can show a widget in this host (the ``how`` of :meth:`show`).
    displays: tuple[str, ...] = ("direct",)
    #: Code the first cell starts with (marimo: the ``mo`` that wraps a widget).
    prelude: str = ""

    def show(self, variable: str, how: str = "direct") -> str:
        """The last line of a cell that shows the widget in ``variable``."""
        assert how == "direct", how
        return variable

    @abstractmethod
    def open(
        self, browser: Browser, name: str, cells: Sequence[str], *, screenshot_prefix: str
    ) -> HostPage:
        """Write a notebook called ``name`` with these code cells, open it in a new page
        and run its cells (or let the host run them)."""


class JupyterHost(Host):
    """JupyterLab or Notebook 7: the notebook is opened as a user would and its cells
    run from the Run menu."""

    def __init__(self, name: str, server: LabServer) -> None:
        self.name = name
        self.server = server

    def open(
        self, browser: Browser, name: str, cells: Sequence[str], *, screenshot_prefix: str
    ) -> HostPage:
        path = self.server.create_notebook(f"{name}.ipynb", cells)
        notebook = Notebook.in_new_context(
            self.server, browser, path, screenshot_prefix=screenshot_prefix, viewport=VIEWPORT
        )
        assert notebook.console is not None  # watched from before the page loads
        opened = HostPage(
            self.name, notebook.page, path, notebook.console, screenshot_prefix, notebook.close
        )
        with opened.closed_on_error():
            notebook.open()
            notebook.run_all()
        return opened


class FileHost(Host):
    """A host that serves notebooks from the files in its root directory."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.root = root

    @abstractmethod
    def write(self, name: str, cells: Sequence[str]) -> str:
        """Write the notebook's file under the root; return its path relative to it."""

    @abstractmethod
    def serve(self, path: str) -> AbstractContextManager[str]:
        """Serve the notebook at ``path`` while in the context; give its page's URL."""

    def run_cells(self, page: Page) -> None:
        """Run the page's cells, where the host does not on its own."""

    def open(
        self, browser: Browser, name: str, cells: Sequence[str], *, screenshot_prefix: str
    ) -> HostPage:
        path = self.write(name, cells)
        serving = ExitStack()
        url = serving.enter_context(self.serve(path))
        context, page, console = new_page(browser, VIEWPORT)
        serving.callback(context.close)  # closed first
        opened = HostPage(self.name, page, path, console, screenshot_prefix, serving.close)
        with opened.closed_on_error():
            page.goto(url)
            self.run_cells(page)
        return opened


class VoilaHost(FileHost):
    """Voila runs the whole notebook when its page is requested, then shows the outputs
    (no code) with live widgets. One server serves every notebook in the root."""

    def __init__(self, name: str, root: Path, server: ServerProcess) -> None:
        super().__init__(name, root)
        self.server = server

    def write(self, name: str, cells: Sequence[str]) -> str:
        path = f"{name}.ipynb"
        (self.root / path).write_text(json.dumps(notebook_json(cells)))
        return path

    def serve(self, path: str) -> AbstractContextManager[str]:
        return nullcontext(f"{self.server.url}/voila/render/{quote(path)}")


#: marimo's run-all button: the round one at the bottom right (each cell has its own).
_MARIMO_RUN_ALL = "#app .absolute.bottom-5.right-5 [data-testid='run-button']"


class MarimoHost(FileHost):
    """marimo serves one notebook per server, as people use it (``marimo edit app.py``,
    ``marimo run app.py``: in a folder, ``run`` would only see the files there when it
    started). ``edit`` opens the notebook with its cells not run (runtime.auto_instantiate
    is off); ``run`` serves it as an app, which runs on load. A widget shows as a cell's
    last expression or wrapped in ``mo.ui.anywidget``."""

    displays = ("direct", "wrapped")
    prelude = "import marimo as mo\n"

    def __init__(self, name: str, root: Path, base_dir: Path) -> None:
        super().__init__(name, root)
        self.mode = name.removeprefix("marimo-")
        self.base_dir = base_dir
        self.env = marimo_env(base_dir)

    def show(self, variable: str, how: str = "direct") -> str:
        return f"mo.ui.anywidget({variable})" if how == "wrapped" else variable

    def write(self, name: str, cells: Sequence[str]) -> str:
        path = f"{name}.py"
        (self.root / path).write_text(marimo_source(cells))
        return path

    @contextmanager
    def serve(self, path: str) -> Iterator[str]:
        port = free_port()
        command = [
            *(sys.executable, "-m", "marimo", self.mode, path, "--headless", "--no-token"),
            *("--host", "127.0.0.1", "--port", str(port), "--no-sandbox"),
        ]
        if self.mode == "edit":
            command.append("--skip-update-check")
        with ServerProcess.running(
            f"marimo {self.mode}",
            command,
            port=port,
            env=self.env,
            log_path=self.base_dir / f"marimo-{self.mode}-{Path(path).stem}.log",
            # marimo also reads a `.marimo.toml` from the working directory up.
            cwd=self.root,
        ) as server:
            yield server.url

    def run_cells(self, page: Page) -> None:
        if self.mode != "edit":
            return
        button = page.locator(_MARIMO_RUN_ALL)
        # The button turns yellow ("cells need to run") once the kernel is connected;
        # a click before that does nothing.
        poll(
            lambda: "yellow" in (button.get_attribute("class") or ""),
            timeout=60,
            what="marimo's run-all button to be ready",
        )
        button.click()


def marimo_source(cells: Sequence[str]) -> str:
    """A marimo notebook file of these cells. marimo finds each cell's references and
    definitions in its code, so the functions need no parameters or return values."""
    functions = "".join(
        f"\n\n@app.cell\ndef _():\n{textwrap.indent(cell.rstrip(), '    ')}\n    return\n"
        for cell in cells
    )
    return (
        f"import marimo\n\napp = marimo.App()\n{functions}\n\n"
        'if __name__ == "__main__":\n    app.run()\n'
    )


@contextmanager
def running_host(name: str, base_dir: Path, *, lab: LabServer | None = None) -> Iterator[Host]:
    """Start the host called ``name`` (one of :data:`HOSTS`) with its state under
    ``base_dir``; stop it on exit. ``lab``: a running JupyterLab to use, not start."""
    if name == "lab" and lab is not None:
        yield JupyterHost(name, lab)
        return
    if name in ("lab", "notebook7"):
        app = JUPYTERLAB if name == "lab" else NOTEBOOK7
        with LabServer.running(base_dir, app=app) as server:
            yield JupyterHost(name, server)
        return
    root = base_dir / "root"
    root.mkdir(parents=True, exist_ok=True)
    if name == "voila":
        port = free_port()
        command = [
            *(sys.executable, "-m", "voila", str(root), "--no-browser"),
            *("--Voila.ip=127.0.0.1", f"--Voila.port={port}", "--Voila.port_retries=0"),
            # A cell's error shows in the page (and in a failure's screenshot).
            "--VoilaConfiguration.show_tracebacks=True",
        ]
        env = jupyter_env(base_dir)
        with ServerProcess.running(
            "Voila", command, port=port, env=env, log_path=base_dir / "voila.log"
        ) as server:
            yield VoilaHost(name, root, server)
        return
    if name in ("marimo-edit", "marimo-run"):
        yield MarimoHost(name, root, base_dir)
        return
    raise ValueError(f"unknown host {name!r}; hosts: {', '.join(HOSTS)}")


def marimo_env(base_dir: Path) -> dict[str, str]:
    """marimo's environment: its user config (found in the home directory or under
    XDG_CONFIG_HOME) and state in ``base_dir``, the config pinned to what the tests
    expect."""
    env = jupyter_env(base_dir)
    for variable, name in (("HOME", "home"), ("XDG_CONFIG_HOME", "config")):
        (base_dir / name).mkdir(parents=True, exist_ok=True)
        env[variable] = str(base_dir / name)
    config = base_dir / "config" / "marimo" / "marimo.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    # Cells run when the test presses "run all", not when the page opens (the default,
    # stated so that a changed default cannot change what `marimo edit` is tested with).
    config.write_text("[runtime]\nauto_instantiate = false\n")
    return env
