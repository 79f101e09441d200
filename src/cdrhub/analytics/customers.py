"""Per-number reports: missed customers (distinct numbers) and repeat callers.

Both read the per-number table `an_numbers` (derived.py) for the whole local days of a range
(all-time rows when the range holds every leg, else years, months and days), for all calls or
the one filter dimension asked, and the caller rollup (or the legs) only for the parts of a day
left at the edges, or for filters on several dimensions at once; the switches below let tests
compare them with the raw legs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    func,
    literal,
    select,
    union_all,
)

from cdrhub.analytics import query
from cdrhub.analytics.derived import ALL_TIME, REPEAT_MIN
from cdrhub.analytics.errors import ReportError
from cdrhub.analytics.periods import Signed, day_start_utc, segments, signed_cover, to_local
from cdrhub.analytics.query import DAY, Scope, count_groups, fetch, positive_values
from cdrhub.analytics.tables import ROLLUPS, numbers
from cdrhub.inputs import bounded_int

Row = dict[str, Any]
Edge = tuple[datetime, datetime]  # UTC [start, end)
MISSED_TABLE_ENABLED = True


def callers_spec(scope: Scope) -> str:
    """The caller rollup with the agent dimension only when a report is filtered by agent."""
    return "callers_agent" if "agent" in scope.dims else "callers"


def _number_filter(scope: Scope) -> tuple[str, frozenset[str]] | None:
    """The `an_numbers` rows (dim, values) that serve the scope's filters: dim "" without
    filters; the one dimension filtered by; None when several dimensions are (a number's
    contacts within two dimensions at once are not kept per number)."""
    if not scope.dims:
        return "", frozenset({""})
    if len(scope.dims) == 1:
        return next(iter(scope.dims.items()))
    return None


Segment = tuple[str, datetime, datetime]  # (grain, local start, local end) of an_numbers


@dataclass(frozen=True, slots=True)
class NumberPlan:
    whole: tuple[Segment, ...]  # the range's whole local days
    edges: list[Edge]  # UTC parts of a day left over, read from the caller rollup
    # the stored days outside the range, when fewer rows serve them than the range: a figure
    # over the range is then the all-time row minus them
    outside: tuple[Segment, ...] | None = None
    # for sums (missed contacts): the whole days, or (complement) all time less the days
    # outside, as periods added and subtracted (periods.signed_cover)
    signed: tuple[Signed, ...] = ()


EVERYTHING: tuple[Segment, ...] = (("a", ALL_TIME, ALL_TIME + timedelta(days=1)),)
ALL_TIME_ADDED: tuple[Signed, ...] = ((1, *EVERYTHING[0]),)


# rows of a period relative to a year's (numbers that repeated or missed in it, counted on the
# benchmark's traffic: bench/README.md, Analytics, "Figures behind the code")
ROWS_PER_PERIOD = {"a": 1.0, "y": 1.0, "m": 0.7, "d": 0.04}


def _rows_cost(segs: Sequence[Segment]) -> float:
    """Rows the segments hold, roughly, in years' worth."""
    cost = 0.0
    for grain, start, end in segs:
        if grain == "y":
            count = end.year - start.year
        elif grain == "m":
            count = (end.year - start.year) * 12 + end.month - start.month
        else:
            count = (end - start).days
        cost += ROWS_PER_PERIOD[grain] * count
    return cost


