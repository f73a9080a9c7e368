"""Role drills: a member of an installed workspace tries to reach further than their role.

Each attack is sent as Slack would send it (signed, over HTTP, to the served app) and
each test checks what the attacker would notice — the answer, the DM, the files — and
that nothing was written. The roles come from handlers.policy: members run their own
meetings and see their own numbers, managers see the team's reports, admins change
settings and seats; admin comes from Slack's owner/admin flags or the first installer.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from adapters.report_files import report_chart_png
from bot.views.admin_views import ADMIN_CALLBACK, SEAT_CALLBACK
from handlers.i18n import translator
from handlers.policy import Actor, Role
from handlers.reports import MeetingReport
from storage.migrate import upgrade
from storage.models import JobModel, MeetingModel, TimelineEntryModel, UserModel, WorkspaceModel
from storage.reports import SqlReportSource
from tests.drills.helpers import book, booking_values, meetings_titled
from tests.e2e.test_reports import book as book_as
from tests.e2e.test_schedule_flow import WARSAW, in_days, submit
from tests.support.blockkit import assert_all_views_valid
from tests.support.fake_slack import Call, FakeSlack
from tests.support.server import SECRET_KEY, SIGNING_SECRET, ServeProcess, clean_env
from tests.support.slack_requests import (
    SlackClientSim,
    block_actions,
    checkboxes_value,
    event_body,
    select_value,
    text_value,
    time_value,
    user_value,
    view_submission,
)
from tests.support.stack import HOST, TEAMMATE, Stack

TEAM = "T0001"
MANAGER = "U4"  # granted by an admin in the seat modal
OWNER = "U5"  # the workspace's owner in Slack


@pytest.fixture(scope="module", autouse=True)
def _people(drill_stack: Stack) -> None:
    drill_stack.slack.add_user(
        MANAGER, name="mia", real_name="Mia Manager", email="mia@meetline.example"
    )
    drill_stack.slack.add_user(
        OWNER, name="olga", real_name="Olga Owner", email="olga@meetline.example", is_owner=True
    )


def roles(stack: Stack, user: str, *flags: str) -> None:
    """What the operator sets with `meetline users set` (the single-workspace way to name an admin)."""
    result = stack.cli("users", "set", user, "--team", TEAM, *flags)
    assert result.returncode == 0, result.stderr


def written(stack: Stack) -> tuple[Any, ...]:
    """Everything a refused attack could have changed: meetings, timeline, jobs, seats and
    roles, settings."""
    with stack.services.sessions() as session:
        return (
            sorted(
                session.execute(
                    select(
                        MeetingModel.id,
                        MeetingModel.status,
                        MeetingModel.outcome,
                        MeetingModel.sequence,
                        MeetingModel.title,
                        MeetingModel.start_at,
                        MeetingModel.host_user_id,
                    )
                ).all()
            ),
            session.scalar(select(func.count()).select_from(TimelineEntryModel)),
            sorted(session.execute(select(JobModel.id, JobModel.kind, JobModel.status)).all()),
            # Who holds a seat or a role (a profile cached with none grants nothing).
            sorted(
                row
                for row in session.execute(
                    select(
                        UserModel.team_id,
                        UserModel.slack_user_id,
                        UserModel.seat,
                        UserModel.is_admin,
                        UserModel.is_manager,
                        UserModel.is_sandbox,
                    )
                ).all()
                if row.seat != "none" or any(row[3:])
            ),
            sorted(
                (w.team_id, w.is_sandbox, json.dumps(w.settings, sort_keys=True))
                for w in session.scalars(select(WorkspaceModel))
            ),
        )


def told(stack: Stack, user: str, method: str = "chat.postEphemeral") -> str:
    """The refusal the attacker reads (an ephemeral note or a DM)."""
    calls = stack.slack.wait_for(
        method, predicate=lambda c: user in (c.args.get("user"), c.args.get("channel"))
    )
    return str(calls[-1].args["text"])


def click(stack: Stack, user: str, action_id: str, value: dict[str, Any], **kw: Any) -> None:
    stack.client.interact(
        block_actions(action_id, json.dumps(value), block_id="forged", user_id=user, **kw)
    )


def settings_values(**fields: Any) -> dict[str, Any]:
    return {
        "types_enabled": {"value": checkboxes_value([])},
        "types": {"value": text_value("")},
        "outcomes": {"value": text_value(fields.get("outcomes", ""))},
        "durations": {"value": text_value(fields.get("durations", "5, 10"))},
        "reminders": {"value": text_value("")},
        "work_start": {"value": time_value("09:00")},
        "work_end": {"value": time_value("17:00")},
        "timezone": {"value": text_value("Europe/Warsaw")},
        "language": {"value": select_value("en")},
        "video_default": {"value": checkboxes_value([])},
        "sandbox": {"value": checkboxes_value(["yes"] if fields.get("sandbox") else [])},
    }


def seat_values(user: str, seat: str, *granted: str) -> dict[str, Any]:
    return {
        "user": {"value": user_value(user)},
        "seat": {"value": select_value(seat)},
        "roles": {"value": checkboxes_value(list(granted))},
    }


def home_of(stack: Stack, user: str) -> dict[str, Any]:
    count = len(stack.slack.calls("views.publish"))
    stack.client.post(
        event_body({"type": "app_home_opened", "user": user, "tab": "home"}), "application/json"
    )
    return stack.slack.wait_for("views.publish", count=count + 1)[-1].args["view"]  # type: ignore[no-any-return]


def block_ids(view: dict[str, Any]) -> list[str]:
    return [b.get("block_id", "") for b in view["blocks"]]


# ---------------------------------------------------------------- settings and seats


def test_member_cannot_open_settings_or_the_seat_modal(stack: Stack) -> None:
    roles(stack, TEAMMATE, "--no-admin", "--no-manager")
    assert "admin_actions" not in block_ids(home_of(stack, TEAMMATE))
    before = written(stack)
    stack.client.interact(block_actions("admin_open", block_id="admin_actions", user_id=TEAMMATE))
    assert "Only Meetline admins" in told(stack, TEAMMATE, "chat.postMessage")
    stack.client.interact(
        block_actions(
            "admin_open_seats",
            block_id="seat_actions",
            user_id=TEAMMATE,
            view={"id": "VFORGED1", "callback_id": ADMIN_CALLBACK},
        )
    )
    stack.client.interact(
        block_actions("admin_open", block_id="admin_actions", user_id=HOST)
    )  # a marker
    stack.slack.wait_for("chat.postMessage", predicate=lambda c: c.args.get("channel") == HOST)
    assert stack.slack.calls("views.open") == [] and stack.slack.calls("views.push") == []
    assert written(stack) == before


def test_member_forged_settings_submission_writes_nothing(stack: Stack) -> None:
    roles(stack, TEAMMATE, "--no-admin", "--no-manager")
    before = written(stack)
    resp = stack.client.interact(
        view_submission(
            "VFORGED2",
            ADMIN_CALLBACK,
            settings_values(sandbox=True, outcomes="Paid"),
            user_id=TEAMMATE,
        )
    )
    assert resp.status == 200 and resp.json()["response_action"] == "errors"
    assert "Only Meetline admins" in json.dumps(resp.json()["errors"])
    assert written(stack) == before
    assert stack.services.workspaces.get(TEAM).durations != (5, 10)


def test_member_forged_seat_submission_grants_no_role(stack: Stack) -> None:
    roles(stack, TEAMMATE, "--no-admin", "--no-manager", "--seat", "none")
    before = written(stack)
    for target in (TEAMMATE, HOST):
        resp = stack.client.interact(
            view_submission(
                "VFORGED3",
                SEAT_CALLBACK,
                seat_values(target, "enterprise", "admin", "manager"),
                user_id=TEAMMATE,
            )
        )
        assert resp.json()["response_action"] == "errors"
        assert "Only Meetline admins" in json.dumps(resp.json()["errors"])
    assert written(stack) == before


def test_slack_owner_administers_and_grants_the_manager_role(stack: Stack) -> None:
    """The positive side of the drills above: Slack's owner is admin without any install,
    opens settings and seats, and makes a member a manager."""
    roles(stack, MANAGER, "--no-admin", "--no-manager")
    home = home_of(stack, OWNER)
    assert "admin_actions" in block_ids(home)
    stack.client.interact(
        block_actions(
            "admin_open", block_id="admin_actions", user_id=OWNER, view=home | {"id": "VHOME5"}
        )
    )
    opened = stack.slack.wait_for("views.open")[-1]
    settings = opened.view | {"id": opened.body["view"]["id"]}
    stack.client.interact(
        block_actions("admin_open_seats", block_id="seat_actions", user_id=OWNER, view=settings)
    )
    pushed = stack.slack.wait_for("views.push")[-1]
    options = json.dumps(pushed.args["view"])
    assert '"value": "manager"' in options
    resp = stack.client.interact(
        view_submission(
            pushed.body["view"]["id"],
            SEAT_CALLBACK,
            seat_values(MANAGER, "none", "manager"),
            user_id=OWNER,
        )
    )
    assert resp.status == 200 and not resp.text.strip(), resp.text
    listed = {
        u["user_id"]: u for u in json.loads(stack.cli("users", "--json", "--team", TEAM).stdout)
    }
    assert listed[MANAGER]["manager"] is True and listed[MANAGER]["role"] == "manager"
    assert listed[MANAGER]["admin"] is False
    assert (
        listed[OWNER]["role"] == "admin" and listed[OWNER]["admin"] is False
    )  # from Slack, not stored
    assert "admin_actions" not in block_ids(
        home_of(stack, MANAGER)
    )  # managers read, admins configure
    assert_all_views_valid(stack.slack)


# ---------------------------------------------------------------- meetings of others


@pytest.fixture
def hosts_meeting(stack: Stack) -> Iterator[dict[str, Any]]:
    """A meeting HOST booked for themselves; TEAMMATE is a plain member."""
    roles(stack, TEAMMATE, "--no-admin", "--no-manager")
    roles(stack, HOST, "--no-admin", "--no-manager")
    meeting = book(stack, f"Role drill {len(stack.meetings_json())}", days=5)
    stack.slack.clear()
    yield meeting


def test_non_host_cannot_set_an_outcome_with_a_forged_button(
    stack: Stack, hosts_meeting: dict[str, Any]
) -> None:
    before = written(stack)
    click(
        stack,
        TEAMMATE,
        f"outcome_completed:{hosts_meeting['id']}",
        {"m": hosts_meeting["id"], "o": "COMPLETED"},
    )
    assert "Only <@U1>, the host, or a Meetline admin" in told(stack, TEAMMATE)
    assert stack.slack.calls("chat.update") == []
    assert written(stack) == before


def test_non_host_cannot_change_an_outcome_with_a_forged_button(
    stack: Stack, hosts_meeting: dict[str, Any]
) -> None:
    before = written(stack)
    click(stack, TEAMMATE, f"outcome_change:{hosts_meeting['id']}", {"m": hosts_meeting["id"]})
    assert "can change the outcome" in told(stack, TEAMMATE)
    assert (
        stack.slack.calls("chat.update") == []
    )  # the meeting's buttons (title, attendees) were not drawn
    assert written(stack) == before


def test_non_host_cannot_edit_another_s_meeting_with_a_forged_button(
    stack: Stack, hosts_meeting: dict[str, Any]
) -> None:
    before = written(stack)
    click(stack, TEAMMATE, f"meeting_edit:{hosts_meeting['id']}", {"m": hosts_meeting["id"]})
    assert "can edit this meeting" in told(stack, TEAMMATE)
    assert stack.slack.calls("views.open") == []  # no form with the meeting's details
    assert written(stack) == before


def test_non_host_cannot_cancel_another_s_meeting_with_a_forged_button(
    stack: Stack, hosts_meeting: dict[str, Any]
) -> None:
    before = written(stack)
    click(stack, TEAMMATE, f"meeting_cancel:{hosts_meeting['id']}", {"m": hosts_meeting["id"]})
    assert "can cancel this meeting" in told(stack, TEAMMATE)
    assert written(stack) == before
    (meeting,) = [m for m in stack.meetings_json() if m["id"] == hosts_meeting["id"]]
    assert meeting["status"] == "scheduled" and meeting["outcome"] == "SCHEDULED"


def test_non_host_cannot_edit_another_s_meeting_with_a_forged_form(
    stack: Stack, hosts_meeting: dict[str, Any]
) -> None:
    """A meet_form submission whose private_metadata names someone else's meeting."""
    before = written(stack)
    meta = json.dumps({"k": "forged-edit", "tz": "Europe/Warsaw", "m": hosts_meeting["id"]})
    values = booking_values(stack, "Hijacked", days=6)
    resp = submit(
        stack, {"id": "VFORGED4", "private_metadata": meta, "blocks": []}, values, user=TEAMMATE
    )
    assert resp.json()["response_action"] == "errors"
    assert "can edit this meeting" in json.dumps(resp.json()["errors"])
    assert written(stack) == before
    assert meetings_titled(stack, "Hijacked") == []


