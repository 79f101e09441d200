"""`cdrhub import FILE`: CDRs from JSON lines or CSV, through `normalize` and the ingest
pipeline's bulk mode (`store_bulk`), in batches, each batch one transaction (`cdrhub demo`
stores through `demofill.fill`)."""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine

from cdrhub.analytics.hook import rollup_hook
from cdrhub.calls.model import CallLeg
from cdrhub.config import Settings
from cdrhub.ingest.pipeline import Incoming, LegHook, store_bulk
from cdrhub.store.engine import write_transaction
from cdrhub.voicenter.normalize import NormalizeError, normalize


@dataclass
class ImportCounts:
    new: int = 0
    duplicate: int = 0
    revised: int = 0

    def add(self, other: ImportCounts) -> None:
        self.new += other.new
        self.duplicate += other.duplicate
        self.revised += other.revised


def import_legs(
    conn: Connection,
    legs: Sequence[CallLeg],
    settings: Settings,
    hooks: Sequence[LegHook],
    *,
    encoding: str,
    received_at: datetime,
) -> ImportCounts:
    """Store a batch of imported legs on an open write transaction (the caller commits): the
    new ones counted in the rollups only, revisions seen by every hook in `hooks`."""
    items = [Incoming(leg, encoding) for leg in legs]
    stored = store_bulk(conn, items, hooks, received_at, new_hooks=[rollup_hook(settings)])
    counts = ImportCounts()
    for leg in stored:
        if leg.kind == "new":
            counts.new += 1
        elif leg.kind == "revised":
            counts.revised += 1
        else:
            counts.duplicate += 1
    return counts


@dataclass
class ImportReport:
    result: ImportCounts = field(default_factory=ImportCounts)
    lines: int = 0  # what the file held: its non-blank lines (JSON lines) or rows (CSV)
    unit: str = "line"
    read: int = 0  # the CDRs among them handed to `normalize` (a JSON line may hold several)
    rejected: int = 0  # CDRs `normalize` refused, and lines that held no CDR at all
    errors: list[str] = field(default_factory=list)  # the first few, with line numbers
    stopped: str | None = None  # why the rest of the file could not be read, if it could not

    def reject(self, where: str, why: str) -> None:
        self.rejected += 1
        if len(self.errors) < 20:
            self.errors.append(f"{where}: {why}")

    @property
    def records(self) -> int:
        """Every outcome counted once: stored (new, duplicate, revised) or rejected."""
        r = self.result
        return r.new + r.duplicate + r.revised + self.rejected


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def summary(report: ImportReport, seconds: float) -> str:
    """The import's line: what the file held, and what became of it. A JSON line holding an
    array is several records, each stored or rejected."""
    r = report.result
    held = _plural(report.lines, report.unit)
    if report.records != report.lines:
        held += f" holding {_plural(report.records, 'record')}"
    rate = (r.new + r.duplicate + r.revised) / seconds if seconds else 0
    return (
        f"read {held}: stored {r.new:,} new, {r.duplicate:,} duplicate, {r.revised:,} revised; "
        f"{report.rejected:,} rejected in {seconds:.1f} s ({rate:,.0f} legs/s)"
    )


# A file that is one JSON document (an array over many lines, as an export or `jq .` writes
# it) is read whole: up to this size, which holds some hundred thousand CDRs.
DOCUMENT_MAX_CHARS = 64 * 1024 * 1024
TOO_LARGE = "one JSON document over 64 MiB: write one CDR per line (jq -c '.[]') and import that"


