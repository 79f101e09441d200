"""Property: no body, however broken, gets a 5xx or loses its bytes."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from starlette.testclient import TestClient

from cdrhub.config import Settings
from cdrhub.redact import redact_delivery
from cdrhub.store.schema import legs, quarantine
from cdrhub.voicenter.decode import decode
from cdrhub.web.app import create_app

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


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=bodies)
def test_no_body_gets_5xx_or_loses_its_bytes(
    settings: Settings, case: tuple[bytes, str | None]
) -> None:
    body, ctype = case
    app = _APPS.get(settings.database_url) or _APPS.setdefault(
        settings.database_url, create_app(settings)
    )
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
