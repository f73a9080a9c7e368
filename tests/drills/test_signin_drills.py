"""Calendar sign-in drills: a sign-in link is a bearer token, so each way of abusing one
is tried against the served app (`meetline serve` with the fake Slack and the fake
Google token endpoint; Microsoft through the same /oauth/ handler served in-process over
real HTTP, since msal only talks to an https authority, with its transport pointed at
the fake identity platform).

Two workspaces share the server: Anna in T0001 (anna@t1.test, in Slack and in her
Google/Microsoft account) and Bea in T0002 (bea@t2.test). A "browser" keeps the cookies
the server sets, like a real one. Every refused attempt must leave calendar_connections
exactly as it was.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import delete, select, update

from adapters.calendar_factory import ConnectedCalendars
from bot.calendar_oauth import start_link
from bot.services import Services
from bot.settings import Settings
from bot.wiring import build_services, calendar_oauth_for
from storage.calendar_connections import SqlCalendarConnections
from storage.calendar_models import CalendarConnectionModel, PendingConnectionModel
from storage.crypto import SecretBox, SecretBoxError
from storage.db import make_engine
from storage.migrate import upgrade
from storage.slack_stores import EncryptedInstallationStore
from tests.drills.conftest import fresh_database, postgres_server
from tests.support.blockkit import validate_blocks
from tests.support.calendar_fakes import FakeGoogleAccount, FakeGraphDelta
from tests.support.clock import MutableClock
from tests.support.fake_slack import Call, FakeSlack
from tests.support.server import (
    BOT_TOKEN,
    OTHER_SECRET_KEY,
    SECRET_KEY,
    SIGNING_SECRET,
    ServeProcess,
    clean_env,
    run_cli,
)
from tests.support.slack_requests import (
    Response,
    SlackClientSim,
    block_actions,
    event_body,
    http_request,
)

PUBLIC_URL = "https://meetline.test"
T1, ANNA, ANNA_EMAIL = "T0001", "U1", "anna@t1.test"
T2, BEA, BEA_EMAIL = "T0002", "UB2", "bea@t2.test"


@dataclass
class Browser:
    """A browser: sends back the cookies the server set (name=value only, as browsers do)."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, url: str) -> Response:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = (
            {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            if self.cookies
            else {}
        )
        resp = http_request("GET", self.base_url + target, None, headers)
        if "set-cookie" in resp.headers:
            name, _, rest = resp.headers["set-cookie"].partition("=")
            self.cookies[name] = rest.split(";")[0]
        return resp


@dataclass
class SigninStack:
    slack: FakeSlack
    google: FakeGoogleAccount
    client: SlackClientSim
    services: Services
    clock: MutableClock
    serve: ServeProcess
    env: dict[str, str]
    workdir: Path

    @property
    def store(self) -> SqlCalendarConnections:
        store = self.services.connections
        assert isinstance(store, SqlCalendarConnections)
        return store

    @property
    def calendars(self) -> ConnectedCalendars:
        calendars = self.services.calendars
        assert isinstance(calendars, ConnectedCalendars)
        return calendars

    def browser(self) -> Browser:
        return Browser(self.serve.url)

    def connections(self) -> list[tuple[str, str, str, str | None, str | None]]:
        with self.services.sessions() as session:
            rows = session.scalars(
                select(CalendarConnectionModel).order_by(CalendarConnectionModel.id)
            )
            return [(r.team_id, r.slack_user_id, r.provider, r.email, r.credentials) for r in rows]

    def home_link(self, team_id: str, user_id: str, provider: str = "google") -> str:
        """Open the App Home as the user and take the sign-in button's URL from it."""

        def mine(call: Call) -> bool:
            return call.args.get("user_id") == user_id

        count = len([c for c in self.slack.calls("views.publish") if mine(c)])
        self.client.post(
            event_body(
                {"type": "app_home_opened", "user": user_id, "tab": "home"}, team_id=team_id
            ),
            "application/json",
        )
        view = self.slack.wait_for("views.publish", count=count + 1, predicate=mine)[-1].args[
            "view"
        ]
        for block in view["blocks"]:
            for element in block.get("elements") or []:
                if (
                    isinstance(element, dict)
                    and element.get("action_id") == f"calendar_connect_{provider}"
                ):
                    return str(element["url"])
        raise AssertionError(f"no {provider} button on {user_id}'s Home")

    def google_sign_in(self, browser: Browser, link: str, account: str) -> Response:
        """Open the link, sign in to Google as `account`, come back to the callback."""
        started = browser.get(link)
        assert started.status == 302, started.text
        self.google.signin_email = account
        code, state = self.google.issue_code(started.headers["location"])
        return browser.get(f"{PUBLIC_URL}/oauth/google/callback?state={state}&code={code}")

    def dms(self, user_id: str) -> list[Call]:
        return [c for c in self.slack.calls("chat.postMessage") if c.args.get("channel") == user_id]


