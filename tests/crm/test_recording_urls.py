"""The recording URL rules (hardening issue, hole 1): a CDR's `record` never makes the worker
fetch loopback, private or outside hosts, the Voicenter code goes to Voicenter's hosts only,
every redirect hop is checked, and the recording routes never redirect to a non-https or
unlisted URL. The attacks run against real local servers that record what they were sent."""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from cdrhub.config import ConfigError, Settings
from cdrhub.crm.embed import recording_path
from cdrhub.crm.recordings.fetch import download_recording
from cdrhub.crm.recordings.urlpolicy import (
    VOICENTER_HOSTS,
    Refused,
    UrlPolicy,
    address_allowed,
    check_url,
    may_carry_code,
    normal_pattern,
    numeric_host,
    redirect_target,
)
from cdrhub.crm.settings import RecordingSettings, load_crm_settings
from cdrhub.crm.tables import recordings
from cdrhub.jobs.http import tls_context
from cdrhub.jobs.outbox import PermanentFailure, RetryLater
from tests.crm.conftest import API, MP3, jobs, leg, make_client, run_jobs, store, with_crm
from tests.crm.fakes import FakeServer, Reply

CODE = "C0DE-5ecret-42"
LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
# every spelling of 127.0.0.1 that getaddrinfo/inet_aton (and so the old fetcher) accepts
LOOPBACK_FORMS = [
    "localhost",
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "0x7f.1",
    "127.1",
    "0177.0.0.1",
    "127.0.0.1.",
    "[::ffff:127.0.0.1]",
]


def _policy(**kw: Any) -> UrlPolicy:
    return RecordingSettings(**{k: tuple(v) for k, v in kw.items()}).url_policy


def _refusal(url: str, policy: UrlPolicy | None = None, **kw: Any) -> str:
    with pytest.raises(Refused) as caught:
        check_url(url, policy or UrlPolicy(), **kw)
    return caught.value.reason


# --- the pure rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",
        "0x7f000001",
        "0x7f.1",
        "127.1",
        "127.0.0.1.",
        "[::ffff:127.0.0.1]",
    ],
)
def test_numeric_hosts_are_addresses_not_names(host: str) -> None:
    assert numeric_host(host) in (LOOPBACK, ipaddress.IPv6Address("::ffff:127.0.0.1"))
    policy = _policy(allowed_hosts=["127.0.0.1"])
    assert _refusal(f"http://{host}/r.mp3", policy) == (
        "address 127.0.0.1 is not public (allowed_networks)"
    )
    allowed = _policy(allowed_hosts=["127.0.0.1"], allowed_networks=["127.0.0.0/8"])
    assert check_url(f"http://{host}/r.mp3", allowed).ip == LOOPBACK


def test_names_and_numbers_outside_the_allow_list_are_refused() -> None:
    assert numeric_host("example.com") is None and numeric_host("1.2.3.example") is None
    assert _refusal("http://localhost/r.mp3") == "host localhost is not in allowed_hosts"
    assert _refusal("http://2130706433/r.mp3") == "host 127.0.0.1 is not in allowed_hosts"
    assert _refusal("http://[::1]/r.mp3") == "host ::1 is not in allowed_hosts"
    assert _refusal("http://10.1.2.3/r.mp3") == "host 10.1.2.3 is not in allowed_hosts"
    assert (
        _refusal("http://169.254.169.254/latest") == "host 169.254.169.254 is not in allowed_hosts"
    )
    assert (
        _refusal("https://attacker.example/r.mp3")
        == "host attacker.example is not in allowed_hosts"
    )
    assert _refusal("https://cpanel.voicenter.co.il.attacker.example/r.mp3").startswith("host ")
    assert (
        _refusal("https://evilvoicenter.com/r.mp3")
        == "host evilvoicenter.com is not in allowed_hosts"
    )
    assert _refusal("http://1.2.3.999/r.mp3") == "not a valid URL"  # a number, yet no address
    assert _refusal("http://1.2.3.0x1ff/r.mp3") == "not a valid host"  # ditto, never a name
    assert numeric_host("0177.0.0.1") == LOOPBACK  # octal: httpx refuses to parse it at all
    assert _refusal("http://0177.0.0.1/r.mp3") == "not a valid URL"


