"""docs/architecture.md draws every module under src/cdrhub/ ("The layout"): the drawing and the
files on disk name the same modules, each in its package (a package's `__init__.py` and the
migration revisions are left out of the drawing)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "cdrhub"
NAME = re.compile(r"^\w+(\.py|/)$")


def _layout_block() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("\n## The layout\n", 1)[1]
    block = section.split("```\n", 2)[1]
    return block.splitlines()


def _drawn() -> tuple[set[str], set[str]]:
    """The files and directories the drawing names, relative to src/cdrhub/."""
    lines = _layout_block()
    assert lines[0] == "src/cdrhub/"
    files: set[str] = set()
    dirs: set[str] = set()
    stack: list[tuple[int, str]] = []  # (indent, directory) of the open directories
    for line in lines[1:]:
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            break  # past src/cdrhub/ (tests/, bench/)
        names = line.strip().split("  ", 1)[0].split(" ")
        if not all(NAME.match(n) for n in names):
            continue  # a description carried over to the next line
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else ""
        for name in names:
            if name.endswith("/"):
                dirs.add(parent + name)
                stack.append((indent, parent + name))
            else:
                files.add(parent + name)
    return files, dirs


def _on_disk() -> tuple[set[str], set[str]]:
    files = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" and "versions" not in p.relative_to(PACKAGE).parts
    }
    dirs = {
        p.relative_to(PACKAGE).as_posix() + "/"
        for p in PACKAGE.rglob("*")
        if p.is_dir() and p.name != "__pycache__" and any(p.rglob("*.py"))
    }
    return files, dirs


def test_the_layout_drawing_names_every_module_and_no_other() -> None:
    drawn_files, drawn_dirs = _drawn()
    files, dirs = _on_disk()
    assert "ingest/pipeline.py" in drawn_files
    assert "store/migrations/env.py" in drawn_files
    assert sorted(drawn_files - files) == []  # drawn, but no such file
    assert sorted(files - drawn_files) == []  # a file the drawing leaves out
    assert drawn_dirs == dirs