@pytest.fixture(scope="module")
def signin_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigninStack]:
    workdir = tmp_path_factory.mktemp("signin")
    kind = "postgresql" if postgres_server() else "sqlite"
    with (
        fresh_database(kind, workdir) as database_url,
        FakeSlack() as slack,
        FakeGoogleAccount(ANNA_EMAIL) as google,
    ):
        slack.add_user(ANNA, name="anna", real_name="Anna T1", email=ANNA_EMAIL, team_id=T1)
        slack.add_user(BEA, name="bea", real_name="Bea T2", email=BEA_EMAIL, team_id=T2)
        values = {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": slack.url,
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "PUBLIC_URL": PUBLIC_URL,
            "GOOGLE_CLIENT_ID": google.client_id,
            "GOOGLE_CLIENT_SECRET": google.client_secret,
            "GOOGLE_API_URL": google.url,
            "MS_CLIENT_ID": "meetline-app",
            "MS_CLIENT_SECRET": "meetline-secret",
            "MS_TENANT_ID": "contoso-tenant",
        }
        env = clean_env(
            {**values, "OAUTHLIB_INSECURE_TRANSPORT": "1"}
        )  # the fake token endpoint is http
        upgrade(database_url)
        clock = MutableClock()
        services = build_services(Settings(**values), clock=clock)
        with ServeProcess(env, workdir, ["--no-worker"]) as serve:
            try:
                yield SigninStack(
                    slack,
                    google,
                    SlackClientSim(serve.url, SIGNING_SECRET),
                    services,
                    clock,
                    serve,
                    env,
                    workdir,
                )
            finally:
                services.engine.dispose()


@pytest.fixture
def signin(signin_stack: SigninStack) -> SigninStack:
    """The module's app with no calendar connected and nothing waiting for confirmation."""
    signin_stack.slack.clear()
    signin_stack.clock.set(datetime.now(UTC))
    signin_stack.google.signin_email = None
    with signin_stack.services.sessions() as session, session.begin():
        session.execute(delete(CalendarConnectionModel))
        session.execute(delete(PendingConnectionModel))
    return signin_stack


def pending_question(stack: SigninStack, user_id: str) -> Call:
    (ask,) = [
        c
        for c in stack.slack.wait_for(
            "chat.postMessage", predicate=lambda c: c.args.get("channel") == user_id
        )
        if any(b.get("block_id") == "calendar_pending_actions" for b in c.args.get("blocks") or [])
    ]
    return ask


def connect_button(ask: Call) -> dict[str, Any]:
    (actions,) = [b for b in ask.args["blocks"] if b["block_id"] == "calendar_pending_actions"]
    return next(e for e in actions["elements"] if e["action_id"] == "calendar_pending_connect")


