"""The pytest plugin's fixtures, exercised in inner pytest runs through pytester."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nxpop3.testing.dependencies import missing

ROOT = Path(__file__).resolve().parents[2]

FAKE_POOL = '''
import pytest
import nxpop3


class FakePool:
    """Stands in for nxpop3.PacketPool: the plugin only reads total and available."""

    def __init__(self, payload_size=1536, count=16):
        self.payload_size, self.total, self.available = payload_size, count, count


@pytest.fixture(autouse=True)
def fake_pool(monkeypatch):
    monkeypatch.setitem(nxpop3.__dict__, "PacketPool", FakePool)  # no lazy C load
'''


@pytest.fixture
def run_inline(pytester: pytest.Pytester, plugin_args: list[str]):
    def run(*args: str) -> pytest.RunResult:
        # hypothesis's plugin, when installed, only slows the inner runs down
        return pytester.runpytest(
            *plugin_args, "-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args
        )

    return run


def test_pop3_server_is_started_per_test_and_closed_after(pytester, run_inline):
    pytester.makepyfile(
        """
        import poplib
        from nxpop3.testing import Pop3Server

        seen = []

        def test_first(pop3_server):
            assert isinstance(pop3_server, Pop3Server)
            assert pop3_server.running
            pop3_server.add_message(b"Subject: hi\\r\\n\\r\\nhello\\r\\n")
            client = poplib.POP3(*pop3_server.address, timeout=5)
            client.user("alice")
            client.pass_("secret")
            assert client.stat()[0] == 1
            client.quit()
            seen.append(pop3_server)

        def test_second(pop3_server):
            assert not seen[0].running
            assert pop3_server is not seen[0]
            assert pop3_server.messages == []
        """
    )
    run_inline().assert_outcomes(passed=2)


def test_marker_configures_the_server(pytester, run_inline):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pop3_server([b"one", b"two"], user="bob", password="pw", apop=True)
        def test_configured(pop3_server):
            assert pop3_server.user == "bob"
            assert pop3_server.apop
            assert pop3_server.messages == [b"one\\r\\n", b"two\\r\\n"]
        """
    )
    run_inline("--strict-markers").assert_outcomes(passed=1)


def test_factory_starts_several_servers(pytester, run_inline):
    pytester.makepyfile(
        """
        def test_two(pop3_server_factory):
            a = pop3_server_factory([b"a"])
            b = pop3_server_factory(user="bob")
            assert a.running and b.running and a.port != b.port
            assert b.user == "bob"
        """
    )
    run_inline().assert_outcomes(passed=1)


def test_a_server_thread_error_fails_the_test_at_teardown(pytester, run_inline):
    pytester.makepyfile(
        """
        import poplib
        from nxpop3.testing.session import Pop3Session

        def test_broken(pop3_server, monkeypatch):
            def boom(self, args):
                raise RuntimeError("server bug")
            monkeypatch.setattr(Pop3Session, "_stat", boom)
            client = poplib.POP3(*pop3_server.address, timeout=5)
            client.user("alice")
            client.pass_("secret")
            try:
                client.stat()
            except Exception:
                pass
        """
    )
    result = run_inline()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the POP3 test server failed*", "*RuntimeError: server bug*"])


def test_sample_messages_fixture(pytester, run_inline):
    pytester.makepyfile(
        """
        def test_sample(pop3_sample_messages, pop3_server):
            for message in pop3_sample_messages:
                pop3_server.add_message(message)
            assert len(pop3_server.messages) == len(pop3_sample_messages) >= 5
        """
    )
    run_inline().assert_outcomes(passed=1)


def test_packet_pool_passes_when_every_packet_is_back(pytester, run_inline):
    pytester.makeconftest(FAKE_POOL)
    pytester.makepyfile(
        """
        import pytest

        def test_default(packet_pool):
            assert packet_pool.total == 16

        @pytest.mark.packet_pool(payload_size=256, count=4)
        def test_marker(packet_pool):
            assert (packet_pool.payload_size, packet_pool.total) == (256, 4)
        """
    )
    run_inline().assert_outcomes(passed=2)


def test_packet_pool_fails_the_test_when_a_packet_is_still_allocated(pytester, run_inline):
    pytester.makeconftest(FAKE_POOL)
    pytester.makepyfile(
        """
        def test_leaks(packet_pool):
            packet_pool.available -= 2
        """
    )
    result = run_inline()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*packet pool leak: 2 of 16 packets still allocated*"])


