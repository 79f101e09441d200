"""json_safe keeps every value PostgreSQL's JSONB and text can hold, and nothing else changes;
json_text writes any value, however deep, as JSON without recursion."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cdrhub.calls.values import MAX_DEPTH, clean_text, json_safe, json_text


def reference(value: Any, depth: int = MAX_DEPTH) -> Any:
    """The plain recursive definition."""
    if isinstance(value, str):
        return re.sub("[\ud800-\udfff]", "\ufffd", value.replace("\x00", "\ufffd"))
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (dict, list)) and depth == 0:
        return json.dumps(reference(value, -1), ensure_ascii=False)
    if isinstance(value, dict):
        return {reference(str(k)): reference(v, depth - 1) for k, v in value.items()}
    if isinstance(value, list):
        return [reference(v, depth - 1) for v in value]
    return value


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(alphabet=st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udfff"]))),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(), st.integers()), inner, max_size=4),
    ),
    max_leaves=20,
)


@given(values)
def test_json_safe_is_the_recursive_definition(value: Any) -> None:
    got, want = json_safe(value), reference(value)
    assert repr(got) == repr(want)  # repr: NaN != NaN, and bool vs int must not blur
    shallow = json_safe(value, depth=1)
    assert repr(shallow) == repr(reference(value, depth=1))


@given(values)
def test_json_text_is_json_dumps_of_the_safe_value(value: Any) -> None:
    assert json_text(value) == json.dumps(reference(value, -1), ensure_ascii=False)


def test_a_value_nested_10000_deep_is_kept_as_text_below_the_limit() -> None:
    value: Any = "x\x00"
    for _ in range(10_000):
        value = {"a": [value]}
    safe = json_safe(value)
    for _ in range(MAX_DEPTH // 2):
        safe = safe["a"][0]
    assert safe == '{"a": [' * (10_000 - MAX_DEPTH // 2) + '"x\ufffd"' + "]}" * (
        10_000 - MAX_DEPTH // 2
    )


def test_examples() -> None:
    assert json_safe({"a\x00": ["x\x00y", float("nan"), 1, True, None, {2: float("inf")}]}) == {
        "a\ufffd": ["x\ufffdy", "nan", 1, True, None, {"2": "inf"}]
    }
    assert clean_text("a\x00b") == "ab"
    assert clean_text("ab") == "ab"
