"""Execute the tutorial notebooks in place, storing the outputs nbval will compare.

    .venv/bin/python .ci/execute_notebooks.py                      # every notebook
    .venv/bin/python .ci/execute_notebooks.py notebooks/01-quickstart.ipynb

The tutorials are committed executed, and ``pytest --nbval`` re-runs them and compares
every output with the stored one. nbval compares each output as it was when its cell
finished; it ignores the later ``update_display_data`` messages with which a finished
StreamWidget writes its answer into its cell's output. So this script ignores them too
(otherwise the stored output would have fields the re-run lacks). Widget state and
execution timings are not stored: they hold ports and times that differ on every run.
Cells that start with ``# NBVAL_SKIP`` are not run, as nbval does not run them (they
need a page showing the widget: the browser tests run them).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


class ClientAsNbvalSees(NotebookClient):
    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        pass

    async def async_execute_cell(
        self, cell: Any, cell_index: int, *args: Any, **kwargs: Any
    ) -> Any:
        if cell.cell_type == "code" and cell.source.lstrip().startswith("# NBVAL_SKIP"):
            cell.outputs = []
            cell.execution_count = None
            return cell
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)


def execute(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    client = ClientAsNbvalSees(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
        record_timing=False,
    )
    client.execute()
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)
    print(f"{path.name}: {len(notebook.cells)} cells in {time.monotonic() - started:.1f} s")


def main(argv: list[str]) -> None:
    paths = [Path(arg) for arg in argv] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])
