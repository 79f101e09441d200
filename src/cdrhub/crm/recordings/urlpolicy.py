"""Which recording URLs a CDR may make us fetch or redirect to, and which may carry the code.

A CDR's `record` is hostile input: without these rules it could point the worker at
127.0.0.1, the cloud metadata address or any outside host, with the Voicenter API code
appended. The rules (pure; the address check after DNS resolution is in `transport.py`):
- the URL is plain printable ASCII without userinfo or backslashes (parsers disagree on those),
  with an http(s) scheme (https only for a redirect handed to a browser);
- its host matches `allowed_hosts`: exact names, `*.domain` (any subdomain, not the domain
  itself) or IP literals; numeric hosts in any spelling (`2130706433`, `0x7f000001`, `127.1`,
  `[::ffff:127.0.0.1]`) are IP addresses, never names;
- an address (literal or resolved) must be global unless it is in `allowed_networks`;
- the code goes only to hosts in `code_hosts` (Voicenter's own), never to one merely allowed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

VOICENTER_HOSTS = ("voicenter.co.il", "*.voicenter.co.il", "voicenter.com", "*.voicenter.com")
MAX_URL_LENGTH = 4096

_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")  # no spaces, controls or non-ASCII
_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class Refused(Exception):
    """A URL or address the policy does not allow; `reason` is one line without secrets."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    allowed_hosts: tuple[str, ...] = VOICENTER_HOSTS
    code_hosts: tuple[str, ...] = VOICENTER_HOSTS
    allowed_networks: tuple[IPNetwork, ...] = ()


def _ipv4_numeric(host: str) -> ipaddress.IPv4Address | None:
    """inet_aton's reading of a host: 1 to 4 parts, each decimal, 0x-hex or 0-octal, the last
    filling the remaining bytes (what getaddrinfo does with `127.1` or `2130706433`)."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_LABEL.match(p) for p in parts):
        return None
    values = []
    for part in parts:
        if part.startswith("0x"):
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                return None
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = last
    for i, v in enumerate(head):
        number += v << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def numeric_host(host: str) -> IPAddress | None:
    """The IP address a host spells, in any of the forms resolvers accept; None for a name."""
    host = host.lower().strip("[]")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    return _ipv4_numeric(host)


def _looks_numeric(host: str) -> bool:
    """Whether the last label is a number: then the host is an address or invalid, never a
    name (the WHATWG URL rule), so `999.1.1.1` is not looked up in DNS."""
    labels = [label for label in host.split(".") if label]
    return bool(labels) and bool(_NUMERIC_LABEL.match(labels[-1]))


def unwrap(ip: IPAddress) -> IPAddress:
    """An IPv4 address carried in IPv6 (mapped `::ffff:a.b.c.d`) as itself."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_allowed(ip: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    """Global unicast, or inside an explicitly allowed network."""
    ip = unwrap(ip)
    if any(ip in net for net in networks if net.version == ip.version):
        return True
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
    )


def normal_pattern(pattern: str) -> str:
    """An allow-list entry in canonical form; ValueError for one that cannot match safely."""
    text = pattern.strip().lower().rstrip(".")
    ip = numeric_host(text)
    if ip is not None:
        return str(unwrap(ip))
    name = text[2:] if text.startswith("*.") else text
    wildcard_on_tld = text != name and "." not in name  # `*.com`: every host of a TLD
    if not _NAME.match(name) or _looks_numeric(name) or wildcard_on_tld:
        raise ValueError(f"not a host name, *.domain or IP address: {pattern!r}")
    return text


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    """`host` (normalised, or an IP's canonical text) against normalised patterns."""
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and numeric_host(host) is None:
                return True
        elif host == pattern:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Target:
    url: httpx.URL
    host: str  # lower case, no trailing dot; an IP's canonical text
    ip: IPAddress | None  # when the host is an address


def _parse(url: str, schemes: tuple[str, ...]) -> Target:
    if not url or len(url) > MAX_URL_LENGTH:
        raise Refused("no URL, or one too long")
    if not _PRINTABLE.match(url) or "\\" in url:
        raise Refused("URL with spaces, control, backslash or non-ASCII characters")
    import httpx  # here: the settings and the API import this module, a start needs no httpx

    try:
        parsed = httpx.URL(url)
        raw_host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError, ValueError):
        raise Refused("not a valid URL") from None
    if parsed.scheme not in schemes:
        scheme = parsed.scheme[:16] or "no"
        raise Refused(f"{scheme} scheme (only {' or '.join(schemes)})")
    if parsed.userinfo:
        raise Refused("URL with a user name or password")
    host = raw_host.lower().rstrip(".")
    ip = numeric_host(host)
    if ip is not None:
        return Target(parsed, str(unwrap(ip)), unwrap(ip))
    if not host or not _NAME.match(host) or _looks_numeric(host):
        raise Refused("not a valid host")
    return Target(parsed, host, None)


def check_url(url: str | httpx.URL, policy: UrlPolicy, *, https_only: bool = False) -> Target:
    """The parsed URL when the policy allows fetching (or redirecting to) it; Refused if not.
    Names still need the address check after resolution (transport.py)."""
    schemes = ("https",) if https_only else ("http", "https")
    target = _parse(str(url), schemes)
    if not host_matches(target.host, policy.allowed_hosts):
        raise Refused(f"host {target.host} is not in allowed_hosts")
    if target.ip is not None and not address_allowed(target.ip, policy.allowed_networks):
        raise Refused(f"address {target.ip} is not public (allowed_networks)")
    return target


def is_fetchable(url: str | None) -> bool:
    """Whether a URL is shaped like a recording URL at all (before any host rules)."""
    try:
        _parse(url or "", ("http", "https"))
    except Refused:
        return False
    return True


def may_carry_code(target: Target, policy: UrlPolicy) -> bool:
    return host_matches(target.host, policy.allowed_hosts) and host_matches(
        target.host, policy.code_hosts
    )


def redirect_target(url: str | None, policy: UrlPolicy) -> str | None:
    """The URL when a browser may be sent there (https, allowed host); None otherwise."""
    try:
        check_url(url or "", policy, https_only=True)
    except Refused:
        return None
    return url
