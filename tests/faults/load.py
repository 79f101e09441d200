"""A small, bounded load for fault tests, and the checks every fault test makes.

`Load` runs a few sender threads against a real `cdrhub serve`; each posts distinct CDRs one
after another, one attempt each, and keeps every answer with the time it took. Nothing is
retried while the fault lasts (so that each answer is seen as it was); afterwards `resend`
plays Voicenter and sends every CDR that was not acknowledged again until it is.

`check_answers` and `check_stored` are the fault suite's assertions: every answer was 200 Err 0
or 503 Err 2 within the deadline (plus a margin for a busy machine), and after the resend every
CDR sent is stored exactly once, its deliveries between its acknowledgements and its attempts.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
from sqlalchemy import func, select

from cdrhub.store.engine import make_engine
from cdrhub.store.schema import legs
from tests.ingest.test_crash import make_cdr

OK = (200, {"Err": 0, "Errdesc": "OK"})
ERR_2 = (503, {"Err": 2, "Errdesc": "storage unavailable, retry later"})
PAUSE_AFTER_ERR_2 = 0.05  # a sender does not spin on a server that answers Err 2 at once


@dataclass(frozen=True)
class Answer:
    ivr: str
    status: int | None  # None: no answer (a transport error or the client's timeout)
    body: object
    seconds: float
    at: float  # time.monotonic() when it came


@dataclass
class Load:
    base_url: str
    token: str
    threads: int = 4
    client_timeout: float = 30.0
    prefix: str = field(default_factory=lambda: f"20231115092000{uuid.uuid4().hex[:8]}")
    answers: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.base_url}/voicenter/cdr/{self.token}"

    def start(self) -> Load:
        for t in range(self.threads):
            worker = threading.Thread(target=self._send, args=(t,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=self.client_timeout + 5)
        assert not any(w.is_alive() for w in self._workers), "a sender is stuck"

    def post(self, client: httpx.Client, ivr: str) -> Answer:
        n = int(ivr.rsplit("n", 1)[1])
        started = time.monotonic()
        try:
            response = client.post(self.url, json=make_cdr(ivr, n))
            status, body = response.status_code, response.json()
        except (httpx.HTTPError, ValueError) as exc:
            status, body = None, repr(exc)
        now = time.monotonic()
        answer = Answer(ivr, status, body, now - started, now)
        with self._lock:
            self.answers.append(answer)
        return answer

    def _send(self, t: int) -> None:
        with httpx.Client(timeout=self.client_timeout) as client:
            n = 0
            while not self._stop.is_set():
                answer = self.post(client, f"{self.prefix}t{t}n{n:05d}")
                n += 1
                if answer.status != 200:
                    time.sleep(PAUSE_AFTER_ERR_2)

    def acked(self, since: float = 0.0) -> int:
        with self._lock:
            return sum(1 for a in self.answers if a.at >= since and (a.status, a.body) == OK)

    def refused(self, since: float = 0.0) -> int:
        with self._lock:
            return sum(1 for a in self.answers if a.at >= since and (a.status, a.body) == ERR_2)

    def wait(self, what: str, condition: object, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.02)

    def resend(self, tries: int = 50) -> None:
        """Voicenter's part: every CDR without an Err 0 is sent again until it gets one."""
        todo = sorted(
            {a.ivr for a in self.answers}
            - {a.ivr for a in self.answers if (a.status, a.body) == OK}
        )
        with httpx.Client(timeout=self.client_timeout) as client:
            for ivr in todo:
                for _ in range(tries):
                    if (answer := self.post(client, ivr)).status == 200:
                        break
                    time.sleep(0.1)
                assert (answer.status, answer.body) == OK, answer


def check_answers(load: Load, deadline: float, margin: float) -> Counter[str]:
    """Every answer was 200 Err 0 or 503 Err 2, and none took longer than the deadline (plus
    `margin`). Returns how many of each."""
    kinds: Counter[str] = Counter()
    for answer in load.answers:
        if (answer.status, answer.body) == OK:
            kinds["ok"] += 1
        elif (answer.status, answer.body) == ERR_2:
            kinds["err2"] += 1
        else:
            raise AssertionError(f"neither Err 0 nor Err 2: {answer}")
    slow = [a for a in load.answers if a.seconds > deadline + margin]
    assert not slow, f"{len(slow)} answer(s) slower than {deadline} s + {margin} s: {slow[:3]}"
    return kinds


def check_stored(load: Load, db_url: str) -> None:
    """After `resend`: every CDR sent is stored exactly once, nothing else under the prefix, and
    each one's deliveries lie between its acknowledgements and its attempts (a delivery that
    committed after its Err 2 counts; none is counted twice)."""
    attempts = Counter(a.ivr for a in load.answers)
    acks = Counter(a.ivr for a in load.answers if (a.status, a.body) == OK)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(legs.c.ivruniqueid, func.count(), func.sum(legs.c.deliveries))
                .where(legs.c.ivruniqueid.like(f"{load.prefix}%"))
                .group_by(legs.c.ivruniqueid)
            ).all()
    finally:
        engine.dispose()
    stored = {ivr: (count, deliveries) for ivr, count, deliveries in rows}
    missing = set(attempts) - set(stored)
    assert not missing, f"{len(missing)} CDR(s) lost, e.g. {sorted(missing)[:3]}"
    assert set(stored) == set(attempts), "rows that were never sent"
    doubled = [ivr for ivr, (count, _d) in stored.items() if count != 1]
    assert not doubled, f"stored twice: {doubled[:3]}"
    for ivr, (_count, deliveries) in stored.items():
        assert 1 <= acks[ivr] <= deliveries <= attempts[ivr], (
            ivr,
            acks[ivr],
            deliveries,
            attempts[ivr],
        )
