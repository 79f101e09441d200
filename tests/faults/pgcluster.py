"""A PostgreSQL cluster of the test's own, to stop, crash and freeze without touching the shared
one: `initdb` and `pg_ctl` from /usr/lib/postgresql/*/bin, run as the `postgres` OS user (via
`runuser` when the tests run as root), on a free port, its data and socket under a temporary
directory, listening on 127.0.0.1 only.

    cluster = Cluster.create()      # initdb + start
    url = cluster.new_database()    # a fresh database's SQLAlchemy URL
    cluster.stop(); cluster.start() # pg_ctl stop -m fast / start
    cluster.crash()                 # SIGKILL the postmaster (its children then exit)
    cluster.freeze(); cluster.thaw()  # SIGSTOP / SIGCONT the postmaster and its children
    cluster.destroy()
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.serverproc import HOST, free_port


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or no way to run them as the postgres user."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
    if not found:
        raise ClusterUnavailable("no /usr/lib/postgresql/*/bin/pg_ctl")
    return Path(found[-1]).parent


def _version(path: str) -> int:
    return int(Path(path).parent.parent.name.split(".")[0])


def _as_postgres() -> list[str]:
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ClusterUnavailable("no postgres OS user") from exc
    if pwd.getpwuid(os.geteuid()).pw_name == "postgres":
        return []
    if os.geteuid() == 0 and shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"]
    raise ClusterUnavailable("cannot run PostgreSQL as the postgres user (not root)")


def _descendants(pid: int) -> list[int]:
    """`pid`'s children, grandchildren, ... (Linux /proc)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in glob.glob(f"/proc/{parent}/task/*/children"):
            with contextlib.suppress(OSError):
                for child in Path(task).read_text().split():
                    out.append(int(child))
                    todo.append(int(child))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Cluster:
    bin: Path
    root: Path
    port: int
    runner: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    @classmethod
    def create(cls) -> Cluster:
        bin_dir, runner = _bin_dir(), _as_postgres()
        root = Path(tempfile.mkdtemp(prefix="cdrhub-pg-"))
        postgres = pwd.getpwnam("postgres")
        os.chown(root, postgres.pw_uid, postgres.pw_gid)
        cluster = cls(bin_dir, root, free_port(), runner)
        cluster._run("initdb", "-D", str(cluster.data), "-U", "postgres", "-A", "trust",
                     "-E", "UTF8", "--no-sync", "--no-instructions")  # fmt: skip
        cluster.start()
        return cluster

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run(
            [*self.runner, str(self.bin / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}{result.stderr}{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses={HOST} "
            "-c shared_buffers=16MB -c max_connections=40"
        )
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data),
                  "-l", str(self.log), "-o", options)  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.data))

    def postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def processes(self) -> list[int]:
        pid = self.postmaster()
        return [pid, *_descendants(pid)]

    def crash(self) -> None:
        """SIGKILL the postmaster, as the OOM killer would; its children notice and exit, and
        the next start runs crash recovery."""
        pids = self.processes()
        os.kill(pids[0], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in pids:  # a straggler would keep the old shared memory in use
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        # The dead postmaster stays a zombie until PID 1 reaps it, and while its PID exists
        # the lock file stops a new one from starting. Every process is dead: remove it.
        while any(Path(f"/proc/{p}").exists() for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        (self.data / "postmaster.pid").unlink(missing_ok=True)

    def freeze(self) -> list[int]:
        pids = self.processes()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    def thaw(self, pids: list[int]) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def admin_url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/postgres"

    def new_database(self) -> str:
        name = f"cdrhub_fault_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/{name}"

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.thaw(self.processes())
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
