"""An httpx transport for recording downloads that checks every address it connects to.

The check happens after DNS resolution and the socket then goes to the very address that was
checked, so a name cannot resolve to a public address for the check and to 127.0.0.1 for the
connection (DNS rebinding). TLS still verifies the certificate against the host name, which
httpcore passes to the handshake separately from the address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from cdrhub.crm.recordings.urlpolicy import (
    IPAddress,
    IPNetwork,
    Refused,
    UrlPolicy,
    address_allowed,
    unwrap,
)
from cdrhub.jobs.http import tls_context


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the name has, in the resolver's order, without repeats."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}") from exc
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]))
        if ip not in found:
            found.append(ip)
    return found


class CheckedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to allowed addresses."""

    def __init__(self, allowed_networks: Iterable[IPNetwork]) -> None:
        self.allowed_networks = tuple(allowed_networks)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port)
        for ip in addresses:  # one bad address refuses the name: no mixing public and private
            if not address_allowed(ip, self.allowed_networks):
                raise Refused(f"{host} is {unwrap(ip)}, not a public address (allowed_networks)")
        error: httpcore.ConnectError | None = None
        for ip in addresses:
            try:
                return super().connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # try the name's next address
                error = exc
        raise error or httpcore.ConnectError(f"no address for {host}")


def checked_transport(policy: UrlPolicy) -> httpx.HTTPTransport:
    """The transport alone, not a client: redirects are the caller's to check hop by hop (an
    httpx client would also parse every Location itself), and proxy variables are ignored (a
    proxy would resolve and connect unchecked)."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx has no public way to give its pool a network backend: swap in a pool with ours
    transport._pool = httpcore.ConnectionPool(
        ssl_context=tls_context(),  # shared: a new one parses the whole CA bundle
        max_connections=10,
        max_keepalive_connections=5,
        network_backend=CheckedBackend(policy.allowed_networks),
    )
    return transport
