"""Realistic generated Voicenter traffic, as the wire fields a webhook would carry.

A call centre with queues behind an IVR, agents with Hebrew names, outgoing calls to several
countries, click-to-call pairs (now and then the agent's own phone is not picked up and the
customer is never called), transfers, voicemail and the odd unknown type. Queue calls ring
agents who do not answer before one does (or the caller gives up): each unanswered ring is a
leg of its own, type Queue, status NOANSWER, linked to the call by `OriginalIvrUniqueID`.
Calls to an agent's direct number reach that agent or not (NOANSWER, BUSY, CANCEL), each
agent with a pick-up rate of their own, so answer ratios differ by agent. A daily and
weekly rhythm (Sunday to Thursday busy, Friday short, Saturday quiet, peaks at 10:00 and
14:00 local), and abandons that grow with the wait. Deterministic for a seed. The benchmarks
use the same generator.
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

FIRST_NAMES = ("דנה", "יוסי", "מיכל", "אבי", "נועה", "משה", "שרה", "דוד", "רותם", "איתי",
               "תמר", "עומר", "יעל", "אורי", "הדס", "גיל", "ליאת", "רון", "שני",
               "עידו")  # fmt: skip
LAST_NAMES = ("כהן", "לוי", "מזרחי", "פרץ", "ביטון",
              "אברהם", "פרידמן", "שפירא", "דהן", "אזולאי")  # fmt: skip
QUEUES = ((1001, "מכירות"), (1002, "שירות לקוחות"), (1003, "תמיכה טכנית"), (1004, "גבייה"))
DEPARTMENTS = ((500, "מוקד ראשי"), (501, "סניף צפון"))
# (country, E.164 prefix without +, number length after prefix, agorot per minute, share)
COUNTRIES = (
    ("Israel", "9725", 8, 8, 0.70), ("United States", "1212", 7, 12, 0.07),
    ("Germany", "49151", 8, 25, 0.05), ("France", "336", 8, 25, 0.04),
    ("United Kingdom", "447", 9, 20, 0.04), ("Russia", "79", 9, 40, 0.04),
    ("Ukraine", "38067", 7, 45, 0.03), ("Cyprus", "3579", 7, 30, 0.03),
)  # fmt: skip
HOUR_SHAPE = (0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.2, 0.6, 0.9, 1.0, 0.95, 0.8, 0.85,
              1.0, 0.9, 0.7, 0.45, 0.3, 0.2, 0.12, 0.08, 0.05, 0.03)  # fmt: skip
WEEKDAY_SHAPE = (1.0, 0.95, 0.95, 0.9, 0.85, 0.35, 0.08)  # Sunday first
CENTRE_DID = "0722776772"
RING_SECONDS = 15  # a queue rings an agent this long before it tries the next one


@dataclass(frozen=True, slots=True)
class Agent:
    code: str
    name: str
    extension: str
    queue: tuple[int, str]
    department: tuple[int, str]
    did: str  # the agent's direct number
    pick_up: float  # how likely the agent answers a call that rings their phone


def make_agents(count: int, rng: random.Random) -> list[Agent]:
    agents = []
    for i in range(count):
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7) % len(LAST_NAMES)]}"
        agents.append(
            Agent(
                code=str(2000 + i),
                name=name if i < len(FIRST_NAMES) else f"{name} {i // len(FIRST_NAMES) + 1}",
                extension=f"EXT{300 + i}",
                queue=QUEUES[i % len(QUEUES)],
                department=DEPARTMENTS[int(i % 5 == 4)],
                did=f"07227768{i:02d}" if i < 100 else f"0722779{i:03d}",
                pick_up=round(rng.uniform(0.55, 0.97), 2),
            )
        )
    return agents


class Generator:
    """Wire dicts for `days` days ending the day before `end` (local)."""

    def __init__(
        self, *, days: int, calls_per_day: int, end: date, seed: int = 7,
        tz: ZoneInfo | None = None,
    ) -> None:  # fmt: skip
        self.rng = random.Random(seed)
        self.days = days
        self.calls_per_day = calls_per_day
        self.tz = tz or ZoneInfo("Asia/Jerusalem")
        self.start_local = datetime.combine(end - timedelta(days=days), datetime.min.time())
        self.agents = make_agents(max(8, min(400, calls_per_day // 120)), self.rng)
        self.by_queue = {q: [a for a in self.agents if a.queue == q] for q in QUEUES}
        self.customers = [
            f"05{self.rng.randrange(10**8):08d}" for _ in range(max(50, calls_per_day * 3))
        ]
        self.serial = 0
        weights = [w * h for w in WEEKDAY_SHAPE for h in HOUR_SHAPE]
        self.per_unit = calls_per_day * 7 / sum(weights)

    # -- helpers -------------------------------------------------------------------------
    def _id(self, local: datetime) -> str:
        self.serial += 1
        return f"{local:%Y%m%d%H%M%S}{self.serial:010d}"

    def _base(self, local: datetime, kind: str, status: str) -> dict[str, Any]:
        dep = DEPARTMENTS[0]
        return {
            "ivruniqueid": self._id(local), "time": calendar.timegm(local.timetuple()),
            "type": kind, "status": status, "caller": "", "target": "", "did": "",
            "duration": 0, "dialtime": 0, "queueid": 0, "queuename": "", "price": 0,
            "targetextension": "", "targetextension_name": "", "callerextension": "",
            "callerextension_name": "", "representative_code": "", "representative_name": "",
            "target_country": "", "caller_country": "Israel", "record": "",
            "DepartmentID": dep[0], "DepartmentName": dep[1],
        }  # fmt: skip

    def _agent_fields(self, wire: dict[str, Any], agent: Agent, side: str) -> None:
        wire[f"{side}extension"] = agent.extension
        wire[f"{side}extension_name"] = agent.name
        wire["representative_code"] = agent.code
        wire["representative_name"] = agent.name
        wire["DepartmentID"], wire["DepartmentName"] = agent.department

    def _talk(self) -> int:
        return max(5, int(self.rng.lognormvariate(4.6, 0.8)))

    def _country(self) -> tuple[str, str, int, int, float]:
        pick = self.rng.random()
        for row in COUNTRIES:
            pick -= row[4]
            if pick <= 0:
                return row
        return COUNTRIES[0]

    # -- calls ---------------------------------------------------------------------------
    def incoming(self, local: datetime, load: float) -> Iterator[dict[str, Any]]:
        rng = self.rng
        wire = self._base(local, "Queue", "ANSWER")
        caller = rng.choice(self.customers)
        wire.update(caller=caller, did=CENTRE_DID, target=CENTRE_DID)
        choice = rng.randrange(len(QUEUES))
        ivr = [{"layer_id": 8650, "layer_name": "תפריט ראשי", "layer_number": 1,
                "Dtmf": choice + 1, "dtmf_order": 1}]  # fmt: skip
        wire["IVR"] = ivr
        roll = rng.random()
        if roll < 0.05:  # hung up in the menu
            wire.update(type="Incoming Call", status="VOEND", IVR=ivr[:1])
            ivr[0]["Dtmf"] = ""
            yield wire
            return
        if roll < 0.08:  # left a message
            wire.update(type="VoiceMail", status="VOICEMAIL", duration=rng.randint(5, 60))
            yield wire
            return
        if roll < 0.16:  # dialled an agent's direct number
            yield self.direct(local, caller)
            return
        queue = QUEUES[choice]
        wire.update(queueid=queue[0], queuename=queue[1])
        wait = int(rng.expovariate(1 / (5 + 25 * load)))
        patience = rng.expovariate(1 / 150)
        members = self.by_queue[queue]
        # agents the queue rings in turn, each for RING_SECONDS, until one picks up
        order = rng.sample(members, len(members))
        answering = next((a for a in order if rng.random() < a.pick_up), None)
        rung = order[: order.index(answering)] if answering else order
        if wait > patience or answering is None:
            status = rng.choices(("ABANDONE", "TIMEOUT", "EXIT"), (0.85, 0.1, 0.05))[0]
            waited = int(min(patience, wait)) if answering else int(patience)
            wire.update(status=status, seconds_waiting_in_queue=waited)
            yield wire
            yield from self._rings(wire, local, rung[: waited // RING_SECONDS])
            return
        wait += RING_SECONDS * len(rung)
        self._agent_fields(wire, answering, "target")
        duration = self._talk()
        wire.update(seconds_waiting_in_queue=wait, duration=duration, dialtime=wait + 3)
        wire["record"] = f"https://recordings.example/{wire['ivruniqueid']}.mp3"
        yield wire
        yield from self._rings(wire, local, rung)
        if rng.random() < 0.04:  # transferred to a colleague
            other = rng.choice(self.agents)
            xfer = self._base(local + timedelta(seconds=duration), "XferCDR", "ANSWER")
            xfer.update(caller=caller, target=other.extension, duration=self._talk(),
                        OriginalIvrUniqueID=wire["ivruniqueid"])  # fmt: skip
            self._agent_fields(xfer, other, "target")
            yield xfer

    def _rings(
        self, call: dict[str, Any], local: datetime, agents: list[Agent]
    ) -> Iterator[dict[str, Any]]:
        """The legs of agents a queue call rang who did not answer, linked to the call."""
        for turn, agent in enumerate(agents):
            ring = self._base(local + timedelta(seconds=RING_SECONDS * turn), "Queue", "NOANSWER")
            ring.update(caller=call["caller"], did=call["did"], target=agent.extension,
                        queueid=call["queueid"], queuename=call["queuename"],
                        dialtime=RING_SECONDS, OriginalIvrUniqueID=call["ivruniqueid"])  # fmt: skip
            self._agent_fields(ring, agent, "target")
            yield ring

    def direct(self, local: datetime, caller: str) -> dict[str, Any]:
        """A call to an agent's direct number: answered as often as that agent picks up."""
        rng = self.rng
        agent = rng.choice(self.agents)
        if rng.random() < agent.pick_up:
            status = "ANSWER"
        else:
            status = rng.choices(("NOANSWER", "BUSY", "CANCEL"), (0.7, 0.1, 0.2))[0]
        wire = self._base(local, "Incoming Call", status)
        wire.update(caller=caller, did=agent.did, target=agent.extension,
                    dialtime=rng.randint(2, 25))  # fmt: skip
        self._agent_fields(wire, agent, "target")
        if status == "ANSWER":
            wire["duration"] = self._talk()
            wire["record"] = f"https://recordings.example/{wire['ivruniqueid']}.mp3"
        return wire

    def outgoing(self, local: datetime) -> Iterator[dict[str, Any]]:
        rng = self.rng
        agent = rng.choice(self.agents)
        country, prefix, length, rate, _ = self._country()
        target = prefix + "".join(str(rng.randrange(10)) for _ in range(length))
        if rng.random() < 0.5 and country == "Israel":
            target = rng.choice(self.customers)
        status = rng.choices(("ANSWER", "NOANSWER", "BUSY", "CANCEL"), (0.62, 0.25, 0.08, 0.05))[0]
        duration = self._talk() if status == "ANSWER" else 0
        price = math.ceil(duration / 60) * rate if duration else 0
        kind = "Extension Outgoing" if rng.random() < 0.7 else "Click2Call leg2"
        wire = self._base(local, kind, status)
        wire.update(caller=CENTRE_DID, target=target, target_country=country, duration=duration,
                    dialtime=rng.randint(2, 25), price=price)  # fmt: skip
        self._agent_fields(wire, agent, "caller")
        if kind == "Click2Call leg2":
            leg1 = self._base(local - timedelta(seconds=5), "Click2Call leg1", "ANSWER")
            leg1.update(caller=CENTRE_DID, target=agent.extension, duration=duration + 5)
            self._agent_fields(leg1, agent, "target")
            if rng.random() > agent.pick_up:  # the agent's own phone was not picked up
                leg1.update(status="NOANSWER", duration=0)
                wire.update(status="NOTCALLED", duration=0, price=0, dialtime=0)
            wire["OriginalIvrUniqueID"] = leg1["ivruniqueid"]
            wire["leg1DialStatusName"] = leg1["status"]
            yield leg1
        yield wire

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        utc = self.start_local.replace(tzinfo=self.tz).astimezone(ZoneInfo("UTC"))
        end = utc + timedelta(days=self.days)
        while utc < end:
            local_hour = utc.astimezone(self.tz).replace(tzinfo=None)
            weekday = (local_hour.weekday() + 1) % 7
            expected = self.per_unit * WEEKDAY_SHAPE[weekday] * HOUR_SHAPE[local_hour.hour]
            count = max(0, int(rng.gauss(expected, math.sqrt(expected) + 0.01) + 0.5))
            load = HOUR_SHAPE[local_hour.hour]
            for _ in range(count):
                moment = utc + timedelta(seconds=rng.randrange(3600))
                local = moment.astimezone(self.tz).replace(tzinfo=None)
                roll = rng.random()
                if roll < 0.6:
                    yield from self.incoming(local, load)
                elif roll < 0.995:
                    yield from self.outgoing(local)
                else:
                    odd = self._base(local, "Callback Survey", "ANSWER")
                    odd.update(caller=rng.choice(self.customers), price=3)
                    yield odd
            utc += timedelta(hours=1)
