"""The long commands draw a progress bar on stderr when it is a terminal (a pseudo-terminal
here), never on stdout, and none with --quiet or when stderr is not a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

CDRHUB = str(Path(sys.executable).with_name("cdrhub"))


def _run(
    args: list[str], tmp_path: Path, *, tty: bool, db: str = "configured.db"
) -> tuple[str, str]:
    """stdout (a pipe) and stderr (a pseudo-terminal, or a pipe) of a command."""
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120",
           "CDRHUB_DATABASE_URL": f"sqlite:///{tmp_path / db}"}  # fmt: skip
    env.pop("CDRHUB_CONFIG", None)
    if not tty:
        done = subprocess.run([CDRHUB, *args], env=env, capture_output=True, timeout=120)
        return done.stdout.decode(), done.stderr.decode()
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [CDRHUB, *args], env=env, stdout=subprocess.PIPE, stderr=follower
    ) as process:
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        out = process.stdout.read() if process.stdout else b""
    os.close(leader)
    return out.decode(), seen.decode(errors="replace")


def test_demo_bar_on_a_terminal_only(tmp_path: Path) -> None:
    demo = ["demo", "--days", "2", "--calls-per-day", "40", "--until", "2024-03-12",
            "--database", f"sqlite:///{tmp_path / 'demo.db'}"]  # fmt: skip
    out, err = _run(demo, tmp_path, tty=True)
    assert "demo (days)" in err and "2/2" in err
    assert out.startswith("stored ") and "demo (days)" not in out
    named = f"database: sqlite:///{tmp_path / 'demo.db'}"  # every command names its database
    out, err = _run([*demo, "--quiet"], tmp_path, tty=True)
    assert err.splitlines() == [named]
    assert out.startswith("stored 0 new, ")
    out, err = _run(demo, tmp_path, tty=False)
    assert err.splitlines() == [named]
    assert out.startswith("stored 0 new, ")
    # rebuild reads an existing database (the demo's): it creates none
    out, err = _run(["analytics", "rebuild"], tmp_path, tty=True, db="demo.db")
    assert "rebuild (legs)" in err and out.startswith(
        "rolled up 145 legs in "
    )  # the demo's two days
