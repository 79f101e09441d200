"""The progress bar of every long command (demo, import, rebuild, backfill, contacts import,
recordings prune): on stderr, so that what a command prints on stdout stays clean to pipe; off
when stderr is not a terminal or with `--quiet`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar.")


class Bar:
    """One task's bar: `advance` by a count, or `set` the count done (and the total)."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def advance(self, count: int = 1) -> None:
        self._progress.update(self._task, advance=count)

    def set(self, done: int, total: int | None = None) -> None:
        if total is None:
            self._progress.update(self._task, completed=done)
        else:
            self._progress.update(self._task, completed=done, total=total)


def shown(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


@contextmanager
def progress_bar(label: str, total: int | None, *, quiet: bool = False) -> Iterator[Bar]:
    """A bar of `total` steps (None: unknown, the bar pulses) that is drawn only when shown."""
    # rich here: every process that imports the commands (`serve`, its writer) needs no bar
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    console = Console(file=sys.stderr)
    with Progress(*columns, console=console, disable=not shown(quiet)) as progress:
        yield Bar(progress, progress.add_task(label, total=total))
