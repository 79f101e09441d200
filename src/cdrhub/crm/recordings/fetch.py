"""Download one recording: the Voicenter API code appended when configured, a few quick retries
with backoff on 429 and 5xx (honouring Retry-After), and a check that the body is audio. The
body streams into a temporary file (spool.py), never whole into memory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from cdrhub.automations.outbox import PermanentFailure, RetryLater
from cdrhub.crm.http import TRANSIENT_STATUSES, retry_after_seconds
from cdrhub.crm.recordings.audio import AudioKind, describe_non_audio, sniff_audio
from cdrhub.crm.recordings.spool import Spool
from cdrhub.crm.settings import RecordingSettings

RETRY_ON_NOT_FOUND = True  # a recording can appear some minutes after its CDR


@dataclass(frozen=True, slots=True)
class Downloaded:
    """The body in a temporary file at its start; `with` it (or close it) to free the file."""

    file: BinaryIO
    size: int
    kind: AudioKind
    sha256: str

    def __enter__(self) -> Downloaded:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def with_code(url: str, code: str | None, param: str = "code") -> str:
    """The URL with `param=code` added, unless there is no code or the URL already has one."""
    if not code:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k == param for k, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, (param, code)])))


def redact(url: str, param: str = "code") -> str:
    """The URL without its API code, for logs and errors."""
    parts = urlsplit(url)
    query = [(k, "***" if k == param else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def _get(client: httpx.Client, url: str, max_bytes: int) -> tuple[httpx.Response, Spool]:
    with client.stream("GET", url, follow_redirects=True) as response:
        spool = Spool(max_bytes)
        try:
            if response.is_success:
                for chunk in response.iter_bytes():
                    spool.write(chunk)
            else:
                response.read()
        except BaseException:
            spool.close()
            raise
        return response, spool


def download_recording(
    client: httpx.Client,
    source_url: str,
    cfg: RecordingSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Downloaded:
    """Fetch and verify; raises RetryLater (rate limited, server trouble, unreachable, not there
    yet) or PermanentFailure (refused, not audio, too large). Only 429 and 5xx answers are
    retried here, briefly; everything else transient goes back to the outbox."""
    url = with_code(source_url, cfg.voicenter_code, cfg.code_param)
    shown = redact(url, cfg.code_param)
    attempts = max(1, cfg.attempts)
    for attempt in range(1, attempts + 1):
        try:
            response, body = _get(client, url, cfg.max_bytes)
        except httpx.HTTPError as exc:  # the outbox's slower backoff suits a host that is down
            raise RetryLater(f"GET {shown}: {type(exc).__name__}") from exc
        status = response.status_code
        if response.is_success:
            kind = sniff_audio(body.head)
            if kind is None:
                body.close()
                content_type = response.headers.get("content-type")
                why = describe_non_audio(body.head, content_type, body.size)
                raise PermanentFailure(f"GET {shown}: {why}")
            return Downloaded(body.rewound(), body.size, kind, body.sha256)
        body.close()
        reason = f"GET {shown}: HTTP {status}"
        wait = retry_after_seconds(response)
        if status == 404 and RETRY_ON_NOT_FOUND:
            raise RetryLater(f"{reason} (not there yet?)", retry_after=wait)
        if status not in TRANSIENT_STATUSES and status < 500:
            raise PermanentFailure(reason)
        delay = wait if wait is not None else cfg.backoff_seconds * 2 ** (attempt - 1)
        if attempt == attempts or delay > cfg.max_wait_seconds:
            raise RetryLater(reason, retry_after=wait)
        sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
