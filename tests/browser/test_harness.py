"""Smoke tests of the browser harness itself: each one breaks if a piece of it does."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .lab import DARK_THEME, LIGHT_THEME, CellError, NewNotebook, Notebook

pytestmark = pytest.mark.browser

# An anywidget that shows its trait `v` and follows every change of it.
WIDGET = """\
import anywidget
import traitlets


class W(anywidget.AnyWidget):
    _esm = '''
    export default {
      render({ model, el }) {
        const show = () => { el.textContent = "hello " + model.get("v"); };
        show();
        model.on("change:v", show);
        return () => model.off("change:v", show);
      }
    }
    '''
    v = traitlets.Unicode("x").tag(sync=True)
"""

# Records every change of the text of `el` in window.__seen, with whether a cell was
# running at that moment (its prompt shows "[*]:").
RECORD_CHANGES = """
(el) => {
    window.__seen = [];
    const busy = () => [...document.querySelectorAll(".jp-InputArea-prompt")]
        .some((prompt) => prompt.textContent.trim() === "[*]:");
    new MutationObserver(() => {
        window.__seen.push({ text: el.textContent, busy: busy() });
    }).observe(el, { childList: true, characterData: true, subtree: true });
}
"""


def test_print(notebook: Notebook) -> None:
    expect(notebook.run("print(6 * 7)")).to_have_text("42")
    assert notebook.cell_count == 2  # Shift+Enter added an empty cell below
    expect(notebook.prompt(0)).to_have_text("[1]:")


def test_multiline_cell_keeps_its_indentation(notebook: Notebook) -> None:
    code = (
        "for i in range(3):\n"
        "    if i % 2:\n"
        "        print(f'odd {i}')\n"
        "    else:\n"
        "        print(f'even {i}')\n"
        "print('done')\n"
    )
    out = notebook.run(code)
    assert out.inner_text().splitlines() == ["even 0", "odd 1", "even 2", "done"]


def test_cells_run_in_order_and_errors_are_raised(notebook: Notebook) -> None:
    notebook.run("x = 1")
    expect(notebook.run("x + 1")).to_contain_text("2")
    with pytest.raises(CellError, match="ZeroDivisionError"):
        notebook.run("1 / 0")
    # check=False: the error is shown, not raised.
    expect(notebook.run("undefined_name", check=False)).to_contain_text("NameError")
    assert [notebook.prompt(i).inner_text() for i in range(4)] == [
        "[1]:",
        "[2]:",
        "[3]:",
        "[4]:",
    ]


def test_widget_renders_and_follows_its_trait(notebook: Notebook) -> None:
    notebook.run(WIDGET)
    out = notebook.run("w = W()\ndisplay(w)")
    expect(out).to_have_text("hello x")
    notebook.run("w.v = 'y'")
    expect(out).to_have_text("hello y")
    assert notebook.screenshot("widget").stat().st_size > 0


def test_widget_updates_from_a_thread_while_the_cell_is_busy(notebook: Notebook) -> None:
    notebook.run(WIDGET)
    out = notebook.run("w = W()\ndisplay(w)")
    expect(out).to_have_text("hello x")
    out.locator(".jp-OutputArea-output").evaluate(RECORD_CHANGES)

    cell = notebook.submit(
        "import threading, time\n"
        "stop = threading.Event()\n"
        "def tick():\n"
        "    n = 0\n"
        "    while not stop.wait(0.2):\n"
        "        n += 1\n"
        "        w.v = f'tick {n}'\n"
        "thread = threading.Thread(target=tick)\n"
        "thread.start()\n"
        "time.sleep(3)\n"
        "stop.set()\n"
        "thread.join()\n"
        "print('slept')\n"
    )
    expect(notebook.wait(cell, timeout=20)).to_have_text("slept")

    seen: list[dict[str, object]] = notebook.page.evaluate("window.__seen")
    while_busy = {change["text"] for change in seen if change["busy"]}
    # ~14 ticks in 3 s; 5 distinct texts shown while the cell ran leave room for a slow
    # machine, and still prove the updates were not held back until the cell finished.
    assert len(while_busy) >= 5, seen
    assert all(str(text).startswith("hello tick ") for text in while_busy), seen


def test_dark_theme_does_not_leak_into_the_next_notebook(
    dark_notebook: Notebook, new_notebook: NewNotebook
) -> None:
    expect(dark_notebook.page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    light = new_notebook()
    expect(light.page.locator("body")).to_have_attribute("data-jp-theme-name", LIGHT_THEME)


@pytest.mark.parametrize("lab_theme", [DARK_THEME])
def test_theme_switches_live(notebook: Notebook) -> None:
    body = notebook.page.locator("body")
    expect(body).to_have_attribute("data-jp-theme-name", DARK_THEME)
    notebook.set_theme(LIGHT_THEME)
    expect(body).to_have_attribute("data-jp-theme-light", "true")