def test_admin_who_is_not_the_host_may_set_the_outcome(
    stack: Stack, hosts_meeting: dict[str, Any]
) -> None:
    """The control for the refusals above: the same forged click works for an admin."""
    roles(stack, TEAMMATE, "--admin")
    try:
        click(
            stack,
            TEAMMATE,
            f"outcome_completed:{hosts_meeting['id']}",
            {"m": hosts_meeting["id"], "o": "COMPLETED"},
        )
        stack.slack.wait_for("chat.update")
        (meeting,) = [m for m in stack.meetings_json() if m["id"] == hosts_meeting["id"]]
        assert meeting["outcome"] == "COMPLETED"
    finally:
        roles(stack, TEAMMATE, "--no-admin")


# ---------------------------------------------------------------- reports


def report(stack: Stack, user: str, first: date, last: date) -> tuple[Call, dict[str, bytes]]:
    """`/meet report first..last` as `user`: the DM and the files uploaded with it."""

    def to_user(call: Call) -> bool:
        return call.args.get("channel") == user

    # Count only the DMs to `user`: other messages (a late mention DM) must not move the goal.
    posts = len([c for c in stack.slack.calls("chat.postMessage") if to_user(c)])
    files = len(stack.slack.uploaded_files())
    resp = stack.client.command(f"report {first}..{last}", user_id=user)
    assert resp.status == 200 and "Preparing" in resp.json()["text"]
    summary = stack.slack.wait_for(
        "chat.postMessage", count=posts + 1, timeout=30, predicate=to_user
    )[-1]
    stack.wait_until(lambda: len(stack.slack.uploaded_files()) >= files + 2, timeout=30)
    return summary, {
        f["name"].rsplit(".", 1)[-1]: f["data"] for f in stack.slack.uploaded_files()[files:]
    }


