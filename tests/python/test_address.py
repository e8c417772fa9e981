"""nxpop3.address: the one resolver of the package (pure Python, no extension)."""
from __future__ import annotations

import ipaddress
import socket

import pytest

from nxpop3 import address
from nxpop3.address import HostNotFound, ResolveError, WrongFamily, resolve


def test_ipv4_literal_is_returned_without_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a literal must not reach getaddrinfo")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert resolve("127.0.0.1", 110) == [ipaddress.IPv4Address("127.0.0.1")]
    assert resolve("::1", 110) == [ipaddress.IPv6Address("::1")]


def test_brackets_are_stripped_and_scope_ids_dropped() -> None:
    assert resolve("[::1]", 110) == [ipaddress.IPv6Address("::1")]
    assert resolve("[fe80::1%eth0]", 110) == [ipaddress.IPv6Address("fe80::1")]
    assert address.strip_brackets("[::1]") == "::1"
    assert address.strip_brackets("example.org") == "example.org"


def test_a_literal_of_the_other_family_is_refused() -> None:
    with pytest.raises(WrongFamily) as info:
        resolve("127.0.0.1", 110, socket.AF_INET6)
    assert info.value.host == "127.0.0.1" and info.value.family == socket.AF_INET6
    with pytest.raises(WrongFamily):
        resolve("[::1]", 110, socket.AF_INET)
    assert resolve("::1", 110, socket.AF_INET6) == [ipaddress.IPv6Address("::1")]


def test_names_keep_order_lose_duplicates_and_scopes(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = socket.SOCK_STREAM
    answer = [
        (socket.AF_INET6, stream, 6, "", ("fe80::2%lo", 110, 0, 1)),
        (socket.AF_INET, stream, 6, "", ("192.0.2.7", 110)),
        (socket.AF_INET6, stream, 6, "", ("fe80::2", 110, 0, 0)),
        (socket.AF_INET, stream, 6, "", ("192.0.2.1", 110)),
    ]
    seen: list[tuple[object, ...]] = []

    def fake(*args: object) -> list[tuple[object, ...]]:
        seen.append(args)
        return answer

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    assert resolve("mail.example", 995, socket.AF_UNSPEC) == [
        ipaddress.IPv6Address("fe80::2"), ipaddress.IPv4Address("192.0.2.7"),
        ipaddress.IPv4Address("192.0.2.1")]
    assert seen == [("mail.example", 995, socket.AF_UNSPEC, stream)]


def test_localhost_resolves() -> None:
    assert all(a.is_loopback for a in resolve("localhost", 110))


def test_an_unresolvable_name_raises_host_not_found() -> None:
    with pytest.raises(HostNotFound) as info:
        resolve("no-such-host.invalid", 110)
    assert isinstance(info.value, ResolveError)
    assert info.value.host == "no-such-host.invalid"
    assert str(info.value).startswith("cannot resolve no-such-host.invalid")


def test_the_resolver_imports_without_the_extension() -> None:
    import subprocess
    import sys

    code = ("import sys, nxpop3.address; "
            "assert 'nxpop3._binding' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
