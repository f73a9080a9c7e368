"""The outbound guard for user-typed URLs (adapters/outbound.py) against real loopback
servers that record every connection: refused addresses are never connected to, the
address checked is the address connected to (DNS rebinding), one origin per session,
bounded answers, and the CALDAV_ALLOW_HOSTS setting."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.caldav_calendar import CalDavCalendar
from adapters.outbound import OutboundPolicy, OutboundRefused, is_public_address, parse_allow_hosts
from handlers.calendars import CalendarError
from tests.support.hostile_servers import (
    SECRET,
    RecordingServer,
    closed_port,
    endless_body,
    foreign_href,
    internal_page,
    redirect_to,
)
from tests.support.radicale_server import RadicaleServer
from tests.support.server import BOT_TOKEN, SIGNING_SECRET, clean_env, run_cli

PUBLIC_V4 = "93.184.216.34"  # any globally routable address; the tests never need it to answer


@pytest.fixture
def internal() -> Iterator[RecordingServer]:
    with RecordingServer(internal_page) as server:
        yield server


def allowing(*servers: RecordingServer, **kwargs: Any) -> OutboundPolicy:
    return OutboundPolicy.from_setting(",".join(s.allow_host for s in servers), **kwargs)


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "169.254.1.1",
        "100.64.0.1",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd00:ec2::254",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::1",
        "2002:a00:1::1",
        "64:ff9b::a00:1",
        "64:ff9b::7f00:1",
        "not-an-address",
    ],
)
def test_inside_and_special_addresses_are_not_public(address: str) -> None:
    assert is_public_address(address) is False


@pytest.mark.parametrize(
    "address", [PUBLIC_V4, "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_routable_addresses_are_public(address: str) -> None:
    assert is_public_address(address) is True


# --------------------------------------------------------------------------- refused before any byte


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:{port}/",
        "https://localhost:{port}/",
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "https://127.0.0.1:{port}/dav/calendars/",
        "https://[::ffff:127.0.0.1]:{port}/",
    ],
)
def test_loopback_is_never_connected_to(internal: RecordingServer, url: str) -> None:
    target = url.format(port=internal.port)
    with pytest.raises(OutboundRefused):
        OutboundPolicy().session(target).request("PROPFIND", target)
    assert internal.hits == 0


def test_a_name_that_resolves_inside_is_refused_on_its_address(internal: RecordingServer) -> None:
    asked: list[str] = []

    def resolve(host: str, port: int, *args: Any) -> list[Any]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    url = f"https://calendar.evil.example:{internal.port}/"
    with pytest.raises(OutboundRefused, match="non-public address 127.0.0.1"):
        OutboundPolicy(resolve=resolve).session(url).get(url)
    assert asked == ["calendar.evil.example"] and internal.hits == 0


def test_one_inside_address_among_public_ones_refuses_the_name(internal: RecordingServer) -> None:
    def resolve(host: str, port: int, *args: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_V4, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    url = f"https://mixed.example:{internal.port}/"
    with pytest.raises(OutboundRefused):
        OutboundPolicy(resolve=resolve).session(url).get(url)
    assert internal.hits == 0


def test_dns_rebinding_connects_to_the_address_that_was_checked(
    internal: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name answers public first and loopback afterwards (a rebinding attacker's DNS):
    the socket goes to the public address that passed the check, never to loopback, and
    the next connection is checked again and refused."""
    answers = iter([PUBLIC_V4, "127.0.0.1", "127.0.0.1"])
    asked: list[str] = []

    def resolve(host: str, port: int, *args: Any) -> list[Any]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    connected: list[Any] = []
    real_connect = socket.socket.connect

    def recording_connect(sock: socket.socket, address: Any) -> None:
        connected.append(address)
        if address[0] == PUBLIC_V4:
            raise ConnectionRefusedError("test: the public host is not really there")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    policy = OutboundPolicy(resolve=resolve, connect_timeout=1.0)
    url = f"https://rebind.example:{internal.port}/"
    session = policy.session(url)
    with pytest.raises(Exception) as first:
        session.get(url)
    assert not isinstance(first.value, OutboundRefused)  # it passed the check and failed to connect
    assert connected == [(PUBLIC_V4, internal.port)] and asked == ["rebind.example"]
    with pytest.raises(OutboundRefused):
        session.get(url)  # a new connection: resolved and checked again
    assert internal.hits == 0 and all(a[0] == PUBLIC_V4 for a in connected)


@pytest.mark.parametrize(
    "url",
    [
        "http://caldav.example.com/",
        "ftp://caldav.example.com/",
        "http+unix://%2Frun%2Fdocker.sock/",
        "file:///etc/passwd",
        "gopher://x:70/",
        "https://user:pw@caldav.example.com/",
        "https:///nohost",
        "https://x:99999/",
    ],
)
def test_only_https_urls_without_credentials_are_accepted(url: str) -> None:
    with pytest.raises(OutboundRefused):
        OutboundPolicy().check_url(url)


def test_open_and_closed_ports_fail_the_same_way(internal: RecordingServer) -> None:
    reasons = []
    for port in (internal.port, closed_port()):
        with pytest.raises(CalendarError) as caught:
            CalDavCalendar(f"https://127.0.0.1:{port}/", "anna", "pw").check_connection()
        reasons.append(str(caught.value).replace(str(port), "PORT"))
    assert reasons[0] == reasons[1] and internal.hits == 0


# --------------------------------------------------------------------------- allowed hosts, one origin


def test_allowed_host_may_use_plain_http_to_a_private_address(internal: RecordingServer) -> None:
    policy = allowing(internal)
    response = policy.session(internal.url).get(internal.url)
    assert response.status_code == 200 and SECRET in (response.text or "")
    # Only that host:port: the same address under another name or port stays refused.
    for other in (f"http://localhost:{internal.port}/", f"http://127.0.0.1:{closed_port()}/"):
        with pytest.raises(OutboundRefused):
            policy.session(other).get(other)


