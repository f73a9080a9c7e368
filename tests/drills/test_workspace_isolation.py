"""Two workspaces installed over OAuth into one running Meetline: a member (and an admin)
of T2 tries to reach T1's records and meetings with forged action values, option values,
private_metadata and ids. Each attack is a named drill; each checks what the attacker
sees (every call to the fake Slack, every HTTP answer, every mail) and that nothing of
T1 was written.

Ids are sequential, so the attacker is assumed to know T1's ids: the drills read them
from the database.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from bot.services import Services
from bot.settings import Settings
from bot.wiring import build_services, build_worker
from handlers.records_csv import import_records
from storage.migrate import upgrade
from storage.models import JobModel, MeetingModel, RecordModel, TimelineEntryModel
from tests.drills.conftest import fresh_database, postgres_server
from tests.e2e.forms import meet_values
from tests.e2e.test_oauth_install import CLIENT, authorize_url
from tests.e2e.test_schedule_flow import in_days
from tests.support.clock import MutableClock
from tests.support.fake_slack import Call, FakeSlack
from tests.support.server import SECRET_KEY, SIGNING_SECRET, ServeProcess, clean_env, run_cli
from tests.support.slack_requests import (
    Response,
    SlackClientSim,
    block_actions,
    block_suggestion,
    view_submission,
)
from tests.support.smtp_sink import SmtpSink

T1, T2 = "T1ISO", "T2ISO"
ANNA = "UA1"  # installed Meetline into T1: its admin, and the host of T1's meeting
BEN = "UB1"  # installed Meetline into T2: T2's admin
BEA = "UB2"  # a member of T2

T1_CSV = """type,id,name,email,phone,timezone,associations
company,acme,Acme Secret Corp,,+48 22 999 88 77,Europe/Warsaw,
contact,jane,Jane Secret,jane@t1-customer.example,,Europe/Warsaw,acme
deal,d1,Secret Renewal Deal,,,,acme;jane
"""
T2_CSV = """type,id,name,email,phone,timezone,associations
contact,tom,Tom Two,tom@t2-customer.example,,Europe/Warsaw,
"""
LEGACY_CSV = """type,id,name,email,phone,timezone,associations
company,legacy,Legacy Shared Holdings,,,,
"""
T1_TITLE = "T1 secret pricing call"
T1_PHONE = "+48 600 000 111"
# Anything of T1 that must never reach T2: names, emails, the meeting's title and phone.
T1_SECRETS = (
    "Jane Secret",
    "Acme Secret",
    "Secret Renewal",
    "t1-customer",
    "secret pricing",
    "600 000 111",
    "Legacy Shared",
)
NOT_FOUND = "This meeting no longer exists."
GONE = "This meeting was cancelled or no longer exists."


@dataclass
class TwoWorkspaces:
    slack: FakeSlack
    smtp: SmtpSink
    client: SlackClientSim
    services: Services
    clock: MutableClock
    env: dict[str, str]
    workdir: Path
    imports: dict[str, Any]

    def record_id(self, team: str, name: str) -> int:
        found = self.services.records.search(team, name, limit=1)
        assert found and found[0].name == name, name
        return found[0].id

    def t1_meeting(self) -> dict[str, Any]:
        (meeting,) = [m for m in self.meetings(T1) if m["title"] == T1_TITLE]
        return meeting

    def meetings(self, team: str) -> list[dict[str, Any]]:
        result = run_cli(["meetings", "--json", "--team", team], self.env, self.workdir)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    def run_worker(self) -> None:
        self.clock.set(max(self.clock.now(), datetime.now(UTC)))
        build_worker(self.services).run_once()

    def t1_state(self) -> tuple[Any, ...]:
        """Everything of T1 an attack could change: its meetings, their timeline and jobs."""
        with self.services.sessions() as session:
            meetings = session.execute(
                select(
                    MeetingModel.id,
                    MeetingModel.sequence,
                    MeetingModel.status,
                    MeetingModel.outcome,
                    MeetingModel.title,
                    MeetingModel.start_at,
                )
                .where(MeetingModel.team_id == T1)
                .order_by(MeetingModel.id)
            ).all()
            t1_records = select(RecordModel.id).where(RecordModel.team_id == T1)
            timeline = session.execute(
                select(
                    TimelineEntryModel.id, TimelineEntryModel.kind, TimelineEntryModel.meeting_id
                )
                .where(TimelineEntryModel.record_id.in_(t1_records))
                .order_by(TimelineEntryModel.id)
            ).all()
            jobs = session.execute(
                select(JobModel.id, JobModel.kind, JobModel.status)
                .where(JobModel.meeting_id.in_([m.id for m in meetings]))
                .order_by(JobModel.id)
            ).all()
        return tuple(meetings), tuple(timeline), tuple(jobs)

    def meeting_count(self, team: str) -> int:
        with self.services.sessions() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(MeetingModel)
                    .where(MeetingModel.team_id == team)
                )
                or 0
            )


def _install(slack: FakeSlack, sim: SlackClientSim, team: str, installer: str, token: str) -> None:
    slack.oauth_response.update(
        {
            "access_token": token,
            "team": {"id": team, "name": f"Team {team}"},
            "authed_user": {"id": installer},
        }
    )
    start = sim.get("/slack/install")
    cookie = start.headers["set-cookie"].split(";")[0]
    state = parse_qs(urlsplit(authorize_url(start.text)).query)["state"][0]
    done = sim.get(f"/slack/oauth_redirect?code=c-{team}&state={state}", {"Cookie": cookie})
    assert done.status == 200 and "Meetline is installed" in done.text, done.text


def _import(env: dict[str, str], workdir: Path, csv: str, *team: str) -> Any:
    path = workdir / f"records-{time.time_ns()}.csv"
    path.write_text(csv, encoding="utf-8")
    return run_cli(["import", str(path), *(["--team", *team] if team else [])], env, workdir)


def _open_form(w: TwoWorkspaces, team: str, user: str) -> dict[str, Any]:
    opened = len(w.slack.calls("views.open"))
    updated = len(w.slack.calls("views.update"))
    resp = w.client.command("", user_id=user, team_id=team)
    assert resp.status == 200, resp.text
    view_id = (w.slack.wait_for("views.open", count=opened + 1)[-1].response or {})["view"]["id"]
    update = w.slack.wait_for("views.update", count=updated + 1)[-1]
    assert update.args["view_id"] == view_id
    return update.view | {"id": view_id}


def _more_options(w: TwoWorkspaces, team: str, user: str, view: dict[str, Any]) -> dict[str, Any]:
    """The form after its "More options" button: host, notes and associated records shown."""
    updated = len(w.slack.calls("views.update"))
    action = block_actions(
        "more_options", "more", block_id="more", view=view, user_id=user, team_id=team
    )
    assert w.client.interact(action).status == 200
    return w.slack.wait_for("views.update", count=updated + 1)[-1].view | {"id": view["id"]}


def _submit(
    w: TwoWorkspaces,
    team: str,
    user: str,
    view: dict[str, Any],
    values: dict[str, Any],
    metadata: str | None = None,
) -> Response:
    payload = view_submission(
        view["id"],
        "meet_form",
        values,
        private_metadata=metadata or view["private_metadata"],
        view=view,
        user_id=user,
        team_id=team,
    )
    return w.client.interact(payload)


def _quiet(w: TwoWorkspaces, idle: float = 0.6, limit: float = 8.0) -> list[Call]:
    """Every call to the fake Slack once the app has stopped making them (the listeners
    run after the ack, so a silent answer is only known by waiting)."""
    deadline = time.monotonic() + limit
    seen = -1
    while time.monotonic() < deadline:
        calls = w.slack.calls()
        if len(calls) == seen:
            return calls
        seen = len(calls)
        time.sleep(idle)
    return w.slack.calls()


def _leaks(*texts: Any) -> list[str]:
    dump = " ".join(
        t if isinstance(t, str) else json.dumps(t, ensure_ascii=False, default=str) for t in texts
    )
    return [s for s in T1_SECRETS if s.lower() in dump.lower()]


def _seen_by_slack(calls: list[Call]) -> list[Any]:
    return [{"method": c.method, "args": c.args} for c in calls]


def _answers(calls: list[Call]) -> list[tuple[str, str]]:
    """What the clicking user is told: (method, text) of each message or view call."""
    return [
        (c.method, str(c.args.get("text", "")))
        for c in calls
        if c.method.startswith(("chat.", "views."))
    ]


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoWorkspaces]:
    workdir = tmp_path_factory.mktemp("iso")
    kind = "postgresql" if postgres_server() else "sqlite"
    with (
        fresh_database(kind, workdir) as url,
        FakeSlack(oauth_client=CLIENT) as slack,
        SmtpSink() as smtp,
    ):
        slack.add_user(ANNA, name="anna", real_name="Anna One", email="anna@t1.test", team_id=T1)
        slack.add_user(BEN, name="ben", real_name="Ben Two", email="ben@t2.test", team_id=T2)
        slack.add_user(BEA, name="bea", real_name="Bea Two", email="bea@t2.test", team_id=T2)
        values = {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_CLIENT_ID": CLIENT[0],
            "SLACK_CLIENT_SECRET": CLIENT[1],
            "SECRET_KEY": SECRET_KEY,
            "PUBLIC_URL": "https://meetline.example",
            "SLACK_API_URL": slack.url,
            "DATABASE_URL": url,
            "SMTP_URL": smtp.url,
            "MAIL_FROM": "meetline@meetline.example",
        }
        env = clean_env(values)
        upgrade(url)
        imports: dict[str, Any] = {}
        clock = MutableClock()
        services = build_services(Settings(**values), clock=clock)
        try:
            with ServeProcess(env, workdir, ["--no-worker"]) as serve:
                sim = SlackClientSim(serve.url, SIGNING_SECRET)
                _install(slack, sim, T1, ANNA, "xoxb-t1")
                imports["one installed"] = _import(env, workdir, T1_CSV)
                _install(slack, sim, T2, BEN, "xoxb-t2")
                imports["two installed"] = _import(env, workdir, T2_CSV)
                imports["two installed, --team"] = _import(env, workdir, T2_CSV, T2)
                # What an older version left: records with an empty team, then seen by all.
                import_records(services.records, "", LEGACY_CSV)
                w = TwoWorkspaces(slack, smtp, sim, services, clock, env, workdir, imports)
                _book_t1_meeting(w)
                yield w
        finally:
            services.engine.dispose()


def _book_t1_meeting(w: TwoWorkspaces) -> None:
    jane = w.record_id(T1, "Jane Secret")
    view = _open_form(w, T1, ANNA)
    values = meet_values(
        record=(f"r:{jane}", "Jane Secret"),
        day=in_days(3),
        at="10:30",
        title=T1_TITLE,
        attendees=[(f"c:{jane}", "Jane Secret")],
        location="phone",
        detail=T1_PHONE,
        associated=[(f"r:{w.record_id(T1, 'Secret Renewal Deal')}", "Secret Renewal Deal")],
    )
    resp = _submit(w, T1, ANNA, view, values)
    assert resp.status == 200 and resp.json()["response_action"] == "update", resp.text
    w.run_worker()
    assert "jane@t1-customer.example" in {r for m in w.smtp.wait_for(2) for r in m.rcpt_tos}


@pytest.fixture
def w(two: TwoWorkspaces) -> TwoWorkspaces:
    _quiet(two)
    two.slack.clear()
    two.smtp.clear()
    return two


# --------------------------------------------------------------------------- records


def test_t2_record_picker_with_a_t1_record_id_fills_nothing_of_t1(w: TwoWorkspaces) -> None:
    before = w.t1_state()
    view = _open_form(w, T2, BEA)
    updates = len(w.slack.calls("views.update"))

    def pick(value: str) -> None:
        values = meet_values(record=(value, "Jane"), day=None, at=None)
        current = view | {"state": {"values": values}}
        resp = w.client.interact(
            block_actions(
                "record_select",
                block_id="record",
                view=current,
                user_id=BEA,
                team_id=T2,
                selected_option=values["record"]["record_select"]["selected_option"],
                action_type="external_select",
            )
        )
        assert resp.status == 200

    for forged in (
        f"r:{w.record_id(T1, 'Jane Secret')}",
        f"r:{w.record_id(T1, 'Acme Secret Corp')}",
        f"r:{w.record_id(T1, 'Secret Renewal Deal')}",
        "r:99999999999999999999",
        "r:-1",
        "r:1e3",
    ):
        pick(forged)
    calls = _quiet(w)
    assert (
        len([c for c in calls if c.method == "views.update"]) == updates
    )  # the form is left as it was
    # The same action with T2's own record does fill the form: the drill can see a leak.
    pick(f"r:{w.record_id(T2, 'Tom Two')}")
    filled = w.slack.wait_for("views.update", count=updates + 1)[-1].args["view"]
    assert "Tom Two" in json.dumps(filled)
    assert _leaks(_seen_by_slack(w.slack.calls())) == []
    assert w.t1_state() == before


def test_t2_pickers_offer_no_t1_or_legacy_records_whatever_the_query(w: TwoWorkspaces) -> None:
    view = _open_form(w, T2, BEA)
    for action_id, block_id in (
        ("record_select", "record"),
        ("attendee_select", "attendees"),
        ("associated_select", "associated"),
    ):
        for query in ("Jane", "Secret", "acme", "t1-customer", "Legacy", ""):
            resp = w.client.interact(
                block_suggestion(
                    action_id, query, block_id=block_id, view=view, user_id=BEA, team_id=T2
                )
            )
            assert resp.status == 200
            assert _leaks(resp.text) == [], (action_id, query, resp.text)
        own = w.client.interact(
            block_suggestion(
                action_id, "Tom", block_id=block_id, view=view, user_id=BEA, team_id=T2
            )
        )
        assert "Tom Two" in own.text  # the same search finds T2's own record


def test_t2_submission_with_t1_contact_record_or_associated_record_books_nothing(
    w: TwoWorkspaces,
) -> None:
    before, t2_before = w.t1_state(), w.meeting_count(T2)
    jane, deal = w.record_id(T1, "Jane Secret"), w.record_id(T1, "Secret Renewal Deal")
    tom = (f"r:{w.record_id(T2, 'Tom Two')}", "Tom Two")
    view = _more_options(w, T2, BEA, _open_form(w, T2, BEA))  # associated records live there
    attempts = {
        "attendees": meet_values(
            record=tom,
            day=in_days(4),
            at="11:00",
            title="T2 grab",
            attendees=[(f"c:{jane}", "Jane")],
        ),
        "record": meet_values(
            record=(f"r:{jane}", "Jane"), day=in_days(4), at="11:00", title="T2 grab", attendees=[]
        ),
        "associated": meet_values(
            record=tom,
            day=in_days(4),
            at="11:00",
            title="T2 grab",
            attendees=[],
            associated=[(f"r:{deal}", "Deal")],
        ),
    }
    for field, values in attempts.items():
        resp = _submit(w, T2, BEA, view, values)
        assert resp.status == 200, resp.text
        answer = resp.json()
        assert answer["response_action"] == "errors" and field in answer["errors"], (field, answer)
        assert _leaks(resp.text) == []
    # A contact id that does not exist at all gets the very same answer.
    missing = _submit(
        w,
        T2,
        BEA,
        view,
        meet_values(
            record=tom,
            day=in_days(4),
            at="11:00",
            title="T2 grab",
            attendees=[("c:987654321", "Jane")],
        ),
    )
    foreign = _submit(w, T2, BEA, view, attempts["attendees"])
    assert missing.json() == foreign.json()
    w.run_worker()
    assert [
        r for m in w.smtp.messages for r in m.rcpt_tos
    ] == []  # no mail to T1's customer, nor anyone
    assert w.meeting_count(T2) == t2_before
    assert w.t1_state() == before
    assert _leaks(_seen_by_slack(_quiet(w))) == []


@pytest.mark.parametrize(
    "value",
    ["c:" + "9" * 31, "c:99999999999999999999", "c:-1", "c:0", "c:abc", "c:²", "c:" + "1" * 5000],
)
def test_out_of_range_and_junk_attendee_ids_get_the_missing_answer_never_a_500(
    w: TwoWorkspaces, value: str
) -> None:
    before, t2_before = w.t1_state(), w.meeting_count(T2)
    tom = (f"r:{w.record_id(T2, 'Tom Two')}", "Tom Two")
    view = _open_form(w, T2, BEA)
    values = meet_values(
        record=tom,
        day=in_days(4),
        at="12:00",
        title="Junk ids",
        attendees=[(value, "x")],
        associated=[("r:" + value[2:], "x")] if value.startswith("c:") else [],
    )
    resp = _submit(w, T2, BEA, view, values)
    assert resp.status == 200, resp.text
    answer = resp.json()
    assert answer["response_action"] == "errors" and "attendees" in answer["errors"], answer
    assert w.t1_state() == before and w.meeting_count(T2) == t2_before
    record_junk = _submit(
        w,
        T2,
        BEA,
        view,
        meet_values(
            record=("r:" + value[2:], "x"),
            day=in_days(4),
            at="12:00",
            title="Junk ids",
            attendees=[],
        ),
    )
    assert record_junk.status == 200 and record_junk.json()["response_action"] == "errors"


# --------------------------------------------------------------------------- timeline


def test_t2_timeline_of_t1_and_legacy_records_shows_nothing(w: TwoWorkspaces) -> None:
    for query in (
        "Jane Secret",
        "Acme Secret Corp",
        "Secret Renewal Deal",
        "Legacy Shared Holdings",
    ):
        resp = w.client.command(f"timeline {query}", user_id=BEA, team_id=T2)
        assert resp.status == 200
        # Exactly the answer for a name nobody has: the query echoed, nothing else.
        assert resp.json() == {
            "text": f"No record matches “{query}”.",
            "response_type": "ephemeral",
        }, resp.text
    # T1 itself sees its meeting there: the drill would notice a leak.
    own = w.client.command("timeline Jane Secret", user_id=ANNA, team_id=T1)
    assert T1_TITLE in own.text
    assert _leaks(_seen_by_slack(_quiet(w))) == []


# --------------------------------------------------------------------------- meetings


def test_t2_admin_pressing_t1_outcome_and_change_buttons_reads_and_writes_nothing(
    w: TwoWorkspaces,
) -> None:
    before = w.t1_state()
    mid = w.t1_meeting()["id"]

    def press(meeting_id: Any) -> list[tuple[str, str]]:
        w.slack.clear()
        for action_id, value in (
            (f"outcome_change:{mid}", {"m": meeting_id}),
            (f"outcome_completed:{mid}", {"m": meeting_id, "o": "COMPLETED"}),
            (f"outcome_no_show:{mid}", {"m": meeting_id, "o": "NO_SHOW"}),
        ):
            resp = w.client.interact(
                block_actions(
                    action_id,
                    json.dumps(value),
                    block_id="outcome",
                    user_id=BEN,
                    team_id=T2,
                    channel_id="DBEN",
                )
            )
            assert resp.status == 200
        calls = _quiet(w)
        assert _leaks(_seen_by_slack(calls)) == []
        assert not [
            c for c in calls if c.method == "chat.update"
        ]  # the message is not redrawn with T1's data
        return _answers(calls)

    foreign = press(mid)
    assert foreign == press(987654321)  # T1's meeting is answered exactly like a missing one
    assert all(text in ("", NOT_FOUND) for _, text in foreign)
    assert w.t1_state() == before
    assert w.t1_meeting()["outcome"] == "SCHEDULED"


def test_t2_forged_meeting_ids_in_edit_and_cancel_buttons(w: TwoWorkspaces) -> None:
    before = w.t1_state()
    mid = w.t1_meeting()["id"]

    def press(meeting_id: Any) -> list[tuple[str, str]]:
        w.slack.clear()
        for action_id in (f"meeting_edit:{mid}", f"meeting_cancel:{mid}"):
            resp = w.client.interact(
                block_actions(
                    action_id,
                    json.dumps({"m": meeting_id}),
                    block_id="manage",
                    user_id=BEN,
                    team_id=T2,
                    channel_id="DBEN",
                )
            )
            assert resp.status == 200
        calls = _quiet(w)
        assert not [c for c in calls if c.method in ("views.open", "chat.update")]
        assert _leaks(_seen_by_slack(calls)) == []
        return sorted(_answers(calls))

    foreign = press(mid)
    assert sorted(foreign) == sorted(
        [("chat.postEphemeral", GONE), ("chat.postEphemeral", NOT_FOUND)]
    )
    for junk in (987654321, 10**30, -1, 2**63):
        assert press(junk) == foreign
    w.run_worker()
    assert w.smtp.messages == []  # no cancellation mailed to T1's customer
    assert w.t1_state() == before


def test_t2_forged_private_metadata_edits_no_t1_meeting_and_reveals_no_t1_booking(
    w: TwoWorkspaces,
) -> None:
    before, t2_before = w.t1_state(), w.meeting_count(T2)
    mid = w.t1_meeting()["id"]
    with w.services.sessions() as session:
        t1_key = session.scalar(select(MeetingModel.idempotency_key).where(MeetingModel.id == mid))
    tom = (f"r:{w.record_id(T2, 'Tom Two')}", "Tom Two")
    view = _open_form(w, T2, BEN)
    meta = json.loads(view["private_metadata"])
    values = meet_values(
        record=tom,
        day=in_days(5),
        at="09:00",
        title="Overwritten by T2",
        attendees=[(f"c:{w.record_id(T2, 'Tom Two')}", "Tom Two")],
    )
    # The edit form of T1's meeting, forged: T2's admin "edits" it.
    edit = _submit(w, T2, BEN, view, values, json.dumps(meta | {"m": mid}))
    assert edit.json() == {"response_action": "errors", "errors": {"record": GONE}}
    unknown = _submit(w, T2, BEN, view, values, json.dumps(meta | {"m": 987654321}))
    assert unknown.json() == edit.json()
    # T1's submission key: a retry of T1's booking would answer with T1's meeting.
    replay = _submit(w, T2, BEN, view, values, json.dumps(meta | {"k": t1_key}))
    assert replay.status == 200 and replay.json()["response_action"] == "errors", replay.text
    for resp in (edit, unknown, replay):
        assert _leaks(resp.text) == []
    assert _leaks(_seen_by_slack(_quiet(w))) == []
    w.run_worker()
    assert w.smtp.messages == []
    assert w.t1_state() == before and w.meeting_count(T2) == t2_before


# --------------------------------------------------------------------------- the command line


def test_import_without_team_goes_to_the_only_installed_workspace(two: TwoWorkspaces) -> None:
    one = two.imports["one installed"]
    assert one.returncode == 0 and f"workspace {T1}" in one.stdout, one.stderr
    assert two.record_id(T1, "Jane Secret")


def test_import_without_team_with_two_workspaces_installed_exits_2_and_imports_nothing(
    two: TwoWorkspaces,
) -> None:
    refused = two.imports["two installed"]
    assert refused.returncode == 2
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith("meetline: --team is required") and T1 in last and T2 in last
    assert "Traceback" not in refused.stderr
    explicit = two.imports["two installed, --team"]
    assert explicit.returncode == 0 and f"workspace {T2}" in explicit.stdout
    assert two.services.records.search(T1, "Tom Two") == []  # the refused run stored nothing in T1
    assert [r.name for r in two.services.records.search(T2, "")] == ["Tom Two"]
