"""SSRF drills: a member types hostile addresses into the CalDAV connect form of the
served app (`meetline serve` over HTTP, signed Slack requests, the fake Slack), and the
worker later uses a saved connection.

The targets are loopback servers that record every connection they accept
(tests/support/hostile_servers.py): an internal service that must never be reached, a
closed port, and servers the operator allowed in `CALDAV_ALLOW_HOSTS` that misbehave (a
redirect to another origin, PROPFIND hrefs to another origin, an endless body, an HTML
page). Every refusal must give the one generic form error, echo nothing from the server,
and leave the internal service's hit log empty.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from handlers.jobs import JobKind
from handlers.ports import CalendarConnections
from storage.models import JobModel
from tests.drills.conftest import fresh_database, postgres_server
from tests.drills.helpers import book
from tests.e2e.test_calendar_flow import home, home_button
from tests.support.hostile_servers import (
    SECRET,
    EndlessBody,
    RecordingServer,
    closed_port,
    foreign_href,
    internal_page,
    not_caldav,
    redirect_to,
)
from tests.support.radicale_server import RadicaleServer
from tests.support.server import SECRET_KEY
from tests.support.slack_requests import block_actions, text_value, view_submission
from tests.support.stack import HOST, Stack, running_stack

TEAM = "T0001"
HOST_EMAIL = "anna@meetline.example"
DAV_PASSWORD = "s3cret-app-password"
GENERIC = "Could not reach a CalDAV server at that address."


@dataclass
class Range:
    stack: Stack
    internal: RecordingServer  # NOT allowed: what an attacker wants to reach
    internal6: RecordingServer | None  # the same on ::1, when the machine has IPv6
    target: RecordingServer  # allowed, but only ever reached by its own URL
    redirector: RecordingServer  # allowed; redirects to `target`
    foreign: RecordingServer  # allowed; its PROPFIND hrefs point at `target`
    endless: RecordingServer  # allowed; streams without end
    endless_body: EndlessBody
    html: RecordingServer  # allowed; answers an HTML page to everything
    dav: RadicaleServer  # allowed; a real CalDAV server

    def servers(self) -> list[RecordingServer]:
        found = [self.internal, self.target, self.redirector, self.foreign, self.endless, self.html]
        return found + ([self.internal6] if self.internal6 else [])

    @property
    def store(self) -> CalendarConnections:
        return self.stack.services.connections


def _ipv6_server(stack: ExitStack) -> RecordingServer | None:
    try:
        return stack.enter_context(RecordingServer(internal_page, host="::1"))
    except OSError:
        return None


@pytest.fixture(scope="module")
def shooting_range(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Range]:
    workdir = tmp_path_factory.mktemp("ssrf")
    kind = "postgresql" if postgres_server() else "sqlite"
    with ExitStack() as es:
        internal = es.enter_context(RecordingServer(internal_page))
        internal6 = _ipv6_server(es)
        target = es.enter_context(RecordingServer(internal_page))
        redirector = es.enter_context(RecordingServer(redirect_to(target.url + "dav/")))
        foreign = es.enter_context(RecordingServer(foreign_href(target.url)))
        body = EndlessBody()
        endless = es.enter_context(RecordingServer(body))
        html = es.enter_context(RecordingServer(not_caldav))
        dav = es.enter_context(RadicaleServer(workdir / "dav", users={HOST_EMAIL: DAV_PASSWORD}))
        dav.make_calendar(HOST_EMAIL, DAV_PASSWORD, "Work")
        allowed = [s.allow_host for s in (target, redirector, foreign, endless, html)] + [
            dav.allow_host
        ]
        url = es.enter_context(fresh_database(kind, workdir))
        stack = es.enter_context(
            running_stack(
                url, workdir, {"SECRET_KEY": SECRET_KEY, "CALDAV_ALLOW_HOSTS": ",".join(allowed)}
            )
        )
        yield Range(
            stack, internal, internal6, target, redirector, foreign, endless, body, html, dav
        )


@pytest.fixture
def rng(shooting_range: Range) -> Range:
    shooting_range.stack.slack.clear()
    shooting_range.stack.smtp.clear()
    for server in shooting_range.servers():
        server.clear()
    shooting_range.store.disconnect(TEAM, HOST)
    return shooting_range


def connect(rng: Range, url: str, password: str = DAV_PASSWORD) -> Any:
    """Open the CalDAV form from the App Home and submit it; the HTTP response of the submit."""
    stack = rng.stack
    view = home(stack, f"EvSsrf{time.monotonic_ns()}")
    button = home_button(view, "calendar_connect_caldav")
    count = len(stack.slack.calls("views.open"))
    stack.client.interact(
        block_actions(
            button["action_id"],
            button["value"],
            block_id="calendar_actions",
            view={"id": "VHOME", "type": "home"},
            user_id=HOST,
        )
    )
    modal = stack.slack.wait_for("views.open", count=count + 1)[-1]
    values = {
        "caldav_url": {"value": text_value(url)},
        "caldav_username": {"value": text_value(HOST_EMAIL)},
        "caldav_password": {"value": text_value(password)},
        "caldav_calendar": {"value": text_value(None)},
    }
    return stack.client.interact(
        view_submission(
            modal.body["view"]["id"],
            "calendar_caldav",
            values,
            view=modal.args["view"],
            user_id=HOST,
        )
    )


def assert_generic_refusal(rng: Range, response: Any) -> None:
    assert response.status == 200, response.text
    assert response.json() == {"response_action": "errors", "errors": {"caldav_url": GENERIC}}
    assert SECRET not in response.text and "hunter2" not in response.text
    assert rng.store.status(TEAM, HOST) is None, "a refused address was saved"
    assert rng.internal.hits == 0, f"the internal service was reached: {rng.internal.requests}"


# --------------------------------------------------------------------------- addresses inside


def test_open_port_on_loopback_is_never_connected_to(rng: Range) -> None:
    for url in (
        rng.internal.url,
        f"https://127.0.0.1:{rng.internal.port}/",
        rng.internal.url + "admin/",
    ):
        assert_generic_refusal(rng, connect(rng, url))


def test_open_and_closed_ports_get_the_same_answer(rng: Range) -> None:
    closed = closed_port()
    for scheme in ("http", "https"):
        open_answer = connect(rng, f"{scheme}://127.0.0.1:{rng.internal.port}/")
        closed_answer = connect(rng, f"{scheme}://127.0.0.1:{closed}/")
        assert open_answer.json() == closed_answer.json()
        assert_generic_refusal(rng, open_answer)


def test_localhost_is_refused(rng: Range) -> None:
    for url in (
        f"http://localhost:{rng.internal.port}/",
        f"https://localhost:{rng.internal.port}/",
        f"https://LOCALHOST.:{rng.internal.port}/",
    ):
        assert_generic_refusal(rng, connect(rng, url))


def test_ipv6_loopback_is_refused(rng: Range) -> None:
    port = rng.internal6.port if rng.internal6 else rng.internal.port
    for url in (
        f"https://[::1]:{port}/",
        f"http://[::1]:{port}/",
        f"https://[::ffff:127.0.0.1]:{rng.internal.port}/",
    ):
        assert_generic_refusal(rng, connect(rng, url))
    assert rng.internal6 is None or rng.internal6.hits == 0


def test_cloud_metadata_address_is_refused(rng: Range) -> None:
    started = time.monotonic()
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/latest/meta-data/",
    ):
        assert_generic_refusal(rng, connect(rng, url))
    assert time.monotonic() - started < 10  # refused before connecting, not after a timeout


def test_private_network_addresses_are_refused(rng: Range) -> None:
    for url in (
        "https://10.0.0.1/",
        "https://10.1.2.3:8443/dav/",
        "https://192.168.1.1/",
        "https://172.16.0.1/",
        f"https://0.0.0.0:{rng.internal.port}/",
    ):
        assert_generic_refusal(rng, connect(rng, url))


def test_hostname_that_resolves_to_loopback_is_refused(rng: Range) -> None:
    name = socket.gethostname()
    addresses = {
        str(a[4][0]) for a in socket.getaddrinfo(name, rng.internal.port, proto=socket.IPPROTO_TCP)
    }
    if not any(a.startswith("127.") or a == "::1" for a in addresses):
        pytest.skip(f"{name} does not resolve to loopback here ({addresses})")
    assert_generic_refusal(rng, connect(rng, f"https://{name}:{rng.internal.port}/"))
    assert_generic_refusal(rng, connect(rng, f"http://{name}:{rng.internal.port}/"))


def test_plain_http_to_a_host_not_allowed_is_refused(rng: Range) -> None:
    # `target` is allowed as 127.0.0.1:port only; another name for it is not.
    assert_generic_refusal(rng, connect(rng, f"http://localhost:{rng.target.port}/"))
    assert_generic_refusal(rng, connect(rng, "http://caldav.example.com/"))
    assert rng.target.hits == 0


# --------------------------------------------------------------------------- allowed servers that misbehave


def test_redirect_to_another_origin_is_not_followed(rng: Range) -> None:
    assert_generic_refusal(rng, connect(rng, rng.redirector.url))
    assert rng.redirector.hits >= 1, "the drill did not reach the redirecting server"
    assert rng.target.hits == 0, f"the redirect was followed: {rng.target.requests}"


def test_the_reason_goes_to_the_log_only(rng: Range) -> None:
    before = len(rng.stack.serve.log())
    assert_generic_refusal(rng, connect(rng, rng.redirector.url))
    assert_generic_refusal(rng, connect(rng, f"https://127.0.0.1:{rng.internal.port}/"))
    rng.stack.wait_until(lambda: "non-public address" in rng.stack.serve.log()[before:])
    logged = rng.stack.serve.log()[before:]
    assert "redirect from" in logged and "another origin" in logged
    assert DAV_PASSWORD not in logged and SECRET not in logged


def test_foreign_href_from_propfind_is_not_fetched(rng: Range) -> None:
    assert_generic_refusal(rng, connect(rng, rng.foreign.url))
    assert ("PROPFIND", "/principals/anna/") in rng.foreign.requests  # it got as far as the hrefs
    assert rng.target.hits == 0, f"a server-supplied href was fetched: {rng.target.requests}"


def test_huge_body_is_cut_off_at_the_cap(rng: Range) -> None:
    rng.endless_body.sent, rng.endless_body.cut_off = 0, False
    assert_generic_refusal(rng, connect(rng, rng.endless.url))
    deadline = time.monotonic() + 10
    while not rng.endless_body.cut_off and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rng.endless_body.cut_off, "Meetline kept reading"
    assert rng.endless_body.sent < 32 * 1024 * 1024


def test_non_caldav_answer_is_the_generic_message_not_a_500(rng: Range) -> None:
    response = connect(rng, rng.html.url)
    assert_generic_refusal(rng, response)
    assert rng.html.hits >= 1


# --------------------------------------------------------------------------- what still works, and the worker


def test_allowed_on_premise_server_connects(rng: Range) -> None:
    response = connect(rng, rng.dav.url)
    assert response.status == 200 and "errors" not in response.text, response.text
    status = rng.store.status(TEAM, HOST)
    assert status is not None and status.provider == "caldav"


def test_worker_never_reaches_an_inside_address_saved_earlier(rng: Range) -> None:
    """A connection saved before the guard (or before an operator narrowed
    CALDAV_ALLOW_HOSTS) points inside: the worker's PUT is refused on the address, and the
    job gives up instead of knocking again."""
    rng.store.save_caldav(
        TEAM,
        HOST,
        url=rng.internal.url,
        username=HOST_EMAIL,
        password=DAV_PASSWORD,
        calendar=None,
        email=HOST_EMAIL,
    )
    meeting = book(rng.stack, "SSRF worker drill")
    rng.stack.run_worker()
    rng.stack.run_worker()
    assert rng.internal.hits == 0, (
        f"the worker reached the internal service: {rng.internal.requests}"
    )
    with rng.stack.services.sessions() as session:
        jobs = session.scalars(
            select(JobModel).where(
                JobModel.meeting_id == meeting["id"], JobModel.kind == JobKind.CALENDAR_CREATE
            )
        ).all()
    assert [(j.status, j.attempts) for j in jobs] == [("failed", 1)]
