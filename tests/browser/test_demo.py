"""The README's demo command, end to end: ``bash .ci/demo`` serves JupyterLab on the
quickstart, and running the quickstart in a real browser streams an answer."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from .pages import SCREENSHOT_DIR
from .servers import free_port

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "notebooks" / "01-quickstart.ipynb"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """Run ``bash .ci/demo`` on a free port; yield the URL it printed and its output."""
    settings = tmp_path / "settings"
    for plugin, values in {
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        # The demo opens the committed notebook: running it here must not save into it.
        "docmanager-extension/plugin": {"autosave": False},
    }.items():
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
    }
    port = free_port()
    process = subprocess.Popen(
        [
            "bash",
            str(ROOT / ".ci" / "demo"),
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
        ],
        cwd=tmp_path,  # the command finds the project from its own path
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    url = None
    deadline = time.monotonic() + 180
    try:
        assert process.stdout is not None
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            found = re.search(
                rf"http://127\.0\.0\.1:{port}/lab/tree/notebooks/01-quickstart\.ipynb\?token=\w+",
                line,
            )
            if found:
                url = found.group(0)
        assert url, "the demo printed no URL:\n" + "".join(lines)
        yield url, lines
    finally:
        if process.stdout is not None:
            process.stdout.close()
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.timeout(240)  # the command sets up its environment first
def test_the_demo_command_opens_the_quickstart_and_it_streams(
    demo: tuple[str, list[str]], chromium: Browser
) -> None:
    url, _output = demo
    saved = QUICKSTART.read_bytes()
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(url)
        tab = page.locator(".lm-TabBar-tab", has_text="01-quickstart.ipynb")
        expect(tab).to_be_visible(timeout=60_000)
        expect(page.get_by_text("| Idle")).to_be_visible(timeout=60_000)
        page.locator(".jp-Notebook").first.click()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        # The quickstart's answer, rendered as markdown, and every stream ended well.
        heading = page.locator(".sse-widget-markdown h1").first
        expect(heading).to_contain_text("Mock answer", timeout=90_000)
        widgets = page.locator(".sse-widget")
        expect(widgets.last).to_have_attribute("data-status", "done", timeout=60_000)
        statuses = widgets.evaluate_all("ws => ws.map(w => w.dataset.status)")
        assert len(statuses) >= 2
        assert set(statuses) == {"done"}, statuses
        SCREENSHOT_DIR.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOT_DIR / "demo-quickstart.png")
    finally:
        context.close()
    assert QUICKSTART.read_bytes() == saved, "running the demo changed the committed notebook"