def _number_plan(conn: Connection, scope: Scope) -> NumberPlan:
    """Whole local days of the scope as `an_numbers` segments (days, months, years; the
    all-time rows when the scope holds every stored leg), the UTC edges left over (parts of a
    day), and the stored days outside the range when they are cheaper to read."""
    if scope.start is None and scope.end is None:
        return NumberPlan(EVERYTHING, [], signed=ALL_TIME_ADDED)
    bounds = query.data_bounds(conn, scope)
    if bounds is None:
        return NumberPlan((), [])
    start = scope.start if scope.start is not None else bounds[0]
    end = scope.end if scope.end is not None else bounds[1]
    if start <= bounds[0] and end >= bounds[1]:
        return NumberPlan(EVERYTHING, [], signed=ALL_TIME_ADDED)
    # no legs outside the data's local days: a range reaching past them ends at their edge
    data_first = to_local(bounds[0], scope.tz).date()
    # (data_bounds ends an hour after the last leg's hour)
    last_hour_end = bounds[1] - query.HOUR - timedelta(microseconds=1)
    data_end = to_local(last_hour_end, scope.tz).date() + timedelta(days=1)
    start = max(start, day_start_utc(data_first, scope.tz))
    end = min(end, day_start_utc(data_end, scope.tz))
    if end <= start:
        return NumberPlan((), [])
    first = to_local(start, scope.tz).date()
    if day_start_utc(first, scope.tz) < start:
        first += timedelta(days=1)
    last = to_local(end, scope.tz).date()
    if first >= last:
        return NumberPlan((), [(start, end)])
    first_utc, last_utc = day_start_utc(first, scope.tz), day_start_utc(last, scope.tz)
    edges = [(a, b) for a, b in ((start, first_utc), (last_utc, end)) if a < b]

    def days(a: date, b: date) -> tuple[Segment, ...]:
        midnight = datetime.min.time()
        return segments(datetime.combine(a, midnight), datetime.combine(b, midnight), GRAINS)

    # no stored days before or after: a range reaching past them may as well reach the start
    # or end of their year, which whole years (or months) then serve
    if first <= data_first:
        first = date(data_first.year, 1, 1)
    if last >= data_end and (data_end.month, data_end.day) != (1, 1):
        last = date(data_end.year + 1, 1, 1)
    whole = days(first, last)
    outside = (*days(data_first, first), *days(last, data_end))
    cheaper = _rows_cost((*EVERYTHING, *outside)) < _rows_cost(whole) / 2
    use = COMPLEMENT == "always" or (COMPLEMENT == "auto" and cheaper)
    data = (data_first, data_end)
    if use:
        out = (*_signed_days(data_first, first, data), *_signed_days(last, data_end, data))
        signed = (*ALL_TIME_ADDED, *((-sign, g, a, b) for sign, g, a, b in out))
    else:
        signed = _signed_days(first, last, data)
    return NumberPlan(whole, edges, outside if use else None, signed)


# rows of an_numbers in a day, month and year, relative (ROWS_PER_PERIOD)
_NUMBER_ROWS = {g: ROWS_PER_PERIOD[g] for g in ("d", "m", "y")}


def _signed_days(first: date, last: date, data: tuple[date, date]) -> tuple[Signed, ...]:
    """Local days [first, last) as an_numbers periods added and subtracted, the fewest rows."""
    midnight = datetime.min.time()
    first_, last_ = datetime.combine(first, midnight), datetime.combine(last, midnight)
    data_ = (datetime.combine(data[0], midnight), datetime.combine(data[1], midnight))
    return signed_cover(first_, last_, GRAINS, _NUMBER_ROWS, data_)


COMPLEMENT = "auto"  # "always" or "never" in tests, to compare both ways
GRAINS = ("d", "m", "y")


def _unkeyed(column: Any) -> Any:
    """The column as an expression, which no index serves: steers the planner to another."""
    return func.coalesce(column, column)


def _segment_rows(columns: Sequence[Any], conds: Sequence[Any], whole: Sequence[Segment]) -> Any:
    """`an_numbers` rows of the whole-day segments, one SELECT per segment under UNION ALL, so
    that each reads one range of the key (SQLite scans every row of the dimension for an OR of
    segments)."""
    parts = []
    period = numbers.c.period
    for grain, start, end in whole:
        cond = [numbers.c.grain == grain]
        if grain != "a":
            cond += [period >= start, period < end]
        parts.append(select(*columns).where(*conds, *cond))
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


def _edge_scopes(scope: Scope, edges: Sequence[Edge]) -> list[Scope]:
    return [replace(scope, start=a, end=b) for a, b in edges]


