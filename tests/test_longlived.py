"""longlived.settle: what the process holds after start-up is frozen and the first collector
generation waits for 10,000 net allocations; longlived.building holds the collector off while a
start imports (run in a child: each changes the whole process)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
import cdrhub.web.app  # what a server holds once it has started
before = (gc.get_threshold(), gc.get_freeze_count())
from cdrhub import longlived
longlived.settle()
print(json.dumps([before, (gc.get_threshold(), gc.get_freeze_count())]))
"""


def test_settle_freezes_the_start_up_heap_and_raises_the_first_threshold() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    (threshold_before, frozen_before), (threshold, frozen) = json.loads(out)
    assert threshold_before == [700, 10, 10]
    assert frozen_before == 0
    assert threshold == [10_000, 10, 10]
    assert frozen > 50_000  # FastAPI, SQLAlchemy, psycopg and cdrhub's own modules


SETTLED = """
import gc, json
from cdrhub import longlived
with longlived.settled():
    inside = (gc.get_threshold(), gc.get_freeze_count() > 0)
print(json.dumps([inside, (gc.get_threshold(), gc.get_freeze_count())]))
"""


def test_settled_gives_the_collector_back_as_it_was() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SETTLED], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [[[10_000, 10, 10], True], [[700, 10, 10], 0]]


BUILDING = """
import gc, json
from cdrhub import longlived
seen = []
with longlived.building():
    seen.append(gc.isenabled())
seen.append(gc.isenabled())
gc.disable()
with longlived.building():
    seen.append(gc.isenabled())
seen.append(gc.isenabled())
gc.enable()
try:
    with longlived.building():
        raise ImportError("a module that failed")
except ImportError:
    seen.append(gc.isenabled())
import cdrhub.cli  # builds its commands in such a window
seen.append(gc.isenabled())
print(json.dumps(seen))
"""


def test_building_holds_the_collector_off_and_gives_it_back_as_it_was() -> None:
    out = subprocess.run(
        [sys.executable, "-c", BUILDING], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [False, True, False, False, True, True]
