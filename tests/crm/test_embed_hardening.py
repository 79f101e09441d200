"""The widget under hostile input: a bad link costs nothing and grows no cache; a link for a
number shows and plays only the legs that number is a party of, whatever a CDR links."""

from __future__ import annotations

import re
import sys
import time
from functools import _lru_cache_wrapper
from typing import Any

from sqlalchemy import Engine

from cdrhub.config import Settings
from cdrhub.crm.embed import embed_path, recording_path, sign
from cdrhub.crm.timeline import build_timeline
from tests.crm.conftest import API, make_client, samples, store, with_crm

SECRET = "s3cret-for-tests"
A, B = "+972501111111", "+972502222222"
B_LEG, A_LEG, A_OWN = "20231115100000bbbb0001", "20231115100500aaaa0001", "20231115110000aaaa0002"


def _cache_sizes() -> dict[str, int]:
    """currsize of every lru_cache that cdrhub's modules define, by name."""
    sizes = {}
    for name, module in list(sys.modules.items()):
        if name != "cdrhub" and not name.startswith("cdrhub."):
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, _lru_cache_wrapper) and value.__module__ == name:
                sizes[f"{name}.{attr}"] = value.cache_info().currsize
    return sizes


def test_bad_links_grow_no_cache(settings: Settings, engine: Engine) -> None:
    store(settings, engine, *samples("incoming-ivr-as-string"))
    exp = int(time.time()) + 600
    with make_client(with_crm(settings, embed={"secret": SECRET})) as client:
        assert client.get(embed_path(SECRET, "+972546666666", exp)).status_code == 200
        before = _cache_sizes()
        assert len(before) >= 5  # phones, field names, countries, statements
        forged = sign("guess", "+972546666666", exp)
        statuses = set()
        for i in range(600):
            junk = f"05{i:08d}" + "7" * (i % 50)  # each a new number, some too long for one
            query = [f"exp={exp}&sig={forged}", f"exp={exp}", f"exp={exp - 700}&sig={forged}"]
            for q in query:
                statuses.add(client.get(f"/embed/contacts/{junk}?{q}").status_code)
            rec = f"/embed/recordings/{B_LEG}?phone={junk}&exp={exp}&sig={forged}"
            statuses.add(client.get(rec).status_code)
        assert statuses == {403}
        assert _cache_sizes() == before


def _leg(ivruniqueid: str, caller: str, t: int, **fields: Any) -> dict[str, Any]:
    return {
        **samples("incoming-ivr-as-string")[0],
        "ivruniqueid": ivruniqueid,
        "caller": caller,
        "time": t,
        "record": f"https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/{ivruniqueid}.mp3",
        "representative_name": "",
        "targetextension_name": "",
        **fields,
    }


def _scenario(settings: Settings, engine: Engine) -> None:
    b = _leg(B_LEG, "0502222222", 1700042400, representative_name="Bob's agent")
    # A's leg names B's leg as its original: A's link must not open B's call
    a = _leg(A_LEG, "0501111111", 1700042700, OriginalIvrUniqueID=B_LEG)
    own = _leg(A_OWN, "0501111111", 1700046000)
    store(settings, engine, b, a, own)


def test_a_link_shows_only_legs_of_its_number(settings: Settings, engine: Engine) -> None:
    _scenario(settings, engine)
    exp = int(time.time()) + 600
    with make_client(with_crm(settings, embed={"secret": SECRET})) as client:
        html = client.get(embed_path(SECRET, A, exp)).text
        played = re.findall(r'src="/embed/recordings/([^?"]+)\?', html)
        assert played == [A_OWN, A_LEG]  # newest first; B's leg is not there
        assert "Bob&#39;s agent" not in html and "Bob's agent" not in html
        assert "0502222222" not in html and B not in html
        # B's own link still shows B's call
        b_html = client.get(embed_path(SECRET, B, exp)).text
        assert re.findall(r'src="/embed/recordings/([^?"]+)\?', b_html) == [B_LEG]

        # B's recording through A's link: as if there were none
        theirs = client.get(recording_path(SECRET, A, exp, B_LEG), follow_redirects=False)
        assert (theirs.status_code, theirs.json()) == (
            404,
            {"detail": "no recording for this call"},
        )
        mine = client.get(recording_path(SECRET, A, exp, A_LEG), follow_redirects=False)
        assert mine.status_code == 307
        assert (
            mine.headers["location"]
            == f"https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/{A_LEG}.mp3"
        )

        # the API (API key) still stitches what the CDRs link, for the people who run cdrhub
        api = client.get(f"/api/contacts/{A}/timeline", headers=API).json()
        legs = [[leg["ivruniqueid"] for leg in call["legs"]] for call in api["calls"]]
        assert legs == [[A_OWN], [B_LEG, A_LEG]]


def test_widget_timeline_data_holds_only_party_legs(settings: Settings, engine: Engine) -> None:
    _scenario(settings, engine)
    with engine.connect() as conn:
        data = build_timeline(conn, A, recording_link=lambda leg, row: None, parties_only=True)
    legs = [[leg["ivruniqueid"] for leg in call["legs"]] for call in data["calls"]]
    assert legs == [[A_OWN], [A_LEG]]
    assert {leg["caller"] for call in data["calls"] for leg in call["legs"]} == {"0501111111"}
