"""Whatever a CDR holds, the automations hook never fails the leg's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from cdrhub.automations.hook import make_hook
from cdrhub.ingest.pipeline import Incoming, ingest
from cdrhub.voicenter.normalize import NormalizeError, normalize

from .helpers import settings_for

TOML = """
[channels.twilio]
account_sid = "AC1"
auth_token = "t"
from = "+972722776772"
base_url = "http://127.0.0.1:9"

[channels.hook]
type = "webhook"
url = "http://127.0.0.1:9/x"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[automations]
quiet_hours = ["fri 14:00-sat 20:00"]

[[rules]]
name = "everything"
actions = [
  { do = "sms", via = "twilio", text = "{{ queue_name }} {{ caller }} {{ local_time }} {{ agent_name }}" },
  { do = "webhook", via = "hook" },
  { do = "callback", assign = "x" },
  { do = "notify", title = "{{ queue_name }}{{ queue_name }}{{ caller }}" },
]
"""

text = st.text(max_size=60)
numberish = st.one_of(
    st.from_regex(r"\+?[0-9 ()\-]{0,20}", fullmatch=True), text, st.integers(), st.none()
)
wires = st.fixed_dictionaries(
    {
        "ivruniqueid": st.from_regex(r"[0-9A-Za-z]{1,40}", fullmatch=True),
        "type": st.sampled_from(
            ["Queue", "Incoming Call", "Extension Outgoing", "VoiceMail", "Click2Call leg2", "??"]
        ),
        "status": st.sampled_from(["ABANDONE", "ANSWER", "NOANSWER", "VOEND", "X"]),
        "caller": numberish,
        "target": numberish,
        "did": numberish,
        "time": st.one_of(st.integers(0, 2_000_000_000), st.none()),
    },
    optional={
        "queuename": st.text(max_size=255),
        "representative_name": st.text(max_size=255),
        "seconds_waiting_in_queue": st.one_of(st.integers(-(10**15), 10**15), text),
        "duration": st.one_of(st.integers(-(10**15), 10**15), text),
        "dialtime": st.one_of(st.integers(-(10**15), 10**15), text),
        "caller_country": st.text(max_size=64),
        "DepartmentID": st.integers(0, 2**40),
    },
)


def test_hook_never_fails_the_leg(engine: Engine, db_url: str, tmp_path: Path) -> None:
    app_settings = settings_for(db_url, TOML, tmp_path)
    hooks = [make_hook(app_settings)]

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(wires)
    def run(wire: dict) -> None:
        received = datetime.now(UTC).replace(tzinfo=None)
        try:
            leg = normalize(wire, tz=app_settings.tz, received_at=received)
        except NormalizeError:
            return
        ingest(engine, [Incoming(leg, "json")], hooks, received)

    run()
