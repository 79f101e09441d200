"""json_safe keeps every value PostgreSQL's JSONB and text can hold, and nothing else changes."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cdrhub.calls.values import clean_text, json_safe


def reference(value: Any) -> Any:
    """The plain recursive definition."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {reference(str(k)): reference(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reference(v) for v in value]
    return value


leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(alphabet=st.characters())
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


def test_examples() -> None:
    assert json_safe({"a\x00": ["x\x00y", float("nan"), 1, True, None, {2: float("inf")}]}) == {
        "a\ufffd": ["x\ufffdy", "nan", 1, True, None, {"2": "inf"}]
    }
    assert clean_text("a\x00b") == "ab"
    assert clean_text("ab") == "ab"