def csv_keys(data: bytes) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for row in csv.DictReader(io.StringIO(data.decode())):
        out.setdefault(row["dimension"], {})[row["key"]] = int(row["count"])
    return out


@pytest.fixture(scope="module")
def booked_for_reports(drill_stack: Stack) -> tuple[date, date]:
    """Two meetings HOST runs and one TEAMMATE runs, on days no other drill books."""
    drill_stack.slack.clear()
    for n, (user, days) in enumerate(((HOST, 20), (HOST, 21), (TEAMMATE, 21))):
        book_as(drill_stack, user, days, None, f"Report drill {n}")
    return in_days(20), in_days(22)


def test_member_report_has_only_their_own_meetings(
    stack: Stack, booked_for_reports: tuple[date, date]
) -> None:
    roles(stack, TEAMMATE, "--no-admin", "--no-manager")
    before = written(stack)
    summary, files = report(stack, TEAMMATE, *booked_for_reports)
    message = json.dumps(summary.args, ensure_ascii=False)
    assert summary.args["text"].startswith("Your meeting report")
    totals = next(b for b in summary.args["blocks"] if b.get("block_id") == "report_totals")
    assert totals["fields"][0]["text"] == "*Meetings*\n1"
    assert f"<@{TEAMMATE}>" in message
    for colleague in (f"<@{HOST}>", HOST, "Anna", "anna@"):
        assert colleague not in message.replace(TEAMMATE, ""), colleague
    counted = csv_keys(files["csv"])
    assert counted["host"] == {TEAMMATE: 1} and counted["organizer"] == {TEAMMATE: 1}
    assert counted["summary"]["meetings"] == 1
    assert "Anna" not in files["csv"].decode()
    assert all(f["title"].startswith("Your meetings") for f in stack.slack.uploaded_files()[-2:])
    # The chart is drawn from exactly the member's own report (not the team's).
    reader = Actor(TEAM, TEAMMATE, Role.MEMBER)
    use_case = MeetingReport(
        SqlReportSource(stack.services.sessions), stack.services.users, stack.services.clock
    )
    first, last = booked_for_reports
    period = use_case.period(f"{first}..{last}", "Europe/London")
    stack.clock.set(datetime.now(WARSAW))
    own = use_case(TEAM, period, t=translator("en"), reader=reader)
    team = use_case(TEAM, period, t=translator("en"))
    assert own.total == 1 and team.total == 3  # the team's numbers exist, and were not sent
    assert files["png"] == report_chart_png(own, translator("en"))
    assert files["png"] != report_chart_png(team, translator("en"))
    assert written(stack) == before


