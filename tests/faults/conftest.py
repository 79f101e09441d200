"""Fixtures of the fault suite: a PostgreSQL cluster of its own, and a small tmpfs disk.

Both need privileges (the postgres OS user, `mount`): where they are missing the tests are
skipped locally, but fail under CI (CI=true), which must run them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.faults.pgcluster import Cluster, ClusterUnavailable


def _unavailable(why: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"the fault suite must run in CI: {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def own_pg() -> Iterator[Cluster]:
    """A PostgreSQL cluster started for this session, which the tests may stop, crash and
    freeze; each test makes its own database in it (`Cluster.new_database`)."""
    try:
        cluster = Cluster.create()
    except ClusterUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs mounted for this test."""
    path = tmp_path / "disk"
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        _unavailable(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
