"""Unknown keys in the settings file, each with its line and the nearest known key.

A schema says which keys a table may hold: a key mapped to None holds any value (checked, if
at all, by whoever reads it); a key mapped to a schema is a table (or an array of tables) whose
keys are checked in turn; the key `ANY_NAME` stands for names the user chooses
(`[analytics.queues."1234567"]`). Each domain declares the schema of its own sections; the
composition (cdrhub.domains) joins them, so that a typo anywhere in the file is refused
instead of silently ignored.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from cdrhub.toml_lines import TomlLines

Schema = Mapping[str, Union["Schema", None]]
ANY_NAME = "*"
_LISTED = 12  # a table with at most this many keys lists them when no key is near


@dataclass(frozen=True, slots=True)
class UnknownKey:
    path: tuple[str | int, ...]  # the table holding it: ("crm", "embed"), ("rules", 0)
    key: str
    nearest: str | None
    known: tuple[str, ...] = ()  # the keys the table may hold

    @property
    def table(self) -> str:
        """`[crm.embed]`, `[[crm.webhooks]]`, or "" for the top level."""
        names = [_bare(str(p)) for p in self.path if not isinstance(p, int)]
        if not names:
            return ""
        if isinstance(self.path[-1], int):
            return f"[[{'.'.join(names)}]]"
        return f"[{'.'.join(names)}]"


def _bare(name: str) -> str:
    """A key as TOML writes it in a header: bare when it can be, else quoted."""
    return (
        name
        if name and all(c.isalnum() or c in "_-" for c in name) and not name.isdigit()
        else f'"{name}"'
    )


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to `name` (a likely typo, or a shortening such as `ttl` for
    `ttl_seconds`), or None when none is close."""
    names = sorted(k for k in known if k != ANY_NAME)
    found = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if found:
        return found[0]
    longer = [k for k in names if len(name) >= 3 and k.startswith(name)]
    return longer[0] if len(longer) == 1 else None


def unknown_keys(
    data: Mapping[str, Any], schema: Schema, path: tuple[str | int, ...] = ()
) -> list[UnknownKey]:
    """Every key of `data` (a parsed TOML table) that `schema` does not know, in file order."""
    found: list[UnknownKey] = []
    for key, value in data.items():
        if key in schema:
            inner = schema[key]
        elif ANY_NAME in schema:
            inner = schema[ANY_NAME]
        else:
            found.append(UnknownKey(path, key, nearest(key, schema), tuple(sorted(schema))))
            continue
        if inner is None:
            continue
        if isinstance(value, Mapping):
            found += unknown_keys(value, inner, (*path, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    found += unknown_keys(item, inner, (*path, key, i))
    return found


def describe_unknown(unknown: UnknownKey, lines: TomlLines | None, filename: str) -> str:
    """`config.toml:7: unknown key 'open_on_mised' in [callbacks]; did you mean
    'open_on_missed'?`"""
    line = lines.key_line(unknown.path, unknown.key) if lines is not None else None
    where = f"{filename}:{line}" if line else filename
    table = f" in {unknown.table}" if unknown.table else ""
    known = [k for k in unknown.known if k != ANY_NAME]
    if unknown.nearest:
        hint = f"; did you mean {unknown.nearest!r}?"
    elif known and len(known) <= _LISTED:
        hint = f"; known: {', '.join(known)}"
    else:
        hint = ""
    return f"{where}: unknown key {unknown.key!r}{table}{hint}"


def check_keys(text: str, data: Mapping[str, Any], schema: Schema, *, filename: str) -> list[str]:
    """`describe_unknown` of every unknown key of a settings file's text and parsed data."""
    lines = TomlLines(text)
    return [describe_unknown(u, lines, filename) for u in unknown_keys(data, schema)]