def missed_customers(conn: Connection, scope: Scope) -> int:
    """Distinct numbers with a missed contact in the scope."""
    target = _number_filter(scope)
    if not MISSED_TABLE_ENABLED or target is None:
        return count_groups(conn, callers_spec(scope), scope, "number", "missed")
    the_plan = _number_plan(conn, scope)
    whole = the_plan.whole
    edge_numbers: set[str] = set()
    for part in _edge_scopes(scope, the_plan.edges):
        edge_numbers |= positive_values(conn, callers_spec(scope), part, "number", "missed")
    if not whole:
        return len(edge_numbers)
    # missed contacts are exact sums, so a number missed in the range's whole days when its
    # sum over the signed periods is positive (the complement: every number that ever missed,
    # less those whose every missed contact lies in the days outside)
    dim, values = target
    n = numbers
    conds = [n.c.dim == dim, n.c.value.in_(sorted(values)), n.c.missed > 0]
    signed = the_plan.signed
    if not signed:
        return len(edge_numbers)
    parts = []
    for sign, grain, start, end in signed:
        cond = [n.c.grain == grain]
        if grain != "a":
            cond += [n.c.period >= start, n.c.period < end]
        missed = (n.c.missed if sign > 0 else -n.c.missed).label("missed")
        parts.append(select(n.c.number, missed).where(*conds, *cond))
    rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    grouped = select(rows.c.number).group_by(rows.c.number)
    if any(sign < 0 for sign, *_s in signed):
        grouped = grouped.having(func.sum(rows.c.missed) > 0)
    return _count_with(conn, grouped.subquery(), edge_numbers)


def _count_with(conn: Connection, grouped: Any, extra: set[str]) -> int:
    """Rows of a query grouped by number, plus the `extra` numbers not among them, counted in
    the database: one row comes back, however many numbers (PostgreSQL hashes a GROUP BY;
    COUNT(DISTINCT) sorts)."""
    columns: list[ColumnElement[Any]] = [func.count()]
    if extra:
        known = case((grouped.c.number.in_(sorted(extra)), 1), else_=0)
        columns.append(func.coalesce(func.sum(known), 0))
    counted, *already = conn.execute(select(*columns).select_from(grouped)).tuples().one()
    return int(counted) + len(extra) - int(already[0] if already else 0)


REPEATERS_ENABLED = True  # the property test turns it off to compare with the raw legs
RepeatDay = tuple[str, int, int, int]  # number, contacts, answered, missed (one qualifying day)


def _repeat_row(number: str) -> Row:
    return {"number": number, "repeat_days": 0, "contacts": 0, "answered": 0, "missed": 0,
            "max_per_day": 0}  # fmt: skip


def _add_day(
    row: Row, contacts: int, answered: int, missed: int, days: int = 1, top: int = 0
) -> None:
    row["repeat_days"] += days
    row["contacts"] += contacts
    row["answered"] += answered
    row["missed"] += missed
    row["max_per_day"] = max(row["max_per_day"], top or contacts)


def _generic_repeat_days(conn: Connection, scope: Scope, threshold: int) -> list[RepeatDay]:
    days = fetch(
        conn, callers_spec(scope), scope, ["number", DAY], at_least=("contacts", threshold)
    )
    return [(r["number"], r["contacts"], r["answered"], r["missed"]) for r in days]


def _days_window(whole: Sequence[Segment]) -> list[Any]:
    """Conditions on day rows (`an_numbers` or a caller rollup) for the whole days served."""
    if not whole or whole[0][0] == "a":
        return []
    first, last = min(s[1] for s in whole), max(s[2] for s in whole)
    return [first, last]


