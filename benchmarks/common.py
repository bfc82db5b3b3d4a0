"""What every benchmark script shares: its ``--smoke`` and ``--json`` options."""

from __future__ import annotations

import argparse
import json
from typing import Any


def parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser described by the script's docstring, with the shared options."""
    arguments = argparse.ArgumentParser(
        description=doc.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    arguments.add_argument("--smoke", action="store_true", help="a seconds-long run for CI")
    arguments.add_argument("--json", help="also write the results to this file")
    return arguments


def save(path: str | None, results: Any) -> Any:
    """Write ``results`` as JSON to ``path`` (if given) and return them."""
    if path:
        with open(path, "w") as file:
            json.dump(results, file, indent=2)
    return results


def finish(path: str | None, results: Any, table: str) -> Any:
    """Print a script's table and its run time (``results["seconds"]``); save as ``save``."""
    print(table)
    print(f"\n({results['seconds']:.0f} s)")
    return save(path, results)
