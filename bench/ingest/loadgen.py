"""Python load generators for the ingest benchmark; each run is its own process.

    python bench/ingest/loadgen.py open   --url URL --rate 200 --duration 15 --prefix P
    python bench/ingest/loadgen.py closed --url URL --concurrency 16 --duration 10 --prefix P

Both print one JSON object on stdout.

- `open` (constant rate, open loop): request i is due at t0 + i/rate whatever happened to the
  requests before it, and its latency is measured from that due time, not from when it was sent.
  A slow answer therefore shows up in the latency of every request that had to wait behind it
  (no coordinated omission). `send_lag` says how late the generator itself sent; if its p99 is
  not well under the measured p50, the generator was the bottleneck and the run is void.
- `closed` (max throughput): `concurrency` connections, each sending its next request as soon
  as the previous one is answered. It is the fallback when wrk is not installed; being Python,
  it needs more CPU per request than wrk, so on a small machine it understates the server.

Each request carries a distinct `ivruniqueid` (prefix + sequence number), so every durable
request inserts one new row. The HTTP/1.1 client is a minimal keep-alive client on asyncio
streams: it adds far less overhead than a general-purpose client library.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

CDR_TEMPLATE = (
    '{"caller":"0722776772","target":"97250%07d","time":1700040000,"duration":11,'
    '"ivruniqueid":"%s","type":"Extension Outgoing","status":"ANSWER","targetextension":"",'
    '"callerextension":"SIPSIP","did":"","queueid":0,"queuename":"",'
    '"record":"https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/%s-aws.mp3","price":7,'
    '"dialtime":2,"representative_name":"Walter Melon","representative_code":"9996",'
    '"targetextension_name":"","callerextension_name":"Walter Melon","target_country":"Israel",'
    '"caller_country":"Israel","DepartmentName":"Voicenter Account","DepartmentID":123456,'
    '"TopDepartmentName":"Voicenter Top Account","TopDepartmentID":7654321}'
)


def cdr_body(prefix: str, n: int) -> bytes:
    """A realistic JSON CDR (the shape of samples/outgoing-answered.json) with a unique id."""
    ivr = f"{prefix}{n:09d}"
    return (CDR_TEMPLATE % (n % 10_000_000, ivr, ivr)).encode()


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads a Content-Length answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise HttpError("connection closed")
        status = int(status_line.split(b" ", 2)[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p90/p99/p99.9/max in milliseconds (nearest-rank)."""
    if not values:
        return {}
    ordered = sorted(values)

    def rank(p: float) -> float:
        index = max(0, math.ceil(p / 100 * len(ordered)) - 1)
        return round(ordered[index] * 1000, 3)

    return {
        "p50_ms": rank(50),
        "p90_ms": rank(90),
        "p99_ms": rank(99),
        "p999_ms": rank(99.9),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(sum(ordered) / len(ordered) * 1000, 3),
    }


def acked(status: int, data: bytes) -> bool:
    return status == 200 and data.replace(b" ", b"").startswith(b'{"Err":0')


@dataclass
class Tally:
    ok: int = 0
    bad: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    send_lags: list[float] = field(default_factory=list)
    first_error: str | None = None

    def error(self, exc: BaseException) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = repr(exc)


async def open_loop(
    url: str, rate: float, duration: float, prefix: str, max_connections: int
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(max_connections):
        idle.put_nowait(Connection(host, port))
    tally = Tally()
    total = int(rate * duration)
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []

    async def one(n: int, due: float) -> None:
        conn = await idle.get()  # waiting for a free connection counts in the latency
        tally.send_lags.append(loop.time() - due)
        try:
            status, data = await conn.post(path, cdr_body(prefix, n))
        except (OSError, HttpError, asyncio.IncompleteReadError, ValueError) as exc:
            conn.close()
            tally.error(exc)
        else:
            tally.latencies.append(loop.time() - due)
            if acked(status, data):
                tally.ok += 1
            else:
                tally.bad += 1
        finally:
            idle.put_nowait(conn)

    start = loop.time() + 0.05
    for n in range(total):
        due = start + n / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    return {
        "mode": "open",
        "url": url,
        "target_rate": rate,
        "duration_s": round(elapsed, 3),
        "sent": total,
        "acked": tally.ok,
        "not_acked": tally.bad,
        "errors": tally.errors,
        "first_error": tally.first_error,
        "achieved_rate": round(total / elapsed, 1),
        "latency": percentiles(tally.latencies),
        "send_lag": percentiles(tally.send_lags),
    }


async def closed_loop(
    url: str, concurrency: int, duration: float, prefix: str, warmup: float
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    loop = asyncio.get_running_loop()
    tally = Tally()
    counter = 0
    measuring = False
    start = loop.time()
    stop_at = start + warmup + duration

    async def worker() -> None:
        nonlocal counter
        conn = Connection(host, port)
        while loop.time() < stop_at:
            counter += 1
            n = counter
            sent = loop.time()
            try:
                status, data = await conn.post(path, cdr_body(prefix, n))
            except (OSError, HttpError, asyncio.IncompleteReadError, ValueError) as exc:
                conn.close()
                if measuring:
                    tally.error(exc)
                continue
            if measuring:
                tally.latencies.append(loop.time() - sent)
                if acked(status, data):
                    tally.ok += 1
                else:
                    tally.bad += 1
        conn.close()

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    await asyncio.sleep(warmup)
    measuring = True
    measured_from = loop.time()
    await asyncio.gather(*workers)
    elapsed = loop.time() - measured_from
    return {
        "mode": "closed",
        "url": url,
        "concurrency": concurrency,
        "duration_s": round(elapsed, 3),
        "acked": tally.ok,
        "not_acked": tally.bad,
        "errors": tally.errors,
        "first_error": tally.first_error,
        "sent_total": counter,
        "rate": round(tally.ok / elapsed, 1),
        "latency": percentiles(tally.latencies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p_open = sub.add_parser("open", help="constant rate, latency from the scheduled time")
    p_open.add_argument("--rate", type=float, default=200.0)
    p_open.add_argument("--max-connections", type=int, default=64)
    p_closed = sub.add_parser("closed", help="max throughput, N connections back to back")
    p_closed.add_argument("--concurrency", type=int, default=16)
    p_closed.add_argument("--warmup", type=float, default=1.0)
    for p in (p_open, p_closed):
        p.add_argument("--url", required=True)
        p.add_argument("--duration", type=float, default=10.0)
        p.add_argument("--prefix", default=f"20231115092000lg{int(time.time())}x")
    args = parser.parse_args(argv)
    if args.mode == "open":
        result = asyncio.run(
            open_loop(args.url, args.rate, args.duration, args.prefix, args.max_connections)
        )
    else:
        result = asyncio.run(
            closed_loop(args.url, args.concurrency, args.duration, args.prefix, args.warmup)
        )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