def test_only_http_urls_without_userinfo_or_odd_characters() -> None:
    assert _refusal("javascript:alert(1)") == "javascript scheme (only http or https)"
    assert _refusal("file:///etc/passwd") == "file scheme (only http or https)"
    assert _refusal("ftp://cpanel.voicenter.co.il/r.mp3") == "ftp scheme (only http or https)"
    assert _refusal("http://cpanel.voicenter.co.il/r.mp3", https_only=True) == (
        "http scheme (only https)"
    )
    assert _refusal("https://x@cpanel.voicenter.co.il/r.mp3") == "URL with a user name or password"
    # parsers disagree on where the host of these is: refused whole
    for url in (
        "https://attacker.example\\@cpanel.voicenter.co.il/r.mp3",
        "https://cpanel.voicenter.co.il/r .mp3",
        "https://cpanel.voicenter.co.il/\nr.mp3",
        "https://cpanel.vоicenter.co.il/r.mp3",  # a Cyrillic o
    ):
        assert _refusal(url) == "URL with spaces, control, backslash or non-ASCII characters"
    assert _refusal("https://cpanel.voicenter.co.il/" + "x" * 5000) == "no URL, or one too long"


def test_voicenter_hosts_allowed_and_given_the_code_by_default() -> None:
    policy = UrlPolicy()
    for url in (
        "https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/x.mp3",
        "https://CPANEL.Voicenter.co.il./x.mp3",
        "https://voicenter.com/x.mp3",
        "https://a.b.voicenter.com:8443/x.mp3",
    ):
        assert may_carry_code(check_url(url, policy), policy)


def test_a_host_merely_allowed_never_gets_the_code() -> None:
    bucket = "recordings.example-bucket.s3.amazonaws.com"
    policy = _policy(
        allowed_hosts=[*VOICENTER_HOSTS, bucket], code_hosts=[*VOICENTER_HOSTS, bucket]
    )
    assert may_carry_code(check_url(f"https://{bucket}/r.mp3", policy), policy)
    policy = _policy(allowed_hosts=[*VOICENTER_HOSTS, bucket])
    assert not may_carry_code(check_url(f"https://{bucket}/r.mp3", policy), policy)
    # and a code host that is not allowed is not fetched at all
    policy = _policy(allowed_hosts=["cpanel.voicenter.co.il"])
    assert _refusal("https://www.voicenter.com/r.mp3", policy).endswith("not in allowed_hosts")


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),  # cloud metadata
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
    ],
)
def test_addresses(address: str, allowed: bool) -> None:
    assert address_allowed(ipaddress.ip_address(address), ()) is allowed


def test_allowed_networks_open_private_addresses_explicitly() -> None:
    networks = (ipaddress.ip_network("10.20.0.0/16"),)
    assert address_allowed(ipaddress.ip_address("10.20.3.4"), networks)
    assert address_allowed(ipaddress.ip_address("::ffff:10.20.3.4"), networks)
    assert not address_allowed(ipaddress.ip_address("10.21.0.1"), networks)
    assert not address_allowed(ipaddress.ip_address("127.0.0.1"), networks)


@pytest.mark.parametrize("bad", ["*", "*.com", "a b", "127.0.0.0/8", "http://x.com", "999.1.1.1"])
def test_allow_list_entries_are_checked(bad: str) -> None:
    with pytest.raises(ValueError):
        normal_pattern(bad)


def test_settings(settings: Settings) -> None:
    cfg = load_crm_settings(settings).recordings
    assert cfg.url_policy == UrlPolicy() and cfg.max_redirects == 3
    ours = {
        "allowed_hosts": ["*.Voicenter.co.il", "bucket.s3.amazonaws.com", "10.0.0.7"],
        "allowed_networks": ["10.0.0.0/24"],
        "max_redirects": 1,
    }
    cfg = load_crm_settings(with_crm(settings, recordings=ours)).recordings
    assert cfg.url_policy.allowed_hosts == (
        "*.voicenter.co.il",
        "bucket.s3.amazonaws.com",
        "10.0.0.7",
    )
    assert cfg.url_policy.code_hosts == VOICENTER_HOSTS
    assert cfg.url_policy.allowed_networks == (ipaddress.ip_network("10.0.0.0/24"),)
    for bad, message in (
        ({"allowed_hosts": "cpanel.voicenter.co.il"}, "allowed_hosts must be a list of strings"),
        ({"allowed_hosts": ["*"]}, "not a host name, *.domain or IP address: '*'"),
        ({"code_hosts": ["*.com"]}, "not a host name, *.domain or IP address: '*.com'"),
        ({"allowed_networks": ["10.0.0.300/8"]}, "does not appear to be an IPv4 or IPv6 network"),
        ({"max_redirects": 50}, "max_redirects must be 0 to 10"),
    ):
        with pytest.raises(
            ConfigError, match="^\\[crm.recordings\\] .*" + message.replace("*", "\\*")
        ):
            load_crm_settings(with_crm(settings, recordings=bad))