def test_redirect_to_another_origin_is_not_followed(internal: RecordingServer) -> None:
    with RecordingServer(redirect_to(internal.url + "secret")) as redirector:
        policy = allowing(redirector, internal)  # even an allowed origin is not a redirect target
        with pytest.raises(OutboundRefused, match="redirect"):
            policy.session(redirector.url).request("PROPFIND", redirector.url)
    assert redirector.hits == 1 and internal.hits == 0


def test_same_origin_redirects_are_followed_a_few_times() -> None:
    with RecordingServer() as server:
        server.answer = lambda handler, body: (
            redirect_to("/b/", 307)(handler, body)
            if handler.path == "/a/"
            else internal_page(handler, body)
        )
        response = allowing(server).session(server.url).request("PROPFIND", server.url + "a/")
        assert response.status_code == 200 and [p for _, p in server.requests] == ["/a/", "/b/"]
        assert [m for m, _ in server.requests] == ["PROPFIND", "PROPFIND"]
        server.clear()
        server.answer = redirect_to("/loop/")
        with pytest.raises(OutboundRefused, match="redirects"):
            allowing(server).session(server.url).get(server.url)
        assert server.hits <= 4


def test_a_request_to_another_origin_is_refused_before_connecting(
    internal: RecordingServer,
) -> None:
    with RecordingServer() as typed:
        session = allowing(typed, internal).session(typed.url)
        with pytest.raises(OutboundRefused, match="origin"):
            session.request("PUT", internal.url + "calendars/x.ics", data=b"BEGIN:VCALENDAR")
    assert internal.hits == 0 and typed.hits == 0


def test_server_supplied_hrefs_to_another_origin_are_not_fetched(internal: RecordingServer) -> None:
    with RecordingServer(foreign_href(internal.url)) as dav:
        cal = CalDavCalendar(dav.url, "anna", "pw", policy=allowing(dav, internal))
        with pytest.raises(CalendarError) as caught:
            cal.check_connection()
    assert caught.value.transient is False
    assert dav.hits >= 1 and internal.hits == 0


# --------------------------------------------------------------------------- bounded answers


def test_an_endless_body_is_cut_off_at_the_cap() -> None:
    body = endless_body()
    with RecordingServer(body) as server:
        policy = allowing(server, max_body=1024 * 1024)
        started = time.monotonic()
        with pytest.raises(OutboundRefused, match="more than"):
            policy.session(server.url).get(server.url)
        deadline = time.monotonic() + 10
        while not body.cut_off and time.monotonic() < deadline:
            time.sleep(0.05)
    assert body.cut_off, "the server could keep sending"
    assert body.sent < 32 * 1024 * 1024 and time.monotonic() - started < 10


def test_an_announced_huge_body_is_not_read() -> None:
    def huge(handler: Any, body: bytes) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(10 * 1024 * 1024 * 1024))
        handler.end_headers()
        handler.wfile.write(b"x" * 1024)

    with RecordingServer(huge) as server, pytest.raises(OutboundRefused, match="announced"):
        allowing(server).session(server.url).get(server.url)


def test_a_server_that_never_answers_times_out_quickly() -> None:
    def silent(handler: Any, body: bytes) -> None:
        time.sleep(5)

    with RecordingServer(silent) as server:
        started = time.monotonic()
        with pytest.raises(CalendarError) as caught:
            CalDavCalendar(
                server.url, "anna", "pw", policy=allowing(server), timeout=1
            ).check_connection()
        assert time.monotonic() - started < 4
        assert caught.value.transient is True  # the worker may try again later


def test_a_non_caldav_answer_is_a_calendar_error_not_a_crash(internal: RecordingServer) -> None:
    with pytest.raises(CalendarError) as caught:
        CalDavCalendar(internal.url, "anna", "pw", policy=allowing(internal)).check_connection()
    assert caught.value.transient is False


def test_radicale_on_an_allowed_host_still_works(tmp_path: Path) -> None:
    with RadicaleServer(tmp_path, users={"anna@example.com": "pw"}) as dav:
        dav.make_calendar("anna@example.com", "pw", "Work")
        CalDavCalendar(dav.url, "anna@example.com", "pw", policy=dav.policy).check_connection()
        with pytest.raises(CalendarError, match="outbound policy"):
            CalDavCalendar(dav.url, "anna@example.com", "pw").check_connection()


# --------------------------------------------------------------------------- the setting


def test_allow_hosts_setting_parses_host_port_entries() -> None:
    assert parse_allow_hosts(" Cal.Internal:8443, 10.0.0.5:5232 ,[::1]:5232,") == frozenset(
        {("cal.internal", 8443), ("10.0.0.5", 5232), ("::1", 5232)}
    )
    assert parse_allow_hosts("") == frozenset()


@pytest.mark.parametrize(
    "value",
    [
        "cal.internal",
        "http://cal.internal:80/",
        "cal.internal:http",
        ":443",
        "cal.internal:0",
        "cal.internal:70000",
        "::1:5232",
        "user@cal:443",
    ],
)
def test_malformed_allow_hosts_entries_are_rejected(value: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_allow_hosts(value)


def test_malformed_caldav_allow_hosts_stops_start_up_with_one_line_naming_it(
    tmp_path: Path,
) -> None:
    env = clean_env(
        {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "CALDAV_ALLOW_HOSTS": "caldav.internal",
        }
    )
    result = run_cli(["serve"], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "CALDAV_ALLOW_HOSTS" in lines[0] and "host:port" in lines[0], (
        result.stderr
    )
