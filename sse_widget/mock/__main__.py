"""``python -m sse_widget.mock``: serve the mock server until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from ._server import MockServer


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sse_widget.mock",
        description="Serve the sse_widget SSE mock server (GET / lists endpoints and knobs).",
    )
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument(
        "--cors", action="store_true", help="answer CORS, for pages on other origins"
    )
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        mock = MockServer(args.host, args.port, cors=args.cors).start()
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # A plain `kill` (what a benchmark's terminate() sends) ends as quietly as Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        # The one line a script reads to learn the port: keep its wording stable.
        print(f"sse_widget mock server on {mock.url}", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        mock.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
