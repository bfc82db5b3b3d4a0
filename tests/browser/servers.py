"""A host's server as a child process: started on a free port with its state in a
temporary directory, ready once it answers HTTP, stopped with all its kernels.

Every host the browser tests drive (JupyterLab, Notebook 7, Voila, marimo) is started
through :meth:`ServerProcess.running`; ``hosts.py`` says with which command.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(path: Path, lines: int = 60) -> str:
    """The last ``lines`` of a log, for a failure message."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def jupyter_env(base_dir: Path) -> dict[str, str]:
    """The environment for a Jupyter server whose config, data, runtime and IPython
    directories are under ``base_dir``: nothing from the machine's own Jupyter setup
    leaks in, and nothing leaks out."""
    dirs = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "IPYTHONDIR": "ipython",
    }
    env = {**os.environ, "JUPYTER_PLATFORM_DIRS": "1"}
    for variable, name in dirs.items():
        (base_dir / name).mkdir(parents=True, exist_ok=True)
        env[variable] = str(base_dir / name)
    return env


@dataclass
class ServerProcess:
    """A running server; make one with :meth:`running`."""

    name: str
    url: str
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @classmethod
    @contextmanager
    def running(
        cls,
        name: str,
        command: Sequence[str],
        *,
        port: int,
        env: Mapping[str, str],
        log_path: Path,
        ready_path: str = "/",
        headers: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 60.0,
    ) -> Iterator[ServerProcess]:
        """Run ``command`` (which serves on ``port``), wait until ``GET ready_path``
        answers 200, and stop it, with every process it started, on exit."""
        with log_path.open("wb") as log:
            # A session of its own, so that stopping it also reaches its kernels.
            process = subprocess.Popen(
                list(command),
                env=dict(env),
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = cls(name, f"http://127.0.0.1:{port}", log_path, process)
        try:
            server._wait_ready(ready_path, headers or {}, timeout)
            yield server
        finally:
            server._stop()

    def fail(self, message: str) -> None:
        """Fail the test with ``message`` and the end of the server's log."""
        pytest.fail(f"{message}\n--- {self.log_path}\n{tail(self.log_path)}", pytrace=False)

    def _wait_ready(self, path: str, headers: Mapping[str, str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, headers=dict(headers), timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    self.fail(
                        f"{self.name} exited with code {self.process.returncode} while starting."
                    )
                try:
                    if client.get(path).status_code == 200:
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                if time.monotonic() > deadline:
                    self.fail(
                        f"{self.name} did not answer {self.url}{path} within {timeout:.0f} s."
                    )
                time.sleep(0.2)

    def _stop(self) -> None:
        if self.process.poll() is None:
            # SIGTERM lets the server shut its kernels down cleanly.
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # Whatever is left of the server's session (a kernel that would not die).
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
