"""The garbage collector, set for a process that runs for long and keeps requests in flight.

CPython collects when the container objects allocated minus those freed since the last
collection pass 700. The server keeps dozens of requests waiting for the ingest writer, so
that count keeps crossing 700; what survives is promoted, and every so often a full collection
walks everything the process holds (FastAPI, SQLAlchemy, psycopg, Prometheus). Under load the
server spent a good part of its CPU per CDR collecting, where the no-op endpoint, whose objects
die young, spent next to none (bench/README.md, Ingest, session 4).

What exists once the process has started lives as long as the process: frozen, no collection
walks it again. A first-generation threshold of 10,000 lets the requests in flight come and go
without a collection; garbage in reference cycles is still collected, a little later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FIRST_GENERATION_THRESHOLD = 10_000


@contextmanager
def building() -> Iterator[None]:
    """No collection while a process imports and builds what it keeps: nearly all of it lives
    on, and the collector would walk it again each time it grew by a quarter (~0.1 s of CPU of
    a server's start: bench/README.md, Footprint). `settle` collects what garbage it left."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def settle() -> None:
    """Call once the process has imported and built what it keeps (the app, the engine)."""
    gc.collect()
    gc.freeze()
    _first, second, third = gc.get_threshold()
    gc.set_threshold(FIRST_GENERATION_THRESHOLD, second, third)


@contextmanager
def settled() -> Iterator[None]:
    """`settle` for a command that ends (`cdrhub import`, `demo`: a batch's thousands of legs
    set off full collections too: bench/README.md, Analytics, session 4), then the collector
    as it was."""
    threshold = gc.get_threshold()
    settle()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