def test_manager_report_has_the_team(stack: Stack, booked_for_reports: tuple[date, date]) -> None:
    roles(stack, MANAGER, "--manager", "--no-admin")
    summary, files = report(stack, MANAGER, *booked_for_reports)
    assert summary.args["text"].startswith("Meeting report")
    counted = csv_keys(files["csv"])
    assert counted["host"] == {HOST: 2, TEAMMATE: 1} and counted["summary"]["meetings"] == 3
    hosts = next(b for b in summary.args["blocks"] if b.get("block_id") == "report_hosts")["text"][
        "text"
    ]
    assert f"<@{HOST}> — *2*" in hosts and f"<@{TEAMMATE}> — *1*" in hosts


def test_revoked_manager_is_back_to_their_own_numbers(
    stack: Stack, booked_for_reports: tuple[date, date]
) -> None:
    roles(stack, MANAGER, "--no-manager")
    summary, files = report(stack, MANAGER, *booked_for_reports)
    assert summary.args["text"].startswith("Your meeting report")
    assert csv_keys(files["csv"])["summary"]["meetings"] == 0
    assert HOST not in files["csv"].decode() and TEAMMATE not in files["csv"].decode()


# ---------------------------------------------------------------- installs


CLIENT = ("111.222", "s3cret")


def install(sim: SlackClientSim, slack: FakeSlack, user: str) -> None:
    """`user` runs /slack/install and approves it in Slack."""
    slack.oauth_response["authed_user"] = {"id": user}
    start = sim.get("/slack/install")
    cookie = start.headers["set-cookie"].split(";")[0]
    url = start.text[start.text.index("https://slack.com/oauth/v2/authorize") :]
    state = parse_qs(urlsplit(url[: url.index('"')].replace("&amp;", "&")).query)["state"][0]
    done = sim.get(f"/slack/oauth_redirect?code=c-{user}&state={state}", {"Cookie": cookie})
    assert done.status == 200 and "Meetline is installed" in done.text