def test_packet_pool_with_the_real_binding(pytester, run_inline):
    pytester.makepyfile(
        """
        def test_real(packet_pool):
            assert packet_pool.available == packet_pool.total > 0
        """
    )
    run_inline().assert_outcomes(passed=1)


def test_fixtures_work_under_xdist(pytester, monkeypatch, plugin_args):
    if importlib.util.find_spec("xdist") is None:
        missing("pytest-xdist is not installed (pip install '.[test]')")
    if plugin_args:  # not installed: the subprocess imports from the checkout
        path = os.pathsep.join(filter(None, [str(ROOT / "python"), os.environ.get("PYTHONPATH")]))
        monkeypatch.setenv("PYTHONPATH", path)
    pytester.makepyfile(
        """
        import poplib
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_fetch(pop3_server, tmp_path, n):
            pop3_server.add_message(b"Subject: %d\\r\\n\\r\\nbody\\r\\n" % n)
            client = poplib.POP3(*pop3_server.address, timeout=5)
            client.user("alice")
            client.pass_("secret")
            lines = client.retr(1)[1]
            (tmp_path / "msg").write_bytes(b"\\r\\n".join(lines))
            client.dele(1)
            client.quit()
            assert pop3_server.messages == []
        """
    )
    result = pytester.runpytest_subprocess(*plugin_args, "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)


def test_plugin_module_does_not_need_the_c_extension():
    assert Path(importlib.util.find_spec("nxpop3.testing.plugin").origin).is_file()
    code = (
        "import sys, nxpop3.testing.plugin, nxpop3.testing;"
        "assert 'nxpop3._binding' not in sys.modules"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


def test_tls_fixtures(pytester, run_inline):
    pytest.importorskip("trustme")
    pytester.makepyfile(
        """
        import poplib
        import ssl

        import pytest

        from nxpop3.testing import CertificateAuthority

        def test_pop3s(pop3_tls_server, tls_client_context, tls_ca):
            assert isinstance(tls_ca, CertificateAuthority)
            assert pop3_tls_server.tls is not None and pop3_tls_server.starttls is None
            assert pop3_tls_server.client_kwargs()["context"] is tls_client_context
            client = poplib.POP3_SSL("localhost", pop3_tls_server.port,
                                     context=tls_client_context, timeout=5)
            client.user("alice")
            client.pass_("secret")
            client.quit()
            assert pop3_tls_server.commands_in_clear == []

        @pytest.mark.pop3_server([b"Subject: a\\r\\n\\r\\nA\\r\\n"], user="bob", password="pw")
        def test_starttls_with_marker(pop3_starttls_server, tls_client_context):
            assert pop3_starttls_server.user == "bob"
            client = poplib.POP3("localhost", pop3_starttls_server.port, timeout=5)
            client.stls(tls_client_context)
            client.user("bob")
            client.pass_("pw")
            assert client.stat()[0] == 1
            client.quit()
            assert pop3_starttls_server.sessions[0].tls

        def test_wrong_host_and_untrusted(pop3_server_factory, tls_wrong_host_context,
                                          tls_untrusted_context, tls_client_context):
            for context in (tls_wrong_host_context, tls_untrusted_context):
                server = pop3_server_factory(tls=context)
                with pytest.raises(ssl.SSLCertVerificationError):
                    poplib.POP3_SSL("localhost", server.port, context=tls_client_context,
                                    timeout=5)

        def test_ca_file(tls_ca_file, tls_ca, pop3_tls_server):
            assert tls_ca_file.read_bytes() == tls_ca.cert_pem
            context = ssl.create_default_context(cafile=str(tls_ca_file))
            poplib.POP3_SSL("localhost", pop3_tls_server.port, context=context,
                            timeout=5).quit()

        def test_same_ca_per_session(tls_ca, tls_server_context, request):
            assert request.getfixturevalue("tls_ca") is tls_ca
        """
    )
    run_inline("--strict-markers").assert_outcomes(passed=5)


def test_tls_fixtures_skip_without_trustme(pytester, run_inline, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest(
        """
        import sys
        sys.modules["trustme"] = None  # import trustme now raises ImportError
        """
    )
    pytester.makepyfile(
        """
        def test_needs_tls(pop3_tls_server):
            raise AssertionError("not reached")
        """
    )
    result = run_inline("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*trustme*"])
