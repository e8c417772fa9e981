"""Host names to IP addresses: the one resolver of the package (client and CLI).

Pure Python: imports without the C extension.
"""
from __future__ import annotations

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

__all__ = ["IPAddress", "ResolveError", "HostNotFound", "WrongFamily", "strip_brackets",
           "resolve"]


class ResolveError(Exception):
    """``host`` gives no address to connect to. ``host`` is the name as given."""

    def __init__(self, host: str, message: str) -> None:
        super().__init__(message)
        self.host = host


class HostNotFound(ResolveError):
    """The name does not resolve (getaddrinfo failed or gave no IP address).

    ``reason`` is the resolver's own text (``gaierror.strerror``), or None.
    """

    def __init__(self, host: str, reason: str | None) -> None:
        text = f"cannot resolve {host}" + (f": {reason}" if reason else "")
        super().__init__(host, text)
        self.reason = reason


class WrongFamily(ResolveError):
    """An IP literal of the other family than the one asked for (``-4`` with an IPv6 literal)."""

    def __init__(self, host: str, family: int) -> None:
        wanted = "IPv6" if family == socket.AF_INET6 else "IPv4"
        other = "IPv4" if family == socket.AF_INET6 else "IPv6"
        super().__init__(host, f"{wanted} asked for but {host} is an {other} address")
        self.family = family


def strip_brackets(host: str) -> str:
    """``[::1]`` -> ``::1``; anything else unchanged."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _unscoped(text: str) -> IPAddress:
    """The address of a literal, without its ``%scope`` (the C client has no scope id)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def _literal(name: str) -> IPAddress | None:
    try:
        return _unscoped(name)
    except ValueError:
        return None


def resolve(host: str, port: int, family: int = socket.AF_UNSPEC) -> list[IPAddress]:
    """The addresses to try for ``host``, in the resolver's order, each once.

    ``host`` may be a name, an IP literal or a bracketed IPv6 literal (``[::1]``).
    A literal is returned without asking DNS; ``family`` (``socket.AF_INET``,
    ``AF_INET6`` or ``AF_UNSPEC``) restricts the answer. Scope ids are dropped.

    Raises ``WrongFamily`` for a literal of the other family and ``HostNotFound``
    when the name does not resolve (both are ``ResolveError``).
    """
    name = strip_brackets(host)
    ip = _literal(name)
    if ip is not None:
        if (family == socket.AF_INET6 and ip.version != 6) or \
                (family == socket.AF_INET and ip.version != 4):
            raise WrongFamily(host, family)
        return [ip]
    try:
        infos = socket.getaddrinfo(name, port, family, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise HostNotFound(host, reason) from None
    addresses: list[IPAddress] = []
    for info_family, _, _, _, sockaddr in infos:
        if info_family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = _unscoped(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostNotFound(host, "no IP address")
    return addresses
