"""How the front end reaches the page: the whole module once per kernel, a loader per widget.

anywidget sends a widget's ``_esm`` with every instance (230 KB each, and each evaluated
again in the page), and keeps a reference to every instance whose class gives ``_esm`` as
a file path, to hot-reload it: widgets made and closed by the hundred were never freed.
So instead:

- the whole front end (``static/widget.js``, styles included) goes to the page once, in
  the state of one hidden ``ModuleWidget`` per kernel, which registers it in the page
  under ``module_key()``, a hash of its source;
- every ``StreamWidget`` carries only ``static/loader.js`` (about 1 KB), which waits for
  that registration. A host that does not create widgets it does not show (marimo) never
  loads the module widget; there the loader asks its own widget for the source, and
  ``module_parts()`` answers it.

Both files are read once, as strings, so anywidget keeps no reference. With
``ANYWIDGET_HMR=1`` (anywidget's hot reload, for front-end work) a widget carries the
whole module as a watched file instead, as anywidget intends.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ._coalesce import text_parts

__all__ = [
    "MODULE_PART_CHARS",
    "ModuleWidget",
    "ensure_module_widget",
    "hot_reload",
    "loader_source",
    "module_key",
    "module_parts",
    "module_source",
]

STATIC = Path(__file__).parent / "static"
MISSING_FRONT_END = """
export default { render({ el }) {
  el.textContent = "sse_widget: the front end is not built (run `npm ci && npm run build`).";
} };
"""
#: The largest piece of the module's source in one message to a loader that asked.
MODULE_PART_CHARS = 65536


def hot_reload() -> bool:
    """Whether anywidget's hot reload is on (``ANYWIDGET_HMR=1``)."""
    return os.environ.get("ANYWIDGET_HMR") == "1"


def _read(name: str) -> str:
    path = STATIC / name
    return path.read_text(encoding="utf-8") if path.is_file() else MISSING_FRONT_END


@functools.cache
def module_source() -> str:
    """The whole front end."""
    return _read("widget.js")


@functools.cache
def loader_source() -> str:
    """What each widget carries."""
    return _read("loader.js")


@functools.cache
def module_key() -> str:
    """Names this build of the module in the page: kernels on other builds never share."""
    return hashlib.sha256(module_source().encode("utf-8")).hexdigest()[:16]


def module_parts() -> list[dict[str, Any]]:
    """The module's source as custom messages, for a loader that asked for it."""
    source, key = module_source(), module_key()
    pieces = text_parts(source, MODULE_PART_CHARS)
    return [
        {"kind": "module", "key": key, "part": index, "parts": len(pieces), "source": piece}
        for index, piece in enumerate(pieces)
    ]


class ModuleWidget(anywidget.AnyWidget):
    """Carries the whole front end to the page, once per kernel; never displayed."""

    _esm = module_source()
    provides = traitlets.Unicode(read_only=True).tag(sync=True)

    def __init__(self) -> None:
        self.set_trait("provides", module_key())  # before the comm opens: in its state
        super().__init__()

    def __repr__(self) -> str:
        return "ModuleWidget()"


_module_widget: ModuleWidget | None = None
_module_lock = threading.Lock()


def ensure_module_widget() -> None:
    """Open the kernel's module widget if it is not open (first widget, or after
    ``Widget.close_all()``). Its comm opens before the caller's, so a page has the module
    first."""
    global _module_widget
    if hot_reload():
        return
    with _module_lock:
        if _module_widget is None or _module_widget.comm is None:
            _module_widget = ModuleWidget()
