"""What the quarantine may keep of a delivery (cdrhub.redact): exact outputs."""

from __future__ import annotations

from cdrhub.redact import redact_delivery, redact_headers, redact_query, redact_text

TOKEN = "gen-token-Zr8e9w1QyXo2kLmN0pAbCdEf"


def test_secret_named_parameters_any_case_and_spelling() -> None:
    query = "TOKEN=a1&caller=050&Api-Key=k2&api_key=k3&%74oken=t4&password=p&ivruniqueid=1&x"
    assert redact_query(query) == (
        "TOKEN=[redacted]&caller=050&Api-Key=[redacted]&api_key=[redacted]"
        "&%74oken=[redacted]&password=[redacted]&ivruniqueid=1&x"
    )
    # names that only contain a secret word are CDR fields, kept
    assert redact_query("representative_code=77&keypad=1") == "representative_code=77&keypad=1"


def test_other_bytes_of_the_query_are_kept_as_they_came() -> None:
    raw = "caller=%FF%FE&target=a+b&Q[0][x]=%zz&token=" + TOKEN  # unreadable on purpose
    assert redact_query(raw) == "caller=%FF%FE&target=a+b&Q[0][x]=%zz&token=[redacted]"


def test_code_in_urls_plain_and_percent_encoded() -> None:
    assert redact_text("https://r.example/a.mp3?code=ABC&x=1") == (
        "https://r.example/a.mp3?code=[redacted]&x=1"
    )
    assert redact_query("RecordURL=https%3A%2F%2Fr.example%2Fa.mp3%3Fcode%3DABC%26x%3D1") == (
        "RecordURL=https%3A%2F%2Fr.example%2Fa.mp3%3Fcode%3D[redacted]%26x%3D1"
    )
    assert redact_text("<string>https://r/a?x=1&amp;code=ABC</string>") == (
        "<string>https://r/a?x=1&amp;code=[redacted]</string>"
    )


def test_the_credential_wherever_it_appears() -> None:
    assert redact_text(f"/voicenter/cdr/{TOKEN}/x", [TOKEN]) == "/voicenter/cdr/[redacted]/x"
    assert redact_text(f"/voicenter/cdr/{TOKEN}/x") == f"/voicenter/cdr/{TOKEN}/x"  # unknown
    assert redact_text("a" * 7, ["a" * 7]) == "a" * 7  # too short to search for
    assert redact_text("", [TOKEN]) == ""


def test_headers() -> None:
    headers = {
        "Authorization": "Basic dm9pY2VudGVyOnNlY3JldA==",
        "cookie": "s=1",
        "Proxy-Authorization": "Bearer x",
        "X-Auth-Token": "t",
        "x-original-uri": f"/voicenter/cdr/{TOKEN}",
        "user-agent": "Voicenter/1.0",
    }
    assert redact_headers(headers, [TOKEN]) == {
        "Authorization": "[redacted]",
        "cookie": "[redacted]",
        "Proxy-Authorization": "[redacted]",
        "X-Auth-Token": "[redacted]",
        "x-original-uri": "/voicenter/cdr/[redacted]",
        "user-agent": "Voicenter/1.0",
    }


def test_a_delivery_redacted_twice_is_the_same() -> None:
    once = redact_delivery(
        body=b"token=" + TOKEN.encode() + b"&caller=\xff",
        query=f"token={TOKEN}",
        headers={"authorization": "Basic x"},
        reason=f"bad value {TOKEN!r}",
        content_type="application/x-www-form-urlencoded",
        secrets=[TOKEN],
    )
    assert once.body == b"token=[redacted]&caller=\xff"
    assert (once.query, once.reason) == ("token=[redacted]", "bad value '[redacted]'")
    twice = redact_delivery(
        body=once.body,
        query=once.query,
        headers=once.headers,
        reason=once.reason,
        content_type=once.content_type,
    )
    assert twice == once


def test_an_empty_secret_parameter_is_kept_as_it_came() -> None:
    # nothing to hide: the body stays byte for byte (a replay reads what was sent)
    assert redact_text("a=1&APIKEY=&b=2") == "a=1&APIKEY=&b=2"
    assert redact_query("APIKEY=&token=&code=x") == "APIKEY=&token=&code=[redacted]"
    assert (
        redact_text("u=https%3A%2F%2Fh%2Fp%3Fcode%3D%26x%3D1")
        == "u=https%3A%2F%2Fh%2Fp%3Fcode%3D%26x%3D1"
    )
