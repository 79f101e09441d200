"""One reading of an HTTP status for every outbound call: the classifier itself, the channels'
`fail_for_status`, the CRM connectors' `raise_for_outcome` and the S3 storage's error reading
agree for every status from 200 to 599."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from botocore.exceptions import ClientError

from cdrhub.automations.channels import base
from cdrhub.crm.recordings import s3
from cdrhub.jobs import http
from cdrhub.jobs.outbox import PermanentFailure, RetryLater

RETRIED = {408, 409, 425, 429}
# The one table: what each status means for a job.
TABLE = {
    status: "ok" if status < 300 else "retry" if status in RETRIED or status >= 500 else "permanent"
    for status in range(200, 600)
}


def _response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("POST", "http://x/"))


def _raised(call: Callable[..., object], *args: object) -> str:
    try:
        call(*args)
    except RetryLater:
        return "retry"
    except PermanentFailure:
        return "permanent"
    return "ok"


def test_the_table_itself() -> None:
    assert [s for s, o in TABLE.items() if o == "retry"][:5] == [408, 409, 425, 429, 500]
    assert TABLE[404] == TABLE[400] == TABLE[410] == TABLE[301] == "permanent"
    assert sum(o == "retry" for o in TABLE.values()) == 104


def test_every_caller_reads_every_status_the_same() -> None:
    disagree = {}
    for status, expected in TABLE.items():
        seen = {
            "classifier": http.outcome(status),
            "crm connectors": _raised(http.raise_for_outcome, _response(status), "crm"),
            "s3": "retry"
            if isinstance(
                s3._outcome(
                    ClientError({"ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject"),
                    "s3",
                ),
                RetryLater,
            )
            else "permanent",
        }
        if status >= 300:  # a channel asks only about an answer it could not use
            seen["channels"] = _raised(base.fail_for_status, _response(status), "p", "d")
        else:
            seen["s3"] = "ok"  # S3 reports only failures
        wrong = {who: got for who, got in seen.items() if got != expected}
        if wrong:
            disagree[status] = wrong
    assert disagree == {}


def test_a_usable_status_with_an_unusable_body_is_permanent_unless_rate_limited() -> None:
    with pytest.raises(PermanentFailure, match=r"^meta: HTTP 200: no messages$"):
        base.fail_for_status(_response(200), "meta", "no messages")
    with pytest.raises(RetryLater) as caught:
        base.fail_for_status(
            _response(400, **{"Retry-After": "7"}), "twilio", "x", rate_limited=True
        )
    assert caught.value.retry_after == 7.0


def test_retry_after_is_honoured_and_reasons_name_the_status() -> None:
    with pytest.raises(RetryLater) as caught:
        http.raise_for_outcome(_response(429, **{"Retry-After": "12"}), "HubSpot create call")
    assert caught.value.retry_after == 12.0
    assert caught.value.reason == "HubSpot create call: HTTP 429"
    assert http.retry_after(_response(503, **{"Retry-After": "soon"})) is None
    assert http.retry_after(_response(503, **{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0
