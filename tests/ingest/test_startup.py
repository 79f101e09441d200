"""A started server is ready before it says so: once /readyz is ok, the ingest writer process
is running and connected, and the first CDR is answered as fast as any other (it used to take
0.8-3.5 s while the writer started and connected)."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.ingest.test_crash import make_cdr
from tests.serverproc import start_server, wait_ready

TOKEN = "startup-token-0123456789abcdef012"
FIRST_CDR_MOST = 0.5  # seconds, on a busy machine


@pytest.mark.slow
def test_first_cdr_after_readyz_ok_is_fast(db_url: str) -> None:
    server = start_server(
        {
            "CDRHUB_DATABASE_URL": db_url,
            "CDRHUB_INGEST_TOKEN": TOKEN,
            "CDRHUB_API_KEY": "startup-key-0123456789abcdef01234",
            "CDRHUB_RUN_WORKER": "false",
            "CDRHUB_INGEST_WRITER": "process",
        }
    )
    try:
        wait_ready(server)
        ivr = f"20231115092000{uuid.uuid4().hex[:10]}"
        started = time.monotonic()
        response = httpx.post(
            f"{server.base_url}/voicenter/cdr/{TOKEN}", json=make_cdr(ivr, 1), timeout=30
        )
        took = time.monotonic() - started
    finally:
        server.stop()
    assert response.json() == {"Err": 0, "Errdesc": "OK"}
    assert took < FIRST_CDR_MOST, f"the first CDR took {took:.2f} s"
