"""Download one recording: only from allowed hosts and public addresses (urlpolicy.py,
transport.py), redirects followed by hand with every hop checked, the Voicenter API code
appended for Voicenter's own hosts only, a few quick retries with backoff on 429 and 5xx
(honouring Retry-After), and a check that the body is audio. The body streams into a temporary
file (spool.py), never whole into memory."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import httpx

from cdrhub.crm.recordings.audio import AudioKind, describe_non_audio, sniff_audio
from cdrhub.crm.recordings.spool import Spool
from cdrhub.crm.recordings.transport import checked_transport
from cdrhub.crm.recordings.urlpolicy import Refused, Target, check_url, may_carry_code
from cdrhub.crm.settings import RecordingSettings
from cdrhub.jobs.http import USER_AGENT, outcome, retry_after
from cdrhub.jobs.outbox import PermanentFailure, RetryLater

RETRY_ON_NOT_FOUND = True  # a recording can appear some minutes after its CDR
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


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


def shown(url: str, param: str = "code") -> str:
    """A CDR's URL as one short printable line for an error: redacted, controls replaced."""
    try:
        text = redact(url, param)
    except ValueError:  # e.g. a malformed IPv6 host
        text = url.split("?", 1)[0]
    text = _UNPRINTABLE.sub("?", text.encode("ascii", "backslashreplace").decode("ascii"))
    return text if len(text) <= 200 else text[:200] + "..."


def without_code(url: str, code: str | None, param: str = "code") -> str:
    """The URL without a `param` carrying our code (a redirect that echoes the query)."""
    if not code:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if not (k == param and v == code)]
    if len(kept) == len(query):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def request_url(target: Target, cfg: RecordingSettings) -> str:
    """What to GET for an allowed hop: with the code for Voicenter's own hosts only."""
    url, code = str(target.url), cfg.voicenter_code
    if may_carry_code(target, cfg.url_policy):
        return with_code(url, code, cfg.code_param)
    url = without_code(url, code, cfg.code_param)
    if code and code in unquote(url):
        raise Refused(f"the API code in a URL for {target.host}, which is not in code_hosts")
    return url


def _get(
    transport: httpx.BaseTransport, url: str, cfg: RecordingSettings
) -> tuple[httpx.Response, Spool]:
    timeout = httpx.Timeout(cfg.timeout_seconds).as_dict()
    request = httpx.Request(
        "GET", url, headers={"user-agent": USER_AGENT}, extensions={"timeout": timeout}
    )
    response = transport.handle_request(request)
    response.request = request
    spool = Spool(cfg.max_bytes)
    try:
        if response.is_success:  # anything else is judged by its status and headers alone
            for chunk in response.iter_bytes():
                spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    finally:
        response.close()
    return response, spool


def _get_checked(
    transport: httpx.BaseTransport, source_url: str, cfg: RecordingSettings
) -> tuple[httpx.Response, Spool]:
    """GET with redirects followed by hand: every hop checked like the CDR's own URL."""
    url: str | httpx.URL = source_url
    for hop in range(cfg.max_redirects + 1):
        try:
            target = check_url(url, cfg.url_policy)
            response, body = _get(transport, request_url(target, cfg), cfg)
        except Refused as exc:
            if hop:
                raise Refused(f"redirect {hop}: {exc.reason}") from None
            raise
        location = response.headers.get("location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            return response, body
        body.close()
        try:
            url = target.url.join(location)
        except (httpx.InvalidURL, ValueError):
            raise Refused(f"redirect {hop + 1}: not a valid URL") from None
    raise Refused(f"more than {cfg.max_redirects} redirects")


def download_recording(
    source_url: str,
    cfg: RecordingSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Downloaded:
    """Fetch and verify; raises RetryLater (rate limited, server trouble, unreachable, not there
    yet) or PermanentFailure (refused by the URL rules, refused by the server, not audio, too
    large). Only 429 and 5xx answers are retried here, briefly; everything else transient goes
    back to the outbox."""
    what = f"GET {shown(source_url, cfg.code_param)}"
    attempts = max(1, cfg.attempts)
    with checked_transport(cfg.url_policy) as transport:
        for attempt in range(1, attempts + 1):
            try:
                response, body = _get_checked(transport, source_url, cfg)
            except Refused as exc:
                raise PermanentFailure(f"{what}: refused: {exc.reason}") from None
            except httpx.HTTPError as exc:  # the outbox's slower backoff suits a host that is down
                raise RetryLater(f"{what}: {type(exc).__name__}") from exc
            status = response.status_code
            if response.is_success:
                kind = sniff_audio(body.head)
                if kind is None:
                    body.close()
                    content_type = response.headers.get("content-type")
                    why = describe_non_audio(body.head, content_type, body.size)
                    raise PermanentFailure(f"{what}: {why}")
                return Downloaded(body.rewound(), body.size, kind, body.sha256)
            body.close()
            reason = f"{what}: HTTP {status}"
            wait = retry_after(response)
            if status == 404 and RETRY_ON_NOT_FOUND:
                raise RetryLater(f"{reason} (not there yet?)", retry_after=wait)
            if outcome(status) != "retry":
                raise PermanentFailure(reason)
            delay = wait if wait is not None else cfg.backoff_seconds * 2 ** (attempt - 1)
            if attempt == attempts or delay > cfg.max_wait_seconds:
                raise RetryLater(reason, retry_after=wait)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