def _qualifying_days(
    scope: Scope,
    whole: Sequence[Segment],
    threshold: int,
    target: tuple[str, frozenset] | None,
    only: set[str] | None = None,
) -> Any:
    """Per number and period in the whole days: (number, days, contacts, answered, missed,
    top) of the days with threshold+ contacts (of the numbers `only`, if given)."""
    n = numbers
    if target is not None and len(target[1]) == 1:
        dim, (value,) = target[0], tuple(target[1])
        mine = [n.c.dim == dim, n.c.value == value]
        if only is not None:
            mine.append(n.c.number.in_(sorted(only)))
        if threshold == REPEAT_MIN:  # months, years, all time keep exactly these days
            columns = [n.c.number, n.c.rep_days.label("days"), n.c.rep_contacts.label("contacts"),
                       n.c.rep_answered.label("answered"), n.c.rep_missed.label("missed"),
                       n.c.rep_top.label("top")]  # fmt: skip
            return _segment_rows(columns, [*mine, n.c.rep_days > 0], whole)
        # a higher threshold: the day rows whose contacts reach it
        window = _days_window(whole)
        in_range = [n.c.period >= window[0], n.c.period < window[1]] if window else []
        return (
            select(n.c.number, n.c.rep_days.label("days"), n.c.rep_contacts.label("contacts"),
                   n.c.rep_answered.label("answered"), n.c.rep_missed.label("missed"),
                   n.c.rep_top.label("top"))
            .where(*mine, n.c.grain == "d", *in_range, n.c.rep_top >= threshold)
            .subquery()
        )  # fmt: skip
    # several values or dimensions: the caller rollup's day rows within the filters, on the days
    # the number repeated at all (a day that repeats within the filters repeats overall)
    c = ROLLUPS[callers_spec(scope)]
    window = _days_window(whole)
    in_range = [c.c.period >= window[0], c.c.period < window[1]] if window else []
    contacts = func.sum(c.c.contacts)
    return (
        select(c.c.number, literal(1).label("days"), contacts.label("contacts"),
               func.sum(c.c.answered).label("answered"), func.sum(c.c.missed).label("missed"),
               contacts.label("top"))
        .join(n, and_(n.c.dim == "", n.c.value == "", n.c.grain == "d",
                      n.c.period == c.c.period, n.c.number == c.c.number))
        .where(c.c.grain == "d", *in_range, n.c.rep_days > 0,
               *(c.c[d].in_(sorted(v)) for d, v in scope.dims.items()))
        .group_by(c.c.number, c.c.period)
        .having(contacts >= threshold)
        .subquery()
    )  # fmt: skip


def _top_candidates(
    conn: Connection, target: tuple[str, frozenset], whole: Sequence[Segment], limit: int
) -> set[str] | None:
    """The numbers that can be among the `limit` first over many days, found without reading
    every number: with T the most contacts on one day that at least `limit` numbers reach in
    the range, every number ranked above one whose top day reaches T has a top day of T or
    more. None when no T above REPEAT_MIN has few enough numbers (the caller reads them all).
    """
    window = _days_window(whole)
    if not window:
        return None
    n = numbers
    (value,) = tuple(target[1])
    # the period out of the key (an expression): ix_an_numbers_top reads the top days first
    period = _unkeyed(n.c.period)
    days = [n.c.dim == target[0], n.c.value == value, n.c.grain == "d",
            period >= window[0], period < window[1]]  # fmt: skip
    most = conn.execute(
        select(n.c.rep_top).where(*days).order_by(n.c.rep_top.desc()).limit(1)
    ).scalar()
    for top in range(int(most or 0), REPEAT_MIN, -1):
        found: set[str] = set(
            conn.execute(select(n.c.number).distinct().where(*days, n.c.rep_top >= top)).scalars()
        )
        if len(found) >= limit:
            return found if len(found) <= CANDIDATES_PER_ROW * limit else None
    return None


LONG_RANGE = 3.0  # years' worth of rows: below it, reading every number is as fast
CANDIDATES_PER_ROW = 10  # past this many candidates per row asked, reading every number is as fast


def _per_number(conn: Connection, days: Any, *, limit: int | None, only: set[str] | None) -> list:
    top, total = func.max(days.c.top), func.sum(days.c.contacts)
    query_ = select(
        days.c.number, func.sum(days.c.days), total, func.sum(days.c.answered),
        func.sum(days.c.missed), top,
    ).group_by(days.c.number)  # fmt: skip
    if only is not None:
        query_ = query_.where(days.c.number.in_(sorted(only)))
    if limit is not None:
        query_ = query_.order_by(top.desc(), total.desc(), days.c.number).limit(limit)
    return list(conn.execute(query_))


