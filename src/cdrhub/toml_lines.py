"""Line numbers for places in a TOML file, so that settings errors can say where they are.

`tomllib` gives no positions, so this scans the text: good enough to point at the right line
for `[[rules]]` tables (inline or `[[rules.actions]]` style), `[channels.NAME]` tables and any
key of any table (`key_line`). Ground level: the settings check and automations both use it.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")


class TomlLines:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def _headers(self) -> list[tuple[int, str, bool]]:
        """(0-based line, dotted name, is array-of-tables) of every table header."""
        found = []
        for n, line in enumerate(self.lines):
            m = _HEADER.match(line)
            if m and not line.lstrip().startswith("#"):
                found.append((n, m.group(1).replace(" ", ""), line.lstrip().startswith("[[")))
        return found

    def _region(self, table: str, index: int | None) -> tuple[int, int] | None:
        """0-based [start, end) lines of the `index`-th [[table]] (or of [table])."""
        headers = self._headers()
        count = -1
        for pos, (line, name, is_array) in enumerate(headers):
            if name != table or (index is not None) != is_array:
                continue
            count += 1
            if index is not None and count != index:
                continue
            end = len(self.lines)
            for later_line, later_name, _ in headers[pos + 1 :]:
                if not later_name.startswith(table + "."):
                    end = later_line
                    break
            return line, end
        return None

    def _find(self, start: int, end: int, key: str, nth: int = 0) -> int | None:
        pattern = re.compile(rf"(^|[\s{{,]){re.escape(key)}\s*=")
        seen = -1
        for n in range(start, end):
            if pattern.search(self.lines[n].split("#", 1)[0]):
                seen += 1
                if seen == nth:
                    return n
        return None

    def rule_line(
        self, index: int, key: str | None = None, action: int | None = None
    ) -> int | None:
        """1-based line of rules[index] (its `key`, or the `action`-th action's `key`)."""
        region = self._region("rules", index)
        if region is None:
            return None
        start, end = region
        if action is not None:
            found = self._find(start, end, "do", action)
            if found is None:
                return start + 1
            if key and key != "do":
                nxt = self._find(start, end, "do", action + 1)
                inner = self._find(found, nxt if nxt is not None else end, key)
                if inner is None and found > 0:  # the key may precede `do` on its line
                    inner = self._find(found, found + 1, key)
                return (inner if inner is not None else found) + 1
            return found + 1
        if key:
            found = self._find(start, end, key)
            return (found if found is not None else start) + 1
        return start + 1

    def _own_region(self, table: tuple[str, ...], index: int | None) -> tuple[int, int] | None:
        """0-based [start, end) lines of a table's own keys: from its header to the next header
        of any table; the root table (`()`) runs to the first header."""
        headers = self._headers()
        if not table:
            return 0, headers[0][0] if headers else len(self.lines)
        name = ".".join(table)
        count = -1
        for pos, (line, header, is_array) in enumerate(headers):
            if _plain(header) != name or (index is not None) != is_array:
                continue
            count += 1
            if index is not None and count != index:
                continue
            end = headers[pos + 1][0] if pos + 1 < len(headers) else len(self.lines)
            return line, end
        return None

    def key_line(self, path: tuple[str | int, ...], key: str) -> int | None:
        """1-based line of `key` in the table at `path` (`("crm", "embed")`, `("rules", 0)`).
        A table written inline or as dotted keys is looked for in the nearest enclosing table
        that has a header; None when the key is not found."""
        names = tuple(str(p) for p in path if not isinstance(p, int))
        indexes = [p for p in path if isinstance(p, int)]
        index = indexes[-1] if indexes else None
        for depth in range(len(names), -1, -1):
            region = self._own_region(names[:depth], index if depth == len(names) else None)
            if region is None:
                continue
            dotted = ".".join((*names[depth:], key))
            for wanted in (dotted, key) if dotted != key else (key,):
                found = self._find(*region, wanted)
                if found is not None:
                    return found + 1
        table = ".".join((*names, key))  # the key may be a table of its own: [crm.hubspt]
        return next((n + 1 for n, name, _ in self._headers() if _plain(name) == table), None)

    def table_line(self, table: str, key: str | None = None) -> int | None:
        region = self._region(table, None)
        if region is None:
            return None
        start, end = region
        if key:
            found = self._find(start, end, key)
            if found is not None:
                return found + 1
        return start + 1


def _plain(header: str) -> str:
    """A header's dotted name without quotes: `analytics.queues."12"` -> `analytics.queues.12`."""
    return header.replace('"', "").replace("'", "")