def click_connect(stack: SigninStack, ask: Call, *, user_id: str, team_id: str) -> None:
    button = connect_button(ask)
    count = len(stack.slack.calls("chat.postMessage")) + len(stack.slack.calls("chat.update"))
    resp = stack.client.interact(
        block_actions(
            "calendar_pending_connect",
            value=button["value"],
            block_id="calendar_pending_actions",
            user_id=user_id,
            team_id=team_id,
            channel_id=str(ask.response["channel"] if ask.response else "D1"),
            message_ts=str(ask.response["ts"] if ask.response else "1.1"),
        )
    )
    assert resp.status == 200
    deadline = (
        time.monotonic() + 10
    )  # every click is answered: the question updated, or a DM to the clicker
    while (
        len(stack.slack.calls("chat.postMessage")) + len(stack.slack.calls("chat.update")) <= count
    ):
        assert time.monotonic() < deadline, "the click was not answered"
        time.sleep(0.05)


# --------------------------------------------------------------------------- Google, served


def test_a_sign_in_link_opened_twice_is_refused_the_second_time(signin: SigninStack) -> None:
    link = signin.home_link(T1, ANNA)
    first = signin.browser().get(link)
    assert first.status == 302 and "set-cookie" in first.headers
    again = signin.browser().get(link)  # the same link, from anywhere, a second time
    assert again.status == 400 and "already" in again.text
    assert "location" not in again.headers and "set-cookie" not in again.headers
    same_browser = Browser(signin.serve.url)
    assert same_browser.get(link).status == 400
    assert signin.connections() == []


def test_every_home_render_mints_a_fresh_link_that_works_for_its_user(signin: SigninStack) -> None:
    old = signin.home_link(T1, ANNA)
    fresh = signin.home_link(T1, ANNA)
    assert fresh != old
    done = signin.google_sign_in(signin.browser(), fresh, ANNA_EMAIL)
    assert done.status == 200 and "connected" in done.text
    assert [(c[0], c[1], c[2], c[3]) for c in signin.connections()] == [
        (T1, ANNA, "google", ANNA_EMAIL)
    ]
    assert (
        signin.browser().get(old).status == 302
    )  # an older unused link still works once, until it expires


def test_a_sign_in_finished_in_another_browser_connects_nothing(signin: SigninStack) -> None:
    def code_redemptions() -> int:
        return len(
            [c for c in signin.google.calls("POST", "/token") if b"authorization_code" in c.body]
        )

    redeemed = code_redemptions()
    link = signin.home_link(T1, ANNA)
    victim = signin.browser()
    started = victim.get(link)
    assert started.status == 302
    cookie = started.headers["set-cookie"]
    assert (
        "HttpOnly" in cookie
        and "SameSite=Lax" in cookie
        and "Secure" in cookie
        and "Path=/oauth/google/" in cookie
    )
    code, state = signin.google.issue_code(started.headers["location"])
    callback = f"{PUBLIC_URL}/oauth/google/callback?state={state}&code={code}"
    # An attacker who got hold of the redirect (code and state) tries it without the
    # cookie, then with a cookie of their own browser's.
    stranger = signin.browser()
    refused = stranger.get(callback)
    assert refused.status == 400 and "another browser" in refused.text
    other = signin.browser()
    assert other.get(signin.home_link(T1, ANNA)).status == 302  # a cookie of its own
    assert other.cookies and other.cookies != victim.cookies
    assert other.get(callback).status == 400
    assert signin.connections() == []
    assert code_redemptions() == redeemed  # refused before the code was even redeemed
    # The state is gone too: the victim's own browser now has to start again.
    assert victim.get(callback).status == 400
    assert signin.connections() == []


def test_a_cookie_planted_in_the_victims_browser_is_not_trusted(signin: SigninStack) -> None:
    attacker = signin.browser()
    assert (
        attacker.get(signin.home_link(T1, ANNA)).status == 302
    )  # a cookie value the attacker knows
    victim = Browser(
        signin.serve.url, cookies=dict(attacker.cookies)
    )  # planted from a sibling subdomain
    started = victim.get(signin.home_link(T2, BEA))
    assert (
        started.status == 302 and victim.cookies != attacker.cookies
    )  # the start sets a fresh value
    code, state = signin.google.issue_code(started.headers["location"])
    refused = attacker.get(f"{PUBLIC_URL}/oauth/google/callback?state={state}&code={code}")
    assert refused.status == 400
    assert signin.connections() == []


