"""Properties of the webhook, on SQLite and PostgreSQL.

1. No body, however broken, gets a 5xx or loses its bytes.
2. Every CDR, however hostile (ids too long for their column, fields nested 10,000 levels deep,
   odd Unicode in every field and key, numbers beyond every column, in every encoding: JSON,
   XML-RPC, form, GET query), is answered exactly one of two ways: 200 and Err 0 with every
   CDR of the body stored, or 200 and Err 1 with exactly one quarantine row holding the body.
   Never Err 2 (503: Voicenter would send it again forever), never a 500.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from starlette.testclient import TestClient

from cdrhub.config import Settings
from cdrhub.redact import redact_delivery
from cdrhub.store.schema import legs, quarantine
from cdrhub.voicenter.decode import decode
from cdrhub.voicenter.normalize import squash_key
from cdrhub.web.app import create_app
from tests.conftest import _truncate_all

TOKEN = "test-ingest-token-0123456789"
FIELDS = ["caller", "target", "time", "duration", "ivruniqueid", "type", "status", "IVR",
          "queueid", "price", "did", "seconds_waiting_in_ queue", "aiData", "DepartmentId"]  # fmt: skip
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
)  # fmt: skip
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)  # fmt: skip
records = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), values, max_size=10)
with_id = st.builds(lambda r, i: {**r, "ivruniqueid": i}, records,
                    st.from_regex(r"\A20[0-9]{12}[a-z0-9]{1,8}\Z"))  # fmt: skip


def _xml(record: dict) -> bytes:
    members = "".join(
        f"<member><name>{escape(str(k))}</name><value><string>{escape(str(v))}</string></value></member>"
        for k, v in record.items()
    )
    return f"<methodCall><params><param><value><struct>{members}</struct></value></param></params></methodCall>".encode()


def _safe_json(record: dict) -> bytes:
    return json.dumps(record, default=str).encode()


bodies = st.one_of(
    st.binary(max_size=600).map(lambda b: (b, None)),
    st.binary(max_size=300).map(lambda b: (b, "application/json")),
    st.text(max_size=300).map(lambda t: (t.encode("utf-8", "surrogatepass"), "text/xml")),
    records.map(lambda r: (_safe_json(r), "application/json")),
    with_id.map(lambda r: (_safe_json(r), "application/json")),
    st.lists(with_id, max_size=3).map(lambda rs: (_safe_json(rs), "application/json")),
    with_id.map(lambda r: (urlencode({str(k): str(v) for k, v in r.items()}).encode(),
                           "application/x-www-form-urlencoded")),
    with_id.map(lambda r: (_xml(r), "text/xml")),
    records.map(lambda r: (_xml(r), "text/xml")),
)  # fmt: skip


def _app(settings: Settings) -> Any:
    return _APPS.get(settings.database_url) or _APPS.setdefault(
        settings.database_url, create_app(settings)
    )


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=bodies)
def test_no_body_gets_5xx_or_loses_its_bytes(
    settings: Settings, case: tuple[bytes, str | None]
) -> None:
    body, ctype = case
    app = _app(settings)
    client = TestClient(app)
    headers = {"content-type": ctype} if ctype else {}
    response = client.post(f"/voicenter/cdr/{TOKEN}", content=body, headers=headers)
    assert response.status_code == 200, response.text
    # kept byte for byte but for what looks like a secret (`?code=...`: cdrhub.redact)
    kept_body = redact_delivery(
        body=body, query="", headers={}, reason="", content_type=ctype, secrets=[TOKEN]
    ).body
    with app.state.engine.connect() as conn:
        kept = conn.execute(select(quarantine.c.body).where(quarantine.c.body == kept_body)).first()
        stored_ids = set(conn.execute(select(legs.c.ivruniqueid)).scalars())
    if kept is None:
        # Not quarantined: then every CDR in it must be stored.
        for record in decode(body, ctype).records:
            key = next(k for k in record if k.replace(" ", "").lower() == "ivruniqueid")
            assert str(record[key]).strip() in stored_ids or isinstance(record[key], float)


_APPS: dict[str, object] = {}


# --- hostile CDRs in every encoding -----------------------------------------------------------


@dataclass(frozen=True)
class Deep:
    """A value nested `levels` deep in lists (or objects, keyed "a"), around `leaf`; each
    encoder writes it without recursion."""

    levels: int
    objects: bool
    leaf: str


# Characters of every kind: digits of other scripts, superscripts, NUL and other controls,
# lone surrogates (a JSON `\ud800` escape, or bytes that are no UTF-8 in a form), emoji.
odd_text = st.text(
    st.one_of(
        st.characters(),
        st.sampled_from(["²", "٣", "\x00", "\ud800", "\udfff", "\u202e", "\ufeff", "🎉", "\r"]),
    ),
    max_size=40,
)
huge_numbers = st.one_of(
    st.integers(-(2**80), 2**80),
    st.sampled_from([2**63, -(2**63) - 1, 10**400, 1e308, -1e308, 5e-324]),
    st.floats(allow_nan=True, allow_infinity=True),
)
deep_values = st.builds(
    Deep, st.sampled_from([33, 500, 10_000]), st.booleans(), st.sampled_from(["x", "²", "1"])
)
leaves = st.one_of(st.none(), st.booleans(), huge_numbers, odd_text)
hostile_values = st.one_of(
    leaves,
    deep_values,
    st.lists(leaves, max_size=3),
    st.dictionaries(odd_text, leaves, max_size=3),
)
odd_keys = st.one_of(st.sampled_from(FIELDS), odd_text).filter(
    lambda k: squash_key(k) != "ivruniqueid"
)
hostile_ids = st.one_of(
    st.from_regex(r"\A20[0-9]{12}[a-z0-9]{1,8}\Z"),
    st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=120, max_size=140),
    odd_text,
    st.sampled_from(["²", "\x00", " ", "a" * 128, "b" * 129]),
)
hostile_records = st.builds(
    lambda fields, ivruniqueid: {**fields, "ivruniqueid": ivruniqueid},
    st.dictionaries(odd_keys, hostile_values, max_size=8),
    hostile_ids,
)


def _json_value(value: Any) -> str:
    if isinstance(value, Deep):
        leaf = json.dumps(value.leaf)
        if value.objects:
            return '{"a": ' * value.levels + leaf + "}" * value.levels
        return "[" * value.levels + leaf + "]" * value.levels
    if isinstance(value, list):
        return "[" + ", ".join(_json_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_json_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)  # NaN and Infinity as Python writes them; surrogates escaped


def _xml_value(value: Any) -> str:
    if isinstance(value, Deep):
        open_, close = (
            ("<value><struct><member><name>a</name>", "</member></struct></value>")
            if value.objects
            else ("<value><array><data>", "</data></array></value>")
        )
        return open_ * value.levels + f"<value>{value.leaf}</value>" + close * value.levels
    if value is None:
        return "<value><nil/></value>"
    if isinstance(value, bool):
        return f"<value><boolean>{int(value)}</boolean></value>"
    if isinstance(value, int):
        return f"<value><int>{value}</int></value>"
    if isinstance(value, float):
        return f"<value><double>{value!r}</double></value>"
    if isinstance(value, list):
        return "<value><array><data>" + "".join(map(_xml_value, value)) + "</data></array></value>"
    if isinstance(value, dict):
        members = "".join(
            f"<member><name>{escape(k)}</name>{_xml_value(v)}</member>" for k, v in value.items()
        )
        return f"<value><struct>{members}</struct></value>"
    return f"<value><string>{escape(value)}</string></value>"  # controls stay: invalid XML


def _form_pairs(key: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, Deep):
        return [(key + "[a]" * value.levels, value.leaf)]
    if isinstance(value, list):
        return [(f"{key}[{i}]", str(v)) for i, v in enumerate(value)] or [(key, "")]
    if isinstance(value, dict):
        return [(f"{key}[{k}]", str(v)) for k, v in value.items()] or [(key, "")]
    return [(key, "" if value is None else str(value))]


def _form(record: dict[str, Any]) -> str:
    def q(text: str, safe: str = "") -> str:  # lone surrogates as the bytes Python writes
        return quote(text.encode("utf-8", "surrogatepass"), safe=safe)

    return "&".join(
        f"{q(k, '[]')}={q(v)}" for key, value in record.items() for k, v in _form_pairs(key, value)
    )


ENCODINGS = {
    "json": lambda records: (
        ("[" + ", ".join(map(_json_value, records)) + "]").encode(),
        "application/json",
        "",
    ),
    "json-object": lambda records: (_json_value(records[0]).encode(), "application/json", ""),
    "xmlrpc": lambda records: (
        (
            "<?xml version='1.0'?><methodCall><methodName>cdr</methodName><params><param>"
            + _xml_value(records[0])
            + "</param></params></methodCall>"
        ).encode("utf-8", "surrogatepass"),
        "text/xml",
        "",
    ),
    "form": lambda records: (_form(records[0]).encode(), "application/x-www-form-urlencoded", ""),
    "query": lambda records: (b"", None, _form(records[0])),
}


def _err(response: Any) -> int:
    """Err of an answer, in whichever encoding it came (a form body that begins with `[` is
    read, and answered, as JSON)."""
    media = response.headers["content-type"]
    if media.startswith("application/x-www-form-urlencoded"):
        return int(parse_qs(response.text)["Err"][0])
    if media.startswith("text/xml"):
        return int(re.search(r"<name>Err</name><value><int>(\d)</int>", response.text)[1])  # type: ignore[index]
    return int(response.json()["Err"])


@pytest.mark.slow
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                           HealthCheck.too_slow,
                                                           HealthCheck.data_too_large]
)  # fmt: skip
@given(
    encoding=st.sampled_from(sorted(ENCODINGS)),
    cdrs=st.lists(hostile_records, min_size=1, max_size=3),
)
def test_every_hostile_cdr_is_stored_or_quarantined_never_err_2(
    settings: Settings, encoding: str, cdrs: list[dict[str, Any]]
) -> None:
    app = _app(settings)
    _truncate_all(app.state.engine)
    body, ctype, query = ENCODINGS[encoding](cdrs)
    url = "/voicenter/cdr/test-ingest-token-0123456789"
    assume(len(query) < 60_000)  # the longest URL the test client sends
    assume(len(body) <= settings.max_body_bytes)  # else 413 before any reading
    client = TestClient(app, raise_server_exceptions=False)
    if encoding == "query":
        response = client.get(f"{url}?{query}")
    else:
        response = client.post(url, content=body, headers={"content-type": ctype})

    assert response.status_code == 200, response.text  # never 503, never 500
    err = _err(response)
    event(f"{encoding}: Err {err}")
    with app.state.engine.connect() as conn:
        kept = conn.execute(select(quarantine.c.body, quarantine.c.query)).all()
        stored = set(conn.execute(select(legs.c.ivruniqueid)).scalars())
    if err == 0:
        assert kept == []
        # every CDR of the body, under its key as normalization reads it
        expected = set()
        for record in decode(body, ctype, query).records:
            key = next(k for k in record if squash_key(str(k)) == "ivruniqueid")
            expected.add(_as_key(record[key]))
        assert stored == expected
    else:
        assert err == 1, response.text
        # kept byte for byte but for what names a secret (an `apikey=...` the records carry)
        shown = redact_delivery(body=body, query=query, headers={}, reason="", content_type=ctype)
        assert [tuple(k) for k in kept] == [(shown.body, shown.query)]


def _as_key(value: Any) -> str:
    from cdrhub.calls.values import clean_text

    return clean_text(value).strip() if isinstance(value, str) else str(value)
