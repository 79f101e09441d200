"""The tests need nothing outside the repository: a copy of its files alone, far from any
checkout (no sibling folder of shared documents beside it), collects every test the checkout does, with no error."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# a path to the sibling folder of shared documents, or to the machine's work folder
OUTSIDE = re.compile(r"\.\./" + "shared" + r"|/" + "work" + r"/")
COLLECTED = re.compile(r"^(\d+) tests? collected.*$", re.MULTILINE)


def _repository_files() -> list[str]:
    """The files of the repository: tracked, and new ones not ignored (a test being added)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the repository's files cannot be listed")
    return sorted({name for name in listed.decode().split("\0") if (ROOT / name).is_file()})


def _collect(where: Path) -> int:
    """`pytest --collect-only -q` in `where` with this interpreter and `where`'s own source: the
    number of tests collected, when no module failed to collect."""
    env = {**os.environ, "PYTHONPATH": str(where / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    counted = COLLECTED.search(output)
    assert done.returncode == 0 and counted is not None, output[-4000:]
    assert "error" not in counted.group(0) and "ERROR" not in output, output[-4000:]
    return int(counted.group(1))


def test_no_test_names_a_path_outside_the_repository() -> None:
    this = Path(__file__).resolve()
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "tests").rglob("*"))
        if path.is_file() and path != this and path.suffix not in {".pyc", ".db"}
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert found == []


@pytest.mark.slow
def test_a_copy_of_the_repository_alone_collects_every_test(tmp_path: Path) -> None:
    copy = tmp_path / "far" / "away" / "cdrhub"  # no sibling folder beside it
    for name in _repository_files():
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    assert not (copy.parent / "shared").exists()
    imported = subprocess.run(
        [sys.executable, "-c", "import cdrhub; print(cdrhub.__file__)"],
        cwd=copy,
        env={**os.environ, "PYTHONPATH": str(copy / "src")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(imported).is_relative_to(copy), "the copy must test its own source"
    assert _collect(copy) == _collect(ROOT)