def test_an_expired_sign_in_link_is_refused(signin: SigninStack) -> None:
    eleven_minutes_ago = datetime.now(UTC) - timedelta(minutes=11)
    old = start_link(signin.services.settings, "google", T1, ANNA, eleven_minutes_ago)
    assert old is not None
    resp = signin.browser().get(old)
    assert resp.status == 400 and "expired" in resp.text and "location" not in resp.headers
    nine_minutes_ago = datetime.now(UTC) - timedelta(minutes=9)
    recent = start_link(signin.services.settings, "google", T1, ANNA, nine_minutes_ago)
    assert recent is not None and signin.browser().get(recent).status == 302
    assert signin.connections() == []


def test_a_forged_or_foreign_link_is_refused(signin: SigninStack) -> None:
    link = signin.home_link(T1, ANNA)
    sealed = parse_qs(urlsplit(link).query)["s"][0]
    # The same sealed value for the other provider, a stored-token ciphertext made with the
    # same SECRET_KEY (another HKDF label), and a link sealed with another server's key.
    as_microsoft = f"{PUBLIC_URL}/oauth/microsoft/start?s={sealed}"
    token_box = SecretBox(SECRET_KEY).encrypt(
        json.dumps(
            {
                "t": T2,
                "u": BEA,
                "p": "google",
                "n": "x" * 24,
                "x": int(datetime.now(UTC).timestamp()) + 600,
            }
        )
    )
    foreign = start_link(
        signin.services.settings.model_copy(update={"SECRET_KEY": OTHER_SECRET_KEY}),
        "google",
        T2,
        BEA,
        datetime.now(UTC),
    )
    assert foreign is not None
    for url in (as_microsoft, f"{PUBLIC_URL}/oauth/google/start?s={token_box}", foreign):
        resp = signin.browser().get(url)
        assert resp.status == 400 and "location" not in resp.headers, url
    assert signin.connections() == []


def test_matching_email_connects_at_once(signin: SigninStack) -> None:
    done = signin.google_sign_in(signin.browser(), signin.home_link(T2, BEA), BEA_EMAIL.upper())
    assert done.status == 200 and "connected" in done.text
    (row,) = signin.connections()
    assert (
        row[:3] == (T2, BEA, "google")
        and row[3] == BEA_EMAIL.upper()
        and str(row[4]).startswith("enc1:")
    )
    assert any(
        "is connected" in c.args.get("text", "")
        for c in signin.slack.wait_for(
            "chat.postMessage", predicate=lambda c: c.args.get("channel") == BEA
        )
    )


def test_someone_elses_link_signed_in_with_another_email_asks_the_owner_and_saves_nothing(
    signin: SigninStack,
) -> None:
    bea_link = signin.home_link(T2, BEA)  # Bea's link reaches Anna (forwarded, shoulder-surfed, …)
    anna_browser = signin.browser()
    page = signin.google_sign_in(anna_browser, bea_link, ANNA_EMAIL)
    assert page.status == 200 and "Confirm in Slack" in page.text
    assert (
        BEA_EMAIL not in page.text and "Bea" not in page.text
    )  # nothing about Bea for whoever holds the browser
    assert signin.connections() == []
    ask = pending_question(signin, BEA)
    assert ask.args["text"] == f"Connect {ANNA_EMAIL}?"
    validate_blocks(ask.args["blocks"])
    assert signin.dms(ANNA) == []  # the question goes to the link's owner only
    # Bea does not answer for half an hour (the served process runs on the real clock, so
    # the row is aged instead): the question has expired and connects nothing.
    with signin.services.sessions() as session, session.begin():
        session.execute(
            update(PendingConnectionModel).values(
                expires_at=datetime.now(UTC) - timedelta(minutes=1)
            )
        )
    click_connect(signin, ask, user_id=BEA, team_id=T2)
    assert signin.connections() == []
    assert any("expired" in c.args.get("text", "") for c in signin.dms(BEA))


