"""The webhook's writer in the server's own process: read in the event loop, store on the group
commit thread (`store/groupcommit.py`), the hooks once per batch, answer after the commit."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from cdrhub.config import Settings
from cdrhub.ingest.messages import Delivery, Outcome, Received, outcome
from cdrhub.ingest.parts import Part, data_fault, fault_reason, parts_of
from cdrhub.ingest.pipeline import LegHook, StoredLeg, hooks_after, keep_body, read, store_parts
from cdrhub.ingest.writer import MAX_BATCH, StorageUnavailable, write_heartbeat
from cdrhub.store.groupcommit import GroupCommitter

log = logging.getLogger("cdrhub.ingest")


class ThreadWriter:
    """Read in the event loop, store on the group-commit thread of this process."""

    def __init__(
        self, settings: Settings, engine: Any, hooks: list[LegHook], max_batch: int = MAX_BATCH
    ) -> None:
        self.settings = settings
        self.max_batch = max_batch  # legs in a batch, and in a part of a delivery
        self.committer = GroupCommitter(engine, finish=hooks_after(hooks), max_batch=max_batch)

    async def submit(self, delivery: Delivery) -> Outcome:
        received = read(delivery, self.settings)
        if received.refused is not None:
            return outcome(received, [])
        deadline = self.settings.ack_deadline_seconds
        try:
            return await asyncio.wait_for(self._store(delivery, received), deadline)
        except TimeoutError:
            raise StorageUnavailable(f"not committed within {deadline:g} s") from None

    async def _store(self, delivery: Delivery, received: Received) -> Outcome:
        stored: list[StoredLeg] = []
        # Part after part: each is queued once the one before has committed, behind whatever
        # other deliveries were queued meanwhile.
        for part in parts_of(delivery, received, self.max_batch):
            try:
                [legs] = await self.committer.run(
                    partial(store_parts, parts=[part]), weight=part.weight
                )
            except Exception as exc:
                return await self._failed(part, stored, exc)
            stored.extend(legs)
        return outcome(received, stored)

    async def _failed(self, part: Part, stored: list[StoredLeg], error: Exception) -> Outcome:
        """Quarantine a delivery whose data the database refused; anything else is storage's."""
        if not data_fault(error):
            raise StorageUnavailable(str(error)) from error
        reason = fault_reason(error)
        log.warning("a delivery could not be stored, quarantined: %s", reason)
        try:
            await self.committer.run(partial(keep_body, delivery=part.delivery, reason=reason))
        except Exception as exc:
            raise StorageUnavailable(str(exc)) from exc
        return outcome(part.received, stored, reason)

    async def check(self) -> int | None:
        # An executor future, unlike anyio's threads, lets a deadline stop the wait.
        loop = asyncio.get_running_loop()
        free, error = await loop.run_in_executor(None, write_heartbeat, self.committer.engine)
        if error is not None:
            raise StorageUnavailable(error)
        return free

    def close(self) -> None:
        pass
