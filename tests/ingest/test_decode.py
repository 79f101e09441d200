"""Decoding each encoding, byte for byte, without a database."""

from __future__ import annotations

import time

import pytest

from cdrhub.voicenter.ack import render_ack
from cdrhub.voicenter.decode import DecodeError, decode, decode_form, encoding_for
from tests.conftest import sample, sample_bytes


def test_json_object_and_array() -> None:
    one = decode(sample_bytes("outgoing-answered.json"), "application/json")
    assert one.encoding == "json"
    assert one.records == [sample("outgoing-answered.json")]
    body = (
        b"["
        + sample_bytes("click2call-leg1.json")
        + b","
        + sample_bytes("click2call-leg2.json")
        + b"]"
    )
    many = decode(body, "application/json")
    assert [r["ivruniqueid"] for r in many.records] == [
        "20231115174000legA0001",
        "20231115174005legB0002",
    ]


def test_json_with_wrong_content_type_is_still_json() -> None:
    decoded = decode(sample_bytes("queue-abandoned.json"), "application/x-www-form-urlencoded")
    assert decoded.encoding == "json"
    assert decoded.records[0]["queueid"] == 1234567


def test_xmlrpc_sample_equals_json_sample() -> None:
    decoded = decode(sample_bytes("outgoing-answered.xmlrpc.xml"), "text/xml")
    assert decoded.encoding == "xmlrpc"
    expected = sample("outgoing-answered.json")
    assert decoded.records[0] == expected


def test_xmlrpc_value_types() -> None:
    body = b"""<?xml version="1.0"?><methodCall><methodName>anything</methodName><params><param>
    <value><struct>
      <member><name>ivruniqueid</name><value>20240101000000bare</value></member>
      <member><name>price</name><value><double>1.5</double></value></member>
      <member><name>queueid</name><value><i4>7</i4></value></member>
      <member><name>big</name><value><i8>9000000000</i8></value></member>
      <member><name>flag</name><value><boolean>1</boolean></value></member>
      <member><name>none</name><value><nil/></value></member>
      <member><name>IVR</name><value><array><data><value><struct>
        <member><name>layer_id</name><value><int>5</int></value></member>
      </struct></value></data></array></value></member>
    </struct></value></param></params></methodCall>"""
    record = decode(body, "text/xml").records[0]
    assert record == {
        "ivruniqueid": "20240101000000bare",
        "price": 1.5,
        "queueid": 7,
        "big": 9000000000,
        "flag": True,
        "none": None,
        "IVR": [{"layer_id": 5}],
    }


def test_form_with_bracketed_ivr() -> None:
    decoded = decode(sample_bytes("queue-abandoned.form.txt"), "application/x-www-form-urlencoded")
    assert decoded.encoding == "form"
    record = decoded.records[0]
    assert record["queuename"] == "Sales Queue"
    assert record["seconds_waiting_in_queue"] == "20"
    assert record["IVR"] == {
        "0": {"layer_id": "1234567", "layer_name": "Main IVR", "Dtmf": "2", "dtmf_order": "1"}
    }


def test_form_nested_deeper_and_plain_keys() -> None:
    assert decode_form("a=1&b[x][y]=2&b[x][z]=3&c[]=4") == {
        "a": "1",
        "b": {"x": {"y": "2", "z": "3"}},
        "c": {"": "4"},
    }


def test_query_string_drops_token() -> None:
    decoded = decode(b"", None, "token=abc&ivruniqueid=20240101000000q&caller=0501234567")
    assert decoded.encoding == "query"
    assert decoded.records == [{"ivruniqueid": "20240101000000q", "caller": "0501234567"}]


@pytest.mark.parametrize(
    ("body", "ctype", "encoding", "reason"),
    [
        (b"{not json", "application/json", "json", "invalid JSON"),
        (b"[]", "application/json", "json", "holds no CDR"),
        (b"[1, 2]", "application/json", "json", "is a int, not an object"),
        (b"<methodCall><params></params></methodCall>", "text/xml", "xmlrpc", "no params"),
        (b"<foo/>", "text/xml", "xmlrpc", "must be a methodCall"),
        (b"<methodCall", "text/xml", "xmlrpc", "invalid XML"),
        (b"\xff\xfe=\x00", "application/x-www-form-urlencoded", "form", "not UTF-8"),
        (b"", None, "json", "empty request"),
    ],
)
def test_unreadable_bodies(body: bytes, ctype: str | None, encoding: str, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode(body, ctype)
    assert info.value.encoding == encoding
    assert reason in str(info.value)


def test_entity_bomb_is_refused_fast() -> None:
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{lol}]>'
        "<methodCall>&lol9;</methodCall>"
    )
    started = time.perf_counter()
    with pytest.raises(DecodeError) as info:
        decode(bomb.encode(), "text/xml")
    assert time.perf_counter() - started < 0.5
    assert "XML refused" in str(info.value)


def test_external_entity_is_refused() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><methodCall>&e;</methodCall>'
    with pytest.raises(DecodeError, match="XML refused"):
        decode(body, "text/xml")


def test_encoding_sniffing() -> None:
    assert encoding_for("text/plain", b"  {") == "json"
    assert encoding_for(None, b"<?xml") == "xmlrpc"
    assert encoding_for("application/json", b"a=1") == "json"
    assert encoding_for(None, b"a=1") == "form"
    assert encoding_for(None, b"") == "query"


def test_acks_in_each_encoding() -> None:
    assert render_ack("json", 0, "OK") == (b'{"Err": 0, "Errdesc": "OK"}', "application/json")
    assert render_ack("form", 1, "bad body") == (
        b"Err=1&Errdesc=bad+body",
        "application/x-www-form-urlencoded",
    )
    body, media = render_ack("xmlrpc", 2, "a<b")
    assert media == "text/xml"
    assert b"<member><name>Err</name><value><int>2</int></value></member>" in body
    assert b"<string>a&lt;b</string>" in body