def test_the_owner_confirming_connects_the_other_account(signin: SigninStack) -> None:
    signin.google_sign_in(signin.browser(), signin.home_link(T2, BEA), ANNA_EMAIL)
    ask = pending_question(signin, BEA)
    click_connect(signin, ask, user_id=BEA, team_id=T2)
    (row,) = signin.connections()
    assert row[:4] == (T2, BEA, "google", ANNA_EMAIL)
    (update,) = signin.slack.wait_for("chat.update")
    assert "is connected" in update.args["text"] and update.args["ts"] == ask.response["ts"]  # type: ignore[index]
    # The account works: the stored (encrypted) credentials build a calendar.
    account = signin.store.account(T2, BEA)
    assert account is not None and signin.calendars.calendar(account) is not None
    click_connect(signin, ask, user_id=BEA, team_id=T2)  # a double click changes nothing
    assert [r[:4] for r in signin.connections()] == [(T2, BEA, "google", ANNA_EMAIL)]


def test_a_confirmation_clicked_by_another_user_is_refused(signin: SigninStack) -> None:
    signin.google_sign_in(signin.browser(), signin.home_link(T2, BEA), ANNA_EMAIL)
    ask = pending_question(signin, BEA)
    # Anna (the other workspace) and the same user id in the wrong workspace send Bea's button.
    click_connect(signin, ask, user_id=ANNA, team_id=T1)
    click_connect(signin, ask, user_id=BEA, team_id=T1)
    assert signin.connections() == []
    assert signin.slack.calls("chat.update") == []  # Bea's question is left as it was
    assert any("not yours" in c.args.get("text", "") for c in signin.dms(ANNA))
    click_connect(signin, ask, user_id=BEA, team_id=T2)  # and still answers to Bea herself
    assert [r[:4] for r in signin.connections()] == [(T2, BEA, "google", ANNA_EMAIL)]


def test_an_unverified_google_address_is_not_trusted_as_a_match(signin: SigninStack) -> None:
    signin.google.email_verified = False
    try:
        page = signin.google_sign_in(signin.browser(), signin.home_link(T1, ANNA), ANNA_EMAIL)
    finally:
        signin.google.email_verified = True
    assert "Confirm in Slack" in page.text
    assert signin.connections() == []
    pending_question(signin, ANNA)


# --------------------------------------------------------------------------- Microsoft