def repeat_callers(conn: Connection, scope: Scope, params: Mapping[str, str]) -> list[Row]:
    given = params.get("min_calls")
    threshold = bounded_int(given, "min_calls", low=1) if given else scope.cfg.repeat_min_calls
    if threshold < 1:
        raise ReportError("min_calls must be at least 1")
    limit = scope.cfg.repeat_limit
    numbers_: dict[str, Row] = {}
    if not REPEATERS_ENABLED or threshold < REPEAT_MIN:
        for number, contacts, answered, missed in _generic_repeat_days(conn, scope, threshold):
            _add_day(numbers_.setdefault(number, _repeat_row(number)), contacts, answered, missed)
    else:
        the_plan = _number_plan(conn, scope)
        whole = the_plan.whole
        edge_days = [
            day
            for part in _edge_scopes(scope, the_plan.edges)
            for day in _generic_repeat_days(conn, part, threshold)
        ]
        target = _number_filter(scope)
        single = target is not None and len(target[1]) == 1
        complement = whole and the_plan.outside is not None and threshold == REPEAT_MIN
        if target is not None and single and complement:
            return _repeats_by_complement(conn, target, the_plan, edge_days, limit)
        if whole:
            candidates = None
            if (
                target is not None  # (single says so)
                and single
                and threshold == REPEAT_MIN
                and _rows_cost(whole) >= LONG_RANGE
            ):
                candidates = _top_candidates(conn, target, whole, limit)
            days = _qualifying_days(scope, whole, threshold, target, candidates)
            found = _per_number(conn, days, limit=limit, only=None)
            if edge_days:
                edge_numbers = {d[0] for d in edge_days}
                days = _qualifying_days(scope, whole, threshold, target, edge_numbers)
                found += _per_number(conn, days, limit=None, only=edge_numbers)
            for number, k, contacts, answered, missed, top in found:
                if number not in numbers_:
                    row = numbers_[number] = _repeat_row(number)
                    _add_day(row, int(contacts), int(answered), int(missed), int(k), int(top))
        for number, contacts, answered, missed in edge_days:
            _add_day(numbers_.setdefault(number, _repeat_row(number)), contacts, answered, missed)
    return sorted(numbers_.values(), key=_rank)[:limit]


def _rank(row: Row) -> tuple:
    return (-row["max_per_day"], -row["contacts"], row["number"])


def _outside_figures(
    conn: Connection,
    target: tuple[str, frozenset[str]],
    outside: Sequence[Segment],
    among: set[str],
) -> dict[str, list[int]]:
    """Per number of `among` over the days outside: [days, contacts, answered, missed, top]
    (numbers without a repeat day there: none). Only the numbers that can rank are asked for:
    every number's figures would be thousands of rows."""
    if not outside or not among:
        return {}
    n = numbers
    (value,) = tuple(target[1])
    columns = [n.c.number, n.c.rep_days, n.c.rep_contacts, n.c.rep_answered, n.c.rep_missed,
               n.c.rep_top]  # fmt: skip
    # the dimension out of the key (an expression): ix_an_numbers_number seeks each number's
    # days, where the key would read every row of the days outside
    conds = [_unkeyed(n.c.dim) == target[0], n.c.value == value, n.c.rep_days > 0,
             n.c.number.in_(sorted(among))]  # fmt: skip
    rows = _segment_rows(columns, conds, outside)
    query_ = select(
        rows.c.number, func.sum(rows.c.rep_days), func.sum(rows.c.rep_contacts),
        func.sum(rows.c.rep_answered), func.sum(rows.c.rep_missed), func.max(rows.c.rep_top),
    ).group_by(rows.c.number)  # fmt: skip
    return {number: [int(v) for v in values] for number, *values in conn.execute(query_).tuples()}


def _all_time_figures(
    conn: Connection,
    target: tuple[str, frozenset[str]],
    *,
    first: int | None = None,
    among: set[str] | None = None,
) -> list[tuple[str, list[int]]]:
    """All-time repeat figures per number, [days, contacts, answered, missed, top]: the
    `first` by top and contacts (ix_an_numbers_top), or those of the numbers `among`."""
    n = numbers
    (value,) = tuple(target[1])
    conds = [n.c.dim == target[0], n.c.value == value, n.c.grain == "a", n.c.rep_days > 0]
    if among is not None:
        conds.append(n.c.number.in_(sorted(among)))
    query_ = select(
        n.c.number, n.c.rep_days, n.c.rep_contacts, n.c.rep_answered, n.c.rep_missed, n.c.rep_top
    ).where(*conds)
    if first is not None:
        query_ = query_.order_by(n.c.rep_top.desc(), n.c.rep_contacts.desc()).limit(first)
    return [(number, [int(v) for v in values]) for number, *values in conn.execute(query_).tuples()]