# --- the worker against local servers ---------------------------------------------------------------


def _audio() -> FakeServer:
    return FakeServer(lambda seen: Reply(200, MP3, {"content-type": "audio/mpeg"}))


def _rows(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        return {r["ivruniqueid"]: dict(r) for r in conn.execute(select(recordings)).mappings()}


def _recordings(tmp_path: Path, **kw: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "local_dir": str(tmp_path / "rec"),
        "voicenter_code": CODE,
        "attempts": 1,
        **kw,
    }


def test_loopback_in_any_spelling_is_never_contacted(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    settings = with_crm(settings, recordings=_recordings(tmp_path))
    with _audio() as host:
        port = host.httpd.server_address[1]
        wires = [
            leg(ivruniqueid=f"2023111509200{i}loop", record=f"http://{form}:{port}/r.mp3")
            for i, form in enumerate(LOOPBACK_FORMS)
        ]
        store(settings, engine, *wires)
        run_jobs(engine, settings)
        assert host.requests == []
    rows = _rows(engine)
    unparsable = "0177.0.0.1"  # httpx cannot parse it: not even noted for download
    noted = {form: f"2023111509200{i}loop" for i, form in enumerate(LOOPBACK_FORMS)}
    assert noted.pop(unparsable) not in rows
    errors = {form: rows[uid]["error"] for form, uid in noted.items()}
    url = "GET http://{}:" + str(port) + "/r.mp3: refused: host {} is not in allowed_hosts"
    assert errors == {
        "localhost": url.format("localhost", "localhost"),
        "127.0.0.1": url.format("127.0.0.1", "127.0.0.1"),
        "2130706433": url.format("2130706433", "127.0.0.1"),
        "0x7f000001": url.format("0x7f000001", "127.0.0.1"),
        "0x7f.1": url.format("0x7f.1", "127.0.0.1"),
        "127.1": url.format("127.1", "127.0.0.1"),
        "127.0.0.1.": url.format("127.0.0.1.", "127.0.0.1"),
        "[::ffff:127.0.0.1]": url.format("[::ffff:127.0.0.1]", "127.0.0.1"),
    }
    assert {r["status"] for r in rows.values()} == {"failed"}
    assert {j["status"] for j in jobs(engine, "crm.recording")} == {"dead"}
    assert all(CODE not in j["last_error"] for j in jobs(engine, "crm.recording"))


def test_an_allowed_name_that_resolves_to_loopback_is_refused_after_resolution(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """`localhost` on the allow-list (as a name could be, or a DNS answer could turn into
    127.0.0.1): the address the name resolves to is checked before connecting."""
    cfg = _recordings(tmp_path, allowed_hosts=["localhost"], code_hosts=["localhost"])
    settings = with_crm(settings, recordings=cfg)
    with _audio() as host:
        url = f"{host.url.replace('127.0.0.1', 'localhost')}/r.mp3"
        store(settings, engine, leg(record=url))
        run_jobs(engine, settings)
        assert host.requests == []
    (row,) = _rows(engine).values()
    assert row["status"] == "failed"
    assert row["error"] in (
        f"GET {url}: refused: localhost is {ip}, not a public address (allowed_networks)"
        for ip in ("127.0.0.1", "::1")
    )


def test_private_address_refused(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    cfg = _recordings(tmp_path, allowed_hosts=["10.255.255.1", "192.168.0.1"])
    settings = with_crm(settings, recordings=cfg)
    store(
        settings,
        engine,
        leg(ivruniqueid="20231115092000priv1", record="http://10.255.255.1/r.mp3"),
        leg(ivruniqueid="20231115092000priv2", record="http://192.168.0.1:8080/r.mp3"),
        leg(ivruniqueid="20231115092000priv3", record="http://172.16.0.1/r.mp3"),
    )
    run_jobs(engine, settings)
    assert {k: r["error"] for k, r in _rows(engine).items()} == {
        "20231115092000priv1": "GET http://10.255.255.1/r.mp3: refused: "
        "address 10.255.255.1 is not public (allowed_networks)",
        "20231115092000priv2": "GET http://192.168.0.1:8080/r.mp3: refused: "
        "address 192.168.0.1 is not public (allowed_networks)",
        "20231115092000priv3": "GET http://172.16.0.1/r.mp3: refused: "
        "host 172.16.0.1 is not in allowed_hosts",
    }


def test_a_host_outside_the_allow_list_is_not_contacted_nor_given_the_code(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """`localhost` and `127.0.0.1` are the same server to the network but different hosts to
    the allow-list: only the listed one is fetched, and only a code host gets the code."""
    cfg = _recordings(tmp_path, allowed_hosts=["127.0.0.1"], allowed_networks=["127.0.0.1/32"])
    settings = with_crm(settings, recordings=cfg)
    with _audio() as host:
        outside = host.url.replace("127.0.0.1", "localhost")
        store(
            settings,
            engine,
            leg(ivruniqueid="20231115092000out1", record=f"{outside}/out.mp3"),
            leg(ivruniqueid="20231115092000out2", record=f"{host.url}/in.mp3?x=1"),
        )
        run_jobs(engine, settings)
        # allowed but not Voicenter's: fetched without the code
        assert [(r.path, r.query) for r in host.requests] == [("/in.mp3", {"x": "1"})]
    rows = _rows(engine)
    assert rows["20231115092000out1"]["status"] == "failed"
    assert rows["20231115092000out1"]["error"].endswith("host localhost is not in allowed_hosts")
    assert rows["20231115092000out2"]["status"] == "archived"


# --- redirects ------------------------------------------------------------------------------------


def _redirecting(location: str, status: int = 302) -> FakeServer:
    return FakeServer(lambda seen: Reply(status, "", {"location": location}))


def _download(url: str, **kw: Any) -> bytes:
    """The downloaded body (the fetcher hands it over in a temporary file)."""
    cfg = {
        "voicenter_code": CODE,
        "attempts": 1,
        "allowed_hosts": ("127.0.0.1",),
        "code_hosts": ("127.0.0.1",),
        "allowed_networks": ("127.0.0.1/32",),
        **kw,
    }
    with download_recording(url, RecordingSettings(**cfg)) as got:
        return got.file.read()


def _refused(url: str, **kw: Any) -> str:
    with pytest.raises(PermanentFailure) as caught:
        _download(url, **kw)
    assert CODE not in caught.value.reason
    return caught.value.reason


def test_redirect_to_loopback_or_another_host_is_refused() -> None:
    """The source is allowed by the name `localhost`; its redirects to the same machine by
    address (any spelling), to the metadata address or to a file are refused unfetched."""
    local = {
        "allowed_hosts": ("localhost",),
        "code_hosts": ("localhost",),
        "allowed_networks": ("127.0.0.1/32", "::1/128"),
    }
    with _audio() as target:
        port = target.httpd.server_address[1]
        for location, reason in (
            (f"http://127.0.0.1:{port}/r.mp3", "host 127.0.0.1 is not in allowed_hosts"),
            (f"http://2130706433:{port}/r.mp3", "host 127.0.0.1 is not in allowed_hosts"),
            (f"http://[::ffff:127.0.0.1]:{port}/r.mp3", "host 127.0.0.1 is not in allowed_hosts"),
            ("http://169.254.169.254/latest/meta-data/", "host 169.254.169.254 is not in"),
            ("file:///etc/passwd", "file scheme (only http or https)"),
            ("javascript:alert(1)", "javascript scheme (only http or https)"),
        ):
            with _redirecting(location) as source:
                url = source.url.replace("127.0.0.1", "localhost") + "/r.mp3"
                got = _refused(url, **local)
                assert got.startswith(f"GET {url}: refused: redirect 1: {reason}")
                assert [r.query for r in source.requests] == [{"code": CODE}]
        assert target.requests == []  # never contacted


def test_redirect_to_an_allowed_host_outside_code_hosts_does_not_carry_the_code() -> None:
    with _audio() as target:
        other = target.url.replace("127.0.0.1", "localhost")
        # the source echoes the query (code included) into its redirect, as some servers do
        with _redirecting(f"{other}/r.mp3?x=1&code={CODE}") as source:
            got = _download(
                f"{source.url}/r.mp3",
                allowed_hosts=("127.0.0.1", "localhost"),
                allowed_networks=("127.0.0.1/32", "::1/128"),
            )
            assert got == MP3
            assert [r.query for r in source.requests] == [{"code": CODE}]
            assert [(r.path, r.query) for r in target.requests] == [("/r.mp3", {"x": "1"})]
        # the code hidden elsewhere in the URL: refused rather than sent
        with _redirecting(f"{other}/{CODE}/r.mp3") as source:
            got = _refused(
                f"{source.url}/r.mp3",
                allowed_hosts=("127.0.0.1", "localhost"),
                allowed_networks=("127.0.0.1/32", "::1/128"),
            )
            assert got.endswith(
                "redirect 1: the API code in a URL for localhost, which is not in code_hosts"
            )
        assert len(target.requests) == 1


def test_redirects_within_allowed_hosts_are_followed_up_to_the_limit() -> None:
    with (
        _audio() as target,
        _redirecting(f"{target.url}/final.mp3", 307) as middle,
        _redirecting(f"{middle.url}/next") as source,
    ):
        got = _download(f"{source.url}/r.mp3")
        assert got == MP3
        seen = [(r.path, r.query) for r in (*source.requests, *middle.requests, *target.requests)]
        assert seen == [
            ("/r.mp3", {"code": CODE}),
            ("/next", {"code": CODE}),
            ("/final.mp3", {"code": CODE}),
        ]
        assert _refused(f"{source.url}/r.mp3", max_redirects=1).endswith(
            "refused: more than 1 redirects"
        )
    with FakeServer(lambda seen: Reply(302, "", {"location": "/again"})) as loop:
        assert _refused(f"{loop.url}/r.mp3").endswith("refused: more than 3 redirects")
        assert len(loop.requests) == 4


def _tls_server(tmp_path: Path) -> FakeServer:
    """The audio server over TLS with a certificate for `localhost` (trusted through
    SSL_CERT_FILE, which httpx reads)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    command = (
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost"
        " -addext subjectAltName=DNS:localhost"
    )
    subprocess.run(
        [*command.split(), "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    server = _audio()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    return server


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_verifies_the_name_while_connecting_to_the_checked_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """The socket goes to the address that was checked, yet the certificate is still checked
    against the URL's host name: `localhost` matches, the bare address does not."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    tls_context.cache_clear()  # the process's shared context, read again with this bundle
    request.addfinalizer(tls_context.cache_clear)
    local = {
        "allowed_hosts": ("localhost", "127.0.0.1"),
        "code_hosts": ("localhost", "127.0.0.1"),
        "allowed_networks": ("127.0.0.1/32", "::1/128"),
    }
    with _tls_server(tmp_path) as server:
        port = server.httpd.server_address[1]
        assert _download(f"https://localhost:{port}/r.mp3", **local) == MP3
        with pytest.raises(RetryLater, match=r"^GET https://127.0.0.1:\d+/r.mp3: ConnectError$"):
            _download(f"https://127.0.0.1:{port}/r.mp3", **local)
        assert [(r.headers["host"], r.query) for r in server.requests] == [
            (f"localhost:{port}", {"code": CODE})
        ]


# --- the recording routes -------------------------------------------------------------------------

SECRET = "s3cret-for-tests"
PHONE = "+972501234567"  # the customer of the outgoing-answered sample


@pytest.mark.parametrize(
    "record",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<script>alert(1)</script>",
        "http://cpanel.voicenter.co.il/CallsHistory/PlayRecord/x.mp3",  # not https
        "https://attacker.example/x.mp3",  # not an allowed host
        "https://127.0.0.1/x.mp3",
        "//attacker.example/x.mp3",
    ],
)
def test_routes_never_redirect_to_a_url_that_is_not_allowed_https(
    settings: Settings, engine: Engine, record: str
) -> None:
    settings = with_crm(settings, embed={"secret": SECRET}, recordings={"enabled": False})
    store(settings, engine, leg(record=record))
    ivr = leg()["ivruniqueid"]
    signed = recording_path(SECRET, PHONE, int(time.time()) + 600, ivr)
    with make_client(settings) as client:
        api = client.get(f"/api/recordings/{ivr}", headers=API, follow_redirects=False)
        embed = client.get(signed, follow_redirects=False)
        for got in (api, embed):
            assert (got.status_code, got.json()) == (404, {"detail": "no recording for this call"})
            assert "location" not in got.headers
        timeline = client.get(f"/api/contacts/{PHONE}/timeline", headers=API).json()
        assert timeline["calls"][0]["recording_url"] is None


def test_routes_redirect_to_an_allowed_https_url(settings: Settings, engine: Engine) -> None:
    settings = with_crm(settings, embed={"secret": SECRET}, recordings={"enabled": False})
    store(settings, engine, leg())
    ivr, record = leg()["ivruniqueid"], leg()["record"]
    signed = recording_path(SECRET, PHONE, int(time.time()) + 600, ivr)
    with make_client(settings) as client:
        api = client.get(f"/api/recordings/{ivr}", headers=API, follow_redirects=False)
        embed = client.get(signed, follow_redirects=False)
        for got in (api, embed):
            assert (got.status_code, got.headers["location"]) == (307, record)
            assert CODE not in got.headers["location"]


def test_redirect_target() -> None:
    policy = UrlPolicy()
    url = "https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/x.mp3"
    assert redirect_target(url, policy) == url
    assert redirect_target(None, policy) is None
    assert redirect_target("javascript:alert(1)", policy) is None
    assert redirect_target(url.replace("https", "http"), policy) is None