def stored_admin(database_url: str, user: str) -> bool | None:
    from storage.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(UserModel.is_admin).where(
                    UserModel.team_id == TEAM, UserModel.slack_user_id == user
                )
            ).scalar()
    finally:
        engine.dispose()


def test_member_rerunning_install_does_not_become_admin(tmp_path: Path, database_url: str) -> None:
    with FakeSlack(oauth_client=CLIENT) as slack:
        slack.add_user("U1", name="anna", real_name="Anna Installer", email="anna@meetline.example")
        slack.add_user("U2", name="bob", real_name="Bob Member", email="bob@meetline.example")
        env = clean_env(
            {
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_CLIENT_ID": CLIENT[0],
                "SLACK_CLIENT_SECRET": CLIENT[1],
                "SECRET_KEY": SECRET_KEY,
                "PUBLIC_URL": "https://meetline.example",
                "SLACK_API_URL": slack.url,
                "DATABASE_URL": database_url,
            }
        )
        upgrade(database_url)
        with ServeProcess(env, tmp_path, ["--no-worker"]) as serve:
            sim = SlackClientSim(serve.url, SIGNING_SECRET)
            install(sim, slack, "U1")  # the first installer administers the workspace
            install(sim, slack, "U2")  # a member re-runs the install
            assert stored_admin(database_url, "U1") is True
            assert not stored_admin(database_url, "U2")

            sim.post(
                event_body({"type": "app_home_opened", "user": "U2", "tab": "home"}),
                "application/json",
            )
            home = slack.wait_for("views.publish")[-1].args["view"]
            assert "admin_actions" not in block_ids(home)
            resp = sim.interact(
                view_submission(
                    "VFORGED9",
                    SEAT_CALLBACK,
                    seat_values("U2", "enterprise", "admin"),
                    user_id="U2",
                )
            )
            assert resp.json()["response_action"] == "errors"
            sim.interact(block_actions("admin_open", block_id="admin_actions", user_id="U2"))
            refusal = slack.wait_for(
                "chat.postMessage", predicate=lambda c: c.args.get("channel") == "U2"
            )[-1]
            assert "Only Meetline admins" in refusal.args["text"]
            assert slack.calls("views.open") == []
            assert not stored_admin(database_url, "U2")
