"""Reports end to end: meetings booked through the modal, outcomes clicked in the host's
DM, then `/meet report …` (a DM with the summary, a PNG chart and a CSV) and
`meetline report` agree on the counts."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import matplotlib.image
import pytest
import yaml
from sqlalchemy import select

from bot.app import BOT_SCOPES
from handlers.workspace import WorkspaceSettings
from storage.models import MeetingModel
from tests.e2e.forms import meet_values
from tests.e2e.test_schedule_flow import WARSAW, contacts, in_days, jane
from tests.support.blockkit import assert_all_views_valid
from tests.support.fake_slack import Call
from tests.support.slack_requests import block_actions, select_value, view_submission
from tests.support.stack import HOST, TEAMMATE, Stack

REPO = Path(__file__).resolve().parents[2]
TEAM = "T0001"

# (user, days ahead, meeting type, outcome clicked by the host)
BOOKED = [
    (HOST, 1, "Demo", "COMPLETED"),
    (HOST, 2, "Discovery", "NO_SHOW"),
    (HOST, 3, None, "CANCELED"),
    (TEAMMATE, 2, "Demo", None),
]
EXPECTED = {
    "organizer": {HOST: 3, TEAMMATE: 1},
    "host": {HOST: 3, TEAMMATE: 1},
    "outcome": {"SCHEDULED": 1, "COMPLETED": 1, "RESCHEDULED": 0, "NO_SHOW": 1, "CANCELED": 1},
    "type": {"Demo": 2, "Discovery": 1, "": 1},
}


def book(stack: Stack, user: str, days: int, meeting_type: str | None, title: str) -> None:
    opened = len(stack.slack.calls("views.update"))
    stack.client.command("", user_id=user)
    form = stack.slack.wait_for("views.update", count=opened + 1)[-1]
    view = form.view | {"id": form.args["view_id"]}
    values = meet_values(
        record=jane(stack),
        day=in_days(days),
        at="10:00",
        attendees=contacts(stack, "Jane Doe"),
        title=title,
    )
    values["meeting_type"] = {"meeting_type_select": select_value(meeting_type)}
    resp = stack.client.interact(
        view_submission(
            view["id"],
            "meet_form",
            values,
            view=view,
            user_id=user,
            private_metadata=view["private_metadata"],
        )
    )
    assert resp.json()["response_action"] == "update", resp.text


def click_outcomes(stack: Stack, by_title: dict[str, tuple[str, str]]) -> None:
    """Wait for the outcome prompts and click the chosen button in each, as its host."""
    prompts = stack.slack.wait_for(
        "chat.postMessage",
        count=len(BOOKED),
        predicate=lambda c: any(b.get("type") == "actions" for b in c.args.get("blocks") or []),
    )
    clicks = 0
    for prompt in prompts:
        title = next(
            t for t in by_title if t in json.dumps(prompt.args["blocks"], ensure_ascii=False)
        )
        host, outcome = by_title[title]
        if not outcome:
            continue
        for block in prompt.args["blocks"]:
            for button in block.get("elements", []) if block["type"] == "actions" else []:
                if json.loads(button["value"]).get("o") == outcome:
                    stack.client.interact(
                        block_actions(
                            button["action_id"],
                            button["value"],
                            block_id=block["block_id"],
                            user_id=host,
                            channel_id=prompt.body["channel"],
                            message_ts=prompt.body["ts"],
                        )
                    )
                    clicks += 1
    stack.slack.wait_for("chat.update", count=clicks)


def report_dm(stack: Stack, user: str, text: str) -> tuple[Call, dict[str, bytes]]:
    """Run `/meet <text>` and return the summary DM and the files uploaded to the DM."""
    before_posts = len(stack.slack.calls("chat.postMessage"))
    before_files = len(stack.slack.uploaded_files())
    resp = stack.client.command(text, user_id=user)
    assert resp.status == 200 and resp.elapsed < 3
    assert resp.json()["response_type"] == "ephemeral" and "Preparing" in resp.json()["text"]
    summary = stack.slack.wait_for("chat.postMessage", count=before_posts + 1, timeout=30)[-1]
    assert summary.args["channel"] == user
    stack.wait_until(lambda: len(stack.slack.uploaded_files()) >= before_files + 2, timeout=30)
    files = stack.slack.uploaded_files()[before_files:]
    assert all(
        f["channels"] == [f"D{user}"] for f in files
    )  # the user's DM, from conversations.open
    return summary, {f["name"].rsplit(".", 1)[-1]: f["data"] for f in files}


def csv_counts(text: str) -> dict[str, dict[str, int]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        out.setdefault(row["dimension"], {})[row["key"]] = int(row["count"])
    return out


def assert_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (700, 1000)


def block_text(call: Call, block_id: str) -> str:
    block = next(b for b in call.args["blocks"] if b.get("block_id") == block_id)
    return "\n".join(t["text"] for t in [block.get("text"), *block.get("fields", [])] if t)


@pytest.mark.both_databases
def test_reports_in_slack_and_on_the_command_line_agree(stack: Stack) -> None:
    stack.services.workspaces.save(
        TEAM, WorkspaceSettings(custom_types_enabled=True, meeting_types=("Demo", "Discovery"))
    )
    titles: dict[str, tuple[str, str]] = {}
    for n, (user, days, meeting_type, outcome) in enumerate(BOOKED):
        title = f"Report meeting {n}"
        book(stack, user, days, meeting_type, title)
        titles[title] = (user, outcome or "")
    assert len(stack.meetings_json()) == len(BOOKED)

    # Team reports are for managers and admins (members get their own: tests/drills/test_role_drills.py).
    for user, role in ((TEAMMATE, "--manager"), (HOST, "--admin")):
        assert stack.cli("users", "set", user, "--team", TEAM, role).returncode == 0

    # Booked for the coming days: a range covering them counts the whole team's, no rates yet.
    today = datetime.now(WARSAW).date()
    summary, files = report_dm(stack, TEAMMATE, f"raport {today}..{today + timedelta(days=5)}")
    assert "*Meetings*\n4" in block_text(summary, "report_totals")
    early = csv_counts(files["csv"].decode())
    assert early["host"] == EXPECTED["host"] and early["summary"]["ended_not_canceled"] == 0

    # The meetings end; the hosts are asked and click.
    stack.clock.set(datetime.now(UTC) + timedelta(days=4))
    stack.slack.clear()
    stack.run_worker()
    click_outcomes(stack, titles)
    assert sorted(m["outcome"] for m in stack.meetings_json()) == [
        "CANCELED",
        "COMPLETED",
        "NO_SHOW",
        "SCHEDULED",
    ]
    # `meetline serve` runs on the real clock, so rather than wait ten days the meetings
    # move ten days back: now they are over for the server too.
    with stack.services.sessions() as session, session.begin():
        for row in session.scalars(select(MeetingModel)):
            row.start_at -= timedelta(days=10)
            row.end_at -= timedelta(days=10)

    summary, files = report_dm(stack, HOST, "report last 30 days")
    totals = block_text(summary, "report_totals")
    # 1 completed and 1 no-show of the 3 that ended and were not canceled
    assert "*Meetings*\n4" in totals and "33% (1 of 3)" in totals and "*Canceled*\n1" in totals
    hosts = block_text(summary, "report_hosts")
    assert f"<@{HOST}> — *3*" in hosts and f"<@{TEAMMATE}> — *1*" in hosts
    assert "last 30 days" in summary.args["text"]
    counted = csv_counts(files["csv"].decode())
    for dimension, expected in EXPECTED.items():
        assert counted[dimension] == expected, dimension
    assert counted["summary"] == {
        "meetings": 4,
        "ended_not_canceled": 3,
        "completed": 1,
        "no_show": 1,
        "canceled": 1,
    }
    assert_png(files["png"])

    # A period we cannot read is explained, not guessed.
    posts = len(stack.slack.calls("chat.postMessage"))
    bad = stack.client.command("raport w przyszłym roku", user_id=HOST)
    assert bad.json()["response_type"] == "ephemeral"
    assert "last month" in bad.json()["text"] and "zeszły miesiąc" in bad.json()["text"]

    # The command line counts the same.
    as_csv = stack.cli(
        "report", "--period", "last 30 days", "--team", TEAM, "--tz", "Europe/Warsaw", "--csv"
    )
    assert as_csv.returncode == 0, as_csv.stderr
    assert csv_counts(as_csv.stdout) == counted
    as_json = stack.cli("report", "--period", "ostatnie 30 dni", "--tz", "Europe/Warsaw", "--json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["totals"]["meetings"] == 4 and round(data["completion_rate"], 2) == 0.33
    for dimension, expected in EXPECTED.items():
        assert {r["key"]: r["count"] for r in data[f"by_{dimension}"]} == expected
    table = stack.cli("report", "--team", TEAM)
    assert (
        table.returncode == 0
        and "Anna Host (U1)" in table.stdout
        and "Completion: 33% (1/3)" in table.stdout
    )
    refused = stack.cli("report", "--period", "next year")
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr

    assert (
        len(stack.slack.calls("chat.postMessage")) == posts
    )  # nothing was sent for the bad period
    assert_all_views_valid(stack.slack)


def test_files_write_is_requested() -> None:
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text())
    assert "files:write" in manifest["oauth_config"]["scopes"]["bot"]
    assert "files:write" in BOT_SCOPES
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