@pytest.fixture
def microsoft(signin: SigninStack) -> Iterator[tuple[FakeGraphDelta, str]]:
    """The /oauth/ handler `meetline serve` mounts, served over HTTP in-process, with msal's
    transport sent to the fake identity platform (Anna's account: anna@t1.test)."""
    with FakeGraphDelta(user_email=ANNA_EMAIL) as graph:
        store = signin.calendars
        saved = store.config
        store.config = replace(
            saved,
            ms_client_id=graph.client_id,
            ms_client_secret=graph.client_secret,
            ms_tenant_id=graph.tenant_id,
            graph_api_url=graph.graph_url,
            msal_http_client=graph.msal_http(),
        )
        handler = calendar_oauth_for(signin.services)
        assert handler is not None

        class Quiet(WSGIRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        server: WSGIServer = make_server("127.0.0.1", 0, handler, handler_class=Quiet)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield graph, f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            store.config = saved


def microsoft_sign_in(graph: FakeGraphDelta, browser: Browser, link: str) -> Response:
    started = browser.get(link)
    assert started.status == 302, started.text
    code, state = graph.authorize(started.headers["location"])
    return browser.get(f"{PUBLIC_URL}/oauth/microsoft/callback?code={code}&state={state}")


def test_microsoft_link_opened_twice_or_finished_elsewhere_connects_nothing(
    signin: SigninStack, microsoft: tuple[FakeGraphDelta, str]
) -> None:
    graph, url = microsoft
    link = signin.home_link(T1, ANNA, "microsoft")
    browser = Browser(url)
    started = browser.get(link)
    assert started.status == 302 and Browser(url).get(link).status == 400  # single use
    assert parse_qs(urlsplit(started.headers["location"]).query)["response_mode"] == ["query"]
    code, state = graph.authorize(started.headers["location"])
    refused = Browser(url).get(f"{PUBLIC_URL}/oauth/microsoft/callback?code={code}&state={state}")
    assert refused.status == 400
    assert signin.connections() == []


def test_microsoft_account_of_someone_else_waits_for_the_owner_and_a_matching_one_connects(
    signin: SigninStack, microsoft: tuple[FakeGraphDelta, str]
) -> None:
    graph, url = microsoft
    page = microsoft_sign_in(graph, Browser(url), signin.home_link(T2, BEA, "microsoft"))
    assert page.status == 200 and "Confirm in Slack" in page.text
    assert signin.connections() == []
    assert pending_question(signin, BEA).args["text"] == f"Connect {ANNA_EMAIL}?"
    done = microsoft_sign_in(graph, Browser(url), signin.home_link(T1, ANNA, "microsoft"))
    assert done.status == 200 and "connected" in done.text
    assert [r[:4] for r in signin.connections()] == [(T1, ANNA, "microsoft", ANNA_EMAIL)]


# --------------------------------------------------------------------------- keys


def test_rotate_keys_moves_every_stored_secret_to_the_new_key(tmp_path: Path) -> None:
    from slack_sdk.oauth.installation_store import Installation
    from sqlalchemy.orm import sessionmaker

    database_url = f"sqlite:///{tmp_path / 'rotate.db'}"
    old, new = SECRET_KEY, OTHER_SECRET_KEY
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        SqlCalendarConnections(sessionmaker(engine), SecretBox(old)).save_google(
            T1, ANNA, '{"token": "ya29"}', ANNA_EMAIL
        )
        EncryptedInstallationStore("client", engine, SecretBox(old)).save(
            Installation(
                app_id="A1",
                enterprise_id=None,
                team_id=T2,
                user_id=BEA,
                bot_token="xoxb-t2",
                bot_id="B1",
                bot_user_id="UBOT",
            )
        )
    finally:
        engine.dispose()

    def cli(key: str) -> Any:
        return run_cli(
            ["rotate-keys"], clean_env({"DATABASE_URL": database_url, "SECRET_KEY": key}), tmp_path
        )

    wrong = cli(new)  # the old key left out: refused, nothing changed
    reason = wrong.stderr.strip().splitlines()[-1]  # after the migration's log lines
    assert wrong.returncode == 2 and reason.startswith("meetline: ") and "SECRET_KEY" in reason, (
        wrong.stderr
    )
    rotated = cli(f"{new},{old}")
    assert rotated.returncode == 0, rotated.stderr
    assert (
        "re-encrypted 3 stored secret(s)" in rotated.stdout
    )  # calendar tokens, the installation and its bot

    engine = make_engine(database_url)
    try:
        store = SqlCalendarConnections(sessionmaker(engine), SecretBox(new))
        account = store.account(T1, ANNA)
        assert account is not None and json.loads(store.secret(account.id)) == {"token": "ya29"}
        bot = EncryptedInstallationStore("client", engine, SecretBox(new)).find_bot(
            enterprise_id=None, team_id=T2
        )
        assert bot is not None and bot.bot_token == "xoxb-t2"
        with pytest.raises(SecretBoxError):
            SecretBox(old).decrypt(store._row(T1, ANNA).credentials)  # type: ignore[union-attr]
    finally:
        engine.dispose()
    assert cli(new).returncode == 0  # with the new key alone everything still reads


@pytest.mark.parametrize(
    "key",
    [
        "test-secret-key-0123456789abcdef",
        "a" * 64,
        "ab" * 40,
        f"{SECRET_KEY},short",
        f"{SECRET_KEY},,{OTHER_SECRET_KEY}",
    ],
)
def test_a_weak_secret_key_stops_start_up_with_one_line(tmp_path: Path, key: str) -> None:
    env = clean_env(
        {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "SECRET_KEY": key,
        }
    )
    result = run_cli(["serve"], env, tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "SECRET_KEY" in lines[0], result.stderr
    assert key.split(",")[0] not in result.stderr  # the key itself is never echoed