def _exact_tops(
    conn: Connection, target: tuple[str, frozenset[str]], whole: Sequence[Segment], among: set[str]
) -> dict[str, int]:
    """The most contacts on one day in the whole days, for a few numbers: the largest top of
    their rows of the range's years, months and days (a maximum of maxima), each read through
    ix_an_numbers_number (number, grain, period)."""
    n = numbers
    (value,) = tuple(target[1])
    # the dimension out of the key (an expression): the number's index serves, not the key
    conds = [_unkeyed(n.c.dim) == target[0], n.c.value == value, n.c.rep_days > 0,
             n.c.number.in_(sorted(among))]  # fmt: skip
    rows = _segment_rows([n.c.number, n.c.rep_top], conds, whole)
    query_ = select(rows.c.number, func.max(rows.c.rep_top)).group_by(rows.c.number)
    return {number: int(top) for number, top in conn.execute(query_).tuples()}


def _repeats_by_complement(
    conn: Connection,
    target: tuple[str, frozenset[str]],
    the_plan: NumberPlan,
    edge_days: Sequence[RepeatDay],
    limit: int,
) -> list[Row]:
    """Repeat callers of a range that holds most stored days: per number, the all-time figures
    less those of the days outside (exact: sums), reading the all-time rows best first (their
    top and contacts bound the range's) only until no unread number can rank. A number seen
    at the range's partial days is read too when its all-time figures plus those days can
    rank. The most contacts on one day is the all-time one when no day outside reaches it;
    otherwise it is looked up for the numbers that would rank with it."""
    by_edge: dict[str, list[RepeatDay]] = {}
    for day in edge_days:
        by_edge.setdefault(day[0], []).append(day)
    edge_all = dict(_all_time_figures(conn, target, among=set(by_edge))) if by_edge else {}
    exact: dict[str, int] = {}
    outside: dict[str, list[int]] = {}
    extra: set[str] = set()  # numbers seen at the partial days that can rank
    size = 2 * limit
    read = _all_time_figures(conn, target, first=size)
    while True:
        candidates = {number: f for number, f in read} | {n: edge_all[n] for n in extra}
        new = set(candidates) - set(outside)
        found = _outside_figures(conn, target, the_plan.outside or (), new)
        outside.update({n: found.get(n, [0, 0, 0, 0, 0]) for n in new})
        figures: dict[str, tuple[list[int], bool]] = {}
        for number, (k, contacts, answered, missed, top) in candidates.items():
            out = outside[number]
            inside = [k - out[0], contacts - out[1], answered - out[2], missed - out[3]]
            if inside[0] <= 0:
                continue
            unsure = out[4] >= top and number not in exact
            figures[number] = ([*inside, exact.get(number, top)], unsure)
        rows: dict[str, Row] = {}
        for number, ((k, contacts, answered, missed, top), _u) in figures.items():
            _add_day(rows.setdefault(number, _repeat_row(number)), contacts, answered, missed,
                     k, top)  # fmt: skip
        for number, days in by_edge.items():
            if number in candidates or number not in edge_all:  # else it cannot rank
                for _n, contacts, answered, missed in days:
                    row = rows.setdefault(number, _repeat_row(number))
                    _add_day(row, contacts, answered, missed)
        first = sorted(rows.values(), key=_rank)[:limit]
        more = {
            n for n in edge_all.keys() - candidates.keys()
            if len(first) < limit or _bound(edge_all[n], by_edge[n]) >= _key(first[-1])
        }  # fmt: skip
        if more:
            extra |= more
            continue
        check = {r["number"] for r in first if figures.get(r["number"], ([], False))[1]}
        if check:
            found_tops = _exact_tops(conn, target, the_plan.whole, check)
            exact.update({n: found_tops.get(n, figures[n][0][4]) for n in check})
            continue
        if len(read) < size:  # every number that ever repeated was read
            return first
        # an unread number ranks at most like the last one read (all-time top and contacts
        # bound the range's): the list is final when its last row ranks strictly above that
        last_top, last_contacts = read[-1][1][4], read[-1][1][1]
        if len(first) == limit and _key(first[-1]) > (last_top, last_contacts):
            return first
        size *= 4
        read = _all_time_figures(conn, target, first=size)


def _key(row: Row) -> tuple[int, int]:
    return row["max_per_day"], row["contacts"]


def _bound(all_time: Sequence[int], days: Sequence[RepeatDay]) -> tuple[int, int]:
    """The most a number seen at the partial days can rank with: its all-time top and
    contacts (which bound its whole days') with those days added."""
    top = max(all_time[4], *(d[1] for d in days))
    return top, all_time[1] + sum(d[1] for d in days)