def _json_lines(handle: IO[str], report: ImportReport) -> Iterator[tuple[str, Any]]:
    lines: Iterable[str] = handle
    first = next(iter(handle), "")
    if first.lstrip()[:1] in ("[", "{") and _parsed(first) is NOT_JSON:
        # the first line is no JSON on its own: perhaps the file is one document
        text = first + handle.read(DOCUMENT_MAX_CHARS + 1 - len(first))
        document = _parsed(text) if len(text) <= DOCUMENT_MAX_CHARS else NOT_JSON
        if document is not NOT_JSON:
            report.unit, report.lines = "JSON document", 1
            yield from _items("the document", document, report)
            return
        if len(text) > DOCUMENT_MAX_CHARS:
            report.errors.append(TOO_LARGE)
        lines = text.splitlines(keepends=True)
        lines = itertools.chain(lines, handle)
    else:
        lines = itertools.chain([first], handle)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        report.lines += 1
        if NOT_UTF8.search(line):
            report.reject(f"line {number}", NOT_UTF8_TEXT)
            continue
        try:
            value = json.loads(line)
        except RecursionError:  # a hostile or broken file: one line, not a traceback
            report.reject(f"line {number}", "not JSON (nested too deeply to read)")
            continue
        except ValueError as exc:
            report.reject(f"line {number}", f"not JSON ({exc})")
            continue
        yield from _items(f"line {number}", value, report)


NOT_JSON = object()
# a file opened with errors="surrogateescape" (as `cdrhub import` opens it) holds each byte that
# is not UTF-8 as one of these: the line or row holding it is rejected, the others are read
NOT_UTF8 = re.compile("[\udc80-\udcff]")
NOT_UTF8_TEXT = "not UTF-8 text"


def _parsed(text: str) -> Any:
    """The JSON value `text` holds, or NOT_JSON."""
    if NOT_UTF8.search(text):
        return NOT_JSON
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return NOT_JSON


def _items(where: str, value: Any, report: ImportReport) -> Iterator[tuple[str, Any]]:
    if value == []:
        report.reject(where, "an empty array: no CDR")
        return
    for item in value if isinstance(value, list) else [value]:
        yield where, item


def _csv_rows(handle: IO[str], report: ImportReport) -> Iterator[tuple[str, Any]]:
    report.unit = "row"
    for number, row in enumerate(csv.DictReader(handle), 2):
        report.lines += 1
        if any(NOT_UTF8.search(str(v)) for v in (*row.keys(), *row.values())):
            report.reject(f"row {number}", NOT_UTF8_TEXT)
            continue
        yield f"row {number}", {k: v for k, v in row.items() if k is not None}


def read_wires(path: Path, handle: IO[str], report: ImportReport) -> Iterator[tuple[str, Any]]:
    """(where, wire dict) from JSON lines (a line may hold an array) or CSV with a header. A
    file that stops being readable (bytes that are not UTF-8, a CSV field over the csv module's
    limit) ends the reading there, with `report.stopped` saying why."""
    wires = (
        _csv_rows(handle, report) if path.suffix.lower() == ".csv" else _json_lines(handle, report)
    )
    while True:
        try:
            yield next(wires)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            report.stopped = (
                f"after {_plural(report.lines, report.unit)}: not UTF-8 text ({exc.reason})"
            )
            return
        except csv.Error as exc:
            report.stopped = f"after {_plural(report.lines, report.unit)}: not CSV ({exc})"
            return


def store_wires(
    engine: Engine,
    settings: Settings,
    wires: Iterable[tuple[str, Any]],
    hooks: Sequence[LegHook],
    *,
    encoding: str = "import",
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Normalize and store wire dicts in batches (`import_legs`). `hooks` are the ingest
    hooks the caller composed (`cdrhub.domains.hooks(settings)`)."""
    report = report or ImportReport()
    tz = settings.tz
    batch: list[CallLeg] = []

    def flush() -> None:
        with write_transaction(engine) as conn:
            outcome = import_legs(
                conn, batch, settings, hooks, encoding=encoding, received_at=received_at
            )
        report.result.add(outcome)
        if progress:
            progress(len(batch))
        batch.clear()

    received_at = datetime.now(UTC).replace(tzinfo=None)
    for where, wire in wires:
        report.read += 1
        try:
            leg = normalize(
                wire, tz=tz, time_mode=settings.time_mode, region=settings.default_region,
                received_at=received_at,
            )  # fmt: skip
        except NormalizeError as exc:
            report.reject(where, str(exc))
            continue
        batch.append(leg)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return report
