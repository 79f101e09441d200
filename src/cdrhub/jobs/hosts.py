"""Per-host backoff for outbox jobs: the host a job talks to, and which outside hosts keep
failing, in a worker's memory.

The worker counts each job's transient failures against the host the job talks to
(`host_of`, given to `outbox.enqueue`); when a host needs a pause it postpones all of that
host's pending jobs in one statement (`outbox.postpone_host`), so the jobs wait together instead
of each failing in turn.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit


def host_of(url: str | None) -> str | None:
    """The host (and port) of a URL, lower-cased, for per-host backoff; None without one."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return (f"{host}:{port}" if port else host)[:255]


@dataclass(slots=True)
class _Host:
    failures: int = 0  # in a row, since the last pause
    pauses: int = 0
    until: datetime | None = None


class HostHealth:
    """Transient failures per outside host, in this worker's memory, for per-host backoff.

    `failed` counts a failure and answers until when the host's jobs should wait (None: not
    yet); `succeeded` forgets the host. A host that failed `threshold` times in a row waits
    `base` seconds, then twice that each time its probe (the first job after the pause) fails
    too, up to `cap`. Failures of jobs that were already running when the pause began extend
    nothing. At most `max_hosts` hosts are remembered (the least recently failed go first), so
    a stream of distinct hostile hosts cannot grow it."""

    def __init__(
        self, threshold: int = 3, base: float = 30.0, cap: float = 900.0, max_hosts: int = 1024
    ) -> None:
        self.threshold, self.base, self.cap = max(1, threshold), base, cap
        self.max_hosts = max_hosts
        self._hosts: OrderedDict[str, _Host] = OrderedDict()
        self._lock = threading.Lock()

    def paused_until(self, host: str, now: datetime) -> datetime | None:
        with self._lock:
            state = self._hosts.get(host)
            return state.until if state and state.until and state.until > now else None

    def failed(self, host: str, now: datetime) -> datetime | None:
        with self._lock:
            state = self._hosts.pop(host, None) or _Host()
            self._hosts[host] = state  # most recent last
            while len(self._hosts) > self.max_hosts:
                self._hosts.popitem(last=False)
            if state.until and state.until > now:  # already paused (a job that was in flight)
                return state.until
            state.failures += 1
            if state.pauses == 0 and state.failures < self.threshold:
                return None
            state.pauses += 1  # the first pause, or a failed probe after one
            state.failures = 0
            seconds = min(self.cap, self.base * 2 ** min(state.pauses - 1, 32))
            state.until = now + timedelta(seconds=seconds)
            return state.until

    def succeeded(self, host: str) -> None:
        with self._lock:
            self._hosts.pop(host, None)

    def __len__(self) -> int:
        return len(self._hosts)
