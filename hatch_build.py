"""Build the front end (one bundled ES module) whenever the package is built.

``pip install .`` or ``pip install -e .`` runs ``npm ci`` (from the committed lock file)
and ``npm run build`` (esbuild), which writes ``sse_widget/static/widget.js`` (the whole
front end) and ``loader.js`` (what each widget carries). The bundle is rebuilt only when
a source is newer than it. An sdist ships the built files, so installing from it needs
no node.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

OUTPUTS = ("sse_widget/static/widget.js", "sse_widget/static/loader.js")
SOURCES = ("js", "package.json", "package-lock.json")


class FrontEndBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        outputs = [root / name for name in OUTPUTS]
        # The built files are git-ignored; artifacts puts them in the wheel all the same.
        build_data["artifacts"].extend(OUTPUTS)
        if os.environ.get("SSE_WIDGET_SKIP_FRONT_END") == "1":
            return
        if not (root / "package.json").is_file():
            if all(path.is_file() for path in outputs):
                return  # an sdist: built already
            raise RuntimeError("the front end is neither built nor buildable (no package.json)")
        if _up_to_date(root, outputs):
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("building sse_widget's front end needs node and npm on PATH")
        installed = root / "node_modules" / ".package-lock.json"
        lock = root / "package-lock.json"
        if not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime:
            self.app.display_info("npm ci")
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
        self.app.display_info("npm run build")
        subprocess.run([npm, "run", "build"], cwd=root, check=True)


def _up_to_date(root: Path, outputs: list[Path]) -> bool:
    if not all(path.is_file() for path in outputs):
        return False
    built = min(path.stat().st_mtime for path in outputs)
    for name in SOURCES:
        source = root / name
        files = source.rglob("*") if source.is_dir() else [source]
        if any(f.is_file() and f.stat().st_mtime > built for f in files if "tests" not in f.parts):
            return False
    return True
