"""Run `cdrhub serve` as a real subprocess: for crash tests and benchmarks.

    server = start_server({"CDRHUB_DATABASE_URL": url, "CDRHUB_INGEST_TOKEN": "serverproc-token-0123"})
    ...  # talk to server.base_url
    server.kill()           # SIGKILL: no shutdown code runs, like a power cut of the process
    server = server.restart()  # same port, same environment
    server.stop()           # SIGTERM, then SIGKILL after a grace period

The server runs under the current interpreter (`sys.executable -m cdrhub.cli serve`), so it works
in any virtualenv without relying on the `cdrhub` script being on PATH. Its output goes to a log
file (never a pipe that could fill up and block it); `ServerProcess.log_tail()` shows it when it
fails to start.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

HOST = "127.0.0.1"


class ServerStartError(RuntimeError):
    """The server exited or did not answer /healthz in time."""


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    host: str
    port: int
    env: dict[str, str]
    log_path: Path
    args: tuple[str, ...] = ()
    launcher: tuple[str, ...] = ()
    _log_file: object = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the server and reap it: no shutdown handler, no flush, nothing runs."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._close_log()

    def stop(self, grace: float = 10.0) -> int:
        """SIGTERM (uvicorn shuts down cleanly), SIGKILL if still running after `grace`."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._close_log()
        return int(self.proc.returncode)

    def restart(self, timeout: float = 30.0) -> ServerProcess:
        """Start a new server with the same environment, port and arguments (after a kill)."""
        if self.alive():
            raise RuntimeError("server still running: kill() or stop() it first")
        return start_server(
            self.env,
            host=self.host,
            port=self.port,
            timeout=timeout,
            log_path=self.log_path,
            extra_args=self.args,
            inherit_env=False,
            launcher=self.launcher,
        )

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
            self._log_file = None

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_server(
    env: Mapping[str, str],
    *,
    host: str = HOST,
    port: int | None = None,
    timeout: float = 30.0,
    log_path: Path | None = None,
    extra_args: Sequence[str] = (),
    inherit_env: bool = True,
    launcher: Sequence[str] = (),
) -> ServerProcess:
    """Start `cdrhub serve` on `port` (a free one if None) and wait until /healthz answers.

    `env` is laid over the current environment (unless `inherit_env` is False); pass at least
    CDRHUB_DATABASE_URL, and usually CDRHUB_INGEST_TOKEN, CDRHUB_API_KEY, CDRHUB_RUN_WORKER.
    Raises ServerStartError (with the server's log) if it exits or does not answer in time.
    `launcher` replaces the command before `serve` (default: this interpreter, `-m cdrhub.cli`),
    e.g. `[sys.executable, "-c", "<patch something>; from cdrhub.cli import app; app()"]`.
    """
    port = port or free_port(host)
    full_env = {**os.environ, **env} if inherit_env else dict(env)
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix=f"cdrhub-serve-{port}-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    log_file = log_path.open("ab")
    args = tuple(extra_args)
    launcher = tuple(launcher) or (sys.executable, "-m", "cdrhub.cli")
    cmd = [*launcher, "serve", "--host", host, "--port", str(port), *args]
    proc = subprocess.Popen(cmd, env=full_env, stdout=log_file, stderr=subprocess.STDOUT)
    server = ServerProcess(proc, host, port, full_env, log_path, args, launcher, log_file)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while True:
            if not server.alive():
                server._close_log()
                raise ServerStartError(
                    f"cdrhub serve exited with {proc.returncode}:\n{server.log_tail()}"
                )
            try:
                if client.get(f"{server.base_url}/healthz").status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                server.kill()
                raise ServerStartError(
                    f"cdrhub serve did not answer /healthz within {timeout}s:\n{server.log_tail()}"
                )
            time.sleep(0.05)


def wait_ready(server: ServerProcess, timeout: float = 60.0) -> float:
    """Poll /readyz until it answers 200 {"status": "ok"}; returns the seconds that took."""
    started = time.monotonic()
    with httpx.Client(timeout=timeout) as client:
        while True:
            if not server.alive():
                raise ServerStartError(f"cdrhub serve exited:\n{server.log_tail()}")
            try:
                response = client.get(f"{server.base_url}/readyz")
                if response.status_code == 200 and response.json() == {"status": "ok"}:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > timeout:
                raise ServerStartError(f"/readyz not ok within {timeout}s:\n{server.log_tail()}")
            time.sleep(0.05)
