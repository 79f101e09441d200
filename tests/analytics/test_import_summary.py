"""`cdrhub import`'s summary counts what the file held (its lines, or CSV rows), then what became
of it: stored new, duplicate, revised, rejected with the first reasons. A file of garbage once
read "read 0 ..., N rejected" ("first ten minutes" issue). Exact text, on both engines."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from cdrhub.cli import app as cli_app
from cdrhub.config import Settings
from tests.conftest import sample

TIMING = re.compile(r" in \d+\.\d s \([\d,]+ legs/s\)$")
NOT_JSON = "not JSON (Expecting value: line 1 column 1 (char 0))"


def _cdr(uid: str) -> str:
    return json.dumps({**sample("outgoing-answered.json"), "ivruniqueid": uid})


def _import(settings: Settings, path: Path, code: int = 0) -> tuple[list[str], list[str]]:
    """(stdout with the timing cut off, stderr without the database line)."""
    result = CliRunner().invoke(
        cli_app,
        ["import", "--quiet", str(path)],
        env={"CDRHUB_DATABASE_URL": settings.database_url},
    )
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    (summary,) = result.stdout.splitlines()
    assert TIMING.search(summary), summary
    errors = result.stderr.splitlines()
    assert errors[0].startswith("database: ")
    return [TIMING.sub("", summary)], errors[1:]


def test_all_good(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "cdrs.jsonl"
    path.write_text(f"{_cdr('a1')}\n\n{_cdr('a2')}\n")
    assert _import(settings, path) == (
        ["read 2 lines: stored 2 new, 0 duplicate, 0 revised; 0 rejected"],
        [],
    )
    assert _import(settings, path) == (
        ["read 2 lines: stored 0 new, 2 duplicate, 0 revised; 0 rejected"],
        [],
    )


def test_mixed(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "cdrs.jsonl"
    lines = [_cdr("b1"), _cdr("b1"), "hello", "{}", f"[{_cdr('b2')}, 1]", "[]"]
    path.write_text("\n".join(lines) + "\n")
    assert _import(settings, path) == (
        ["read 6 lines holding 7 records: stored 2 new, 1 duplicate, 0 revised; 4 rejected"],
        [
            f"  rejected line 3: {NOT_JSON}",
            "  rejected line 4: no ivruniqueid: the CDR cannot be stored idempotently",
            "  rejected line 5: a CDR is a set of fields, not int",
            "  rejected line 6: an empty array: no CDR",
        ],
    )


def test_all_garbage_fails(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "garbage.jsonl"
    path.write_text('hello\n{}\n[1, "x"]\n<?xml version="1.0"?><cdr>junk</cdr>\n\n[]\n')
    assert _import(settings, path, code=1) == (
        ["read 5 lines holding 6 records: stored 0 new, 0 duplicate, 0 revised; 6 rejected"],
        [
            f"  rejected line 1: {NOT_JSON}",
            "  rejected line 2: no ivruniqueid: the CDR cannot be stored idempotently",
            "  rejected line 3: a CDR is a set of fields, not int",
            "  rejected line 3: a CDR is a set of fields, not str",
            f"  rejected line 4: {NOT_JSON}",
            "  rejected line 6: an empty array: no CDR",
            f"every line of {path} was rejected: nothing stored",
        ],
    )


def test_empty_file(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    assert _import(settings, path) == (
        ["read 0 lines: stored 0 new, 0 duplicate, 0 revised; 0 rejected"],
        [],
    )


def test_csv_counts_rows(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "cdrs.csv"
    path.write_text("ivruniqueid,type,status,time\nc1,Queue,ANSWER,1700050000\n,<junk/>,,\n")
    lines, errors = _import(settings, path)
    assert lines == ["read 2 rows: stored 1 new, 0 duplicate, 0 revised; 1 rejected"]
    assert errors == ["  rejected row 3: no ivruniqueid: the CDR cannot be stored idempotently"]


def test_one_json_document_over_many_lines(settings: Settings, tmp_path: Path) -> None:
    """An export written as one indented array (or one indented CDR) is read whole."""
    path = tmp_path / "export.json"
    cdrs = [json.loads(_cdr("d1")), json.loads(_cdr("d2"))]
    path.write_text(json.dumps(cdrs, indent=2))
    assert _import(settings, path) == (
        [
            "read 1 JSON document holding 2 records: stored 2 new, 0 duplicate, 0 revised; "
            "0 rejected"
        ],
        [],
    )
    path.write_text(json.dumps(json.loads(_cdr("d3")), indent=2))
    assert _import(settings, path) == (
        ["read 1 JSON document: stored 1 new, 0 duplicate, 0 revised; 0 rejected"],
        [],
    )


def test_a_broken_first_line_leaves_the_other_lines(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "cdrs.jsonl"
    path.write_text(f'{{"ivruniqueid": "e0", \n{_cdr("e1")}\n{_cdr("e2")}\n')
    lines, errors = _import(settings, path)
    assert lines == ["read 3 lines: stored 2 new, 0 duplicate, 0 revised; 1 rejected"]
    assert errors == [
        "  rejected line 1: not JSON (Expecting property name enclosed in double quotes: "
        "line 2 column 1 (char 23))"
    ]


def test_a_line_nested_too_deeply_is_rejected_not_a_traceback(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "\n" + "[" * 50_000 + "]" * 50_000 + f"\n{_cdr('g1')}\n")
    assert _import(settings, path) == (
        ["read 3 lines: stored 1 new, 0 duplicate, 0 revised; 2 rejected"],
        [
            "  rejected line 1: not JSON (nested too deeply to read)",
            "  rejected line 2: not JSON (nested too deeply to read)",
        ],
    )


def test_bytes_that_are_not_utf8_reject_their_line_only(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(f"{_cdr('h1')}\n".encode() + b'{"ivruniqueid": "h\xff\xfe"}\n'
                     + f"{_cdr('h2')}\n".encode())  # fmt: skip
    assert _import(settings, path) == (
        ["read 3 lines: stored 2 new, 0 duplicate, 0 revised; 1 rejected"],
        ["  rejected line 2: not UTF-8 text"],
    )
    csv_path = tmp_path / "mixed.csv"
    csv_path.write_bytes(b"ivruniqueid,type,status,time\nc\xff1,Queue,ANSWER,1700050000\n"
                         b"c2,Queue,ANSWER,1700050000\n")  # fmt: skip
    assert _import(settings, csv_path) == (
        ["read 2 rows: stored 1 new, 0 duplicate, 0 revised; 1 rejected"],
        ["  rejected row 2: not UTF-8 text"],
    )


def test_a_csv_field_over_the_limit_stops_with_one_line(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("ivruniqueid,type,status,time\nc3,Queue,ANSWER,1700050000\n"
                    f"c4,{'x' * 200_000},ANSWER,1700050000\n")  # fmt: skip
    assert _import(settings, path, code=1) == (
        ["read 1 row: stored 1 new, 0 duplicate, 0 revised; 0 rejected"],
        [
            "stopped after 1 row: not CSV (field larger than field limit (131072)): "
            f"the rest of {path} was not read"
        ],
    )
