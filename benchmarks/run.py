"""Every benchmark in one run: a markdown table and a JSON file of the results.

    python benchmarks/run.py            # the full run (minutes); the README's figures
    python benchmarks/run.py --smoke    # seconds: proves every harness still runs (CI)

Writes ``benchmarks/results/results.md`` and ``results.json`` (``--out`` to change the
folder), with the date and a description of the machine. These machines are noisy: read
the ratios, and take absolute times as orientation only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_browser  # noqa: E402
import bench_client  # noqa: E402
import bench_kernel  # noqa: E402
import bench_real_use  # noqa: E402

SECTIONS: list[tuple[str, str, Callable[[list[str]], Any]]] = [
    ("client", "1. Client throughput", bench_client.main),
    ("kernel", "2, 3. The widget pipeline and the alternatives, in a kernel", bench_kernel.main),
    ("browser", "3, 4. In a real browser", bench_browser.main),
    (
        "real_use",
        "5. Real use: memory of a feed over time, bytes per new widget, 50 widgets at once",
        bench_real_use.main,
    ),
]


def machine() -> dict[str, Any]:
    chromium = "not installed"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        chromium = subprocess.run(
            ["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    return {
        "date": datetime.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "chromium": chromium,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="seconds, for CI")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    about = machine()
    report = [
        "# sse_widget benchmarks" + (" (smoke run: figures meaningless)" if args.smoke else ""),
        "",
        f"{about['date']}, {about['cpus']} CPUs, {about['platform']}, Python {about['python']},"
        f" {about['chromium']}",
    ]
    results: dict[str, Any] = {"machine": about, "smoke": args.smoke}
    for key, title, run in SECTIONS:
        print(f"\n## {title}", flush=True)
        printed = io.StringIO()
        json_path = args.out / f"{key}.json"
        argv = ["--json", str(json_path)] + (["--smoke"] if args.smoke else [])
        with contextlib.redirect_stdout(Tee(sys.stdout, printed)):
            run(argv)
        results[key] = json.loads(json_path.read_text())
        json_path.unlink()
        report += ["", f"## {title}", printed.getvalue().strip()]

    (args.out / "results.md").write_text("\n".join(report) + "\n")
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out / 'results.md'} and {args.out / 'results.json'}")


class Tee(io.TextIOBase):
    """Write to the terminal and keep a copy for the report."""

    def __init__(self, *streams: Any) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


if __name__ == "__main__":
    main()
