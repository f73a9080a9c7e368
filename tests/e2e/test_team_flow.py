"""Teams: seats and booking on behalf, sandbox workspaces, admin settings in the next modal."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.forms import click, meet_values
from tests.e2e.test_schedule_flow import contacts, in_days, jane, open_form, submit
from tests.support.blockkit import assert_all_views_valid
from tests.support.slack_requests import (
    block_actions,
    checkboxes_value,
    event_body,
    select_value,
    text_value,
    time_value,
    view_submission,
)
from tests.support.stack import HOST, TEAMMATE, Stack


def with_host(values: dict[str, Any], host: str) -> dict[str, Any]:
    return values | {"host": {"host_select": {"type": "users_select", "selected_user": host}}}


def set_user(stack: Stack, user: str, *flags: str) -> None:
    result = stack.cli("users", "set", user, "--team", "T0001", *flags)
    assert result.returncode == 0, result.stderr


def host_error(stack: Stack, view: dict[str, Any]) -> str:
    values = with_host(
        meet_values(
            record=jane(stack), day=in_days(3), at="11:00", attendees=contacts(stack, "Jane Doe")
        ),
        TEAMMATE,
    )
    if "host" not in [b["block_id"] for b in view["blocks"]]:
        view = click(stack, view, values, "more_options", "more")
    resp = submit(stack, view, values).json()
    assert resp["response_action"] == "errors", resp
    return str(resp["errors"]["host"])


def test_booking_on_behalf_explains_each_failing_condition(stack: Stack) -> None:
    view = open_form(stack)
    assert "seat; yours is None" in host_error(stack, view)
    set_user(stack, HOST, "--seat", "professional")
    assert "Bob Mate needs a Professional or Enterprise seat" in host_error(stack, view)
    set_user(stack, TEAMMATE, "--seat", "enterprise")
    assert "no connected calendar" in host_error(stack, view)
    listed = json.loads(stack.cli("users", "--json", "--team", "T0001").stdout)
    seats = {u["user_id"]: u["seat"] for u in listed}
    assert seats[HOST] == "professional" and seats[TEAMMATE] == "enterprise"
    assert stack.meetings_json() == []
    bad = stack.cli("users", "set", HOST, "--team", "T0001", "--seat", "platinum")
    assert bad.returncode == 2 and "--seat must be one of" in bad.stderr


def admin_settings(stack: Stack, **fields: Any) -> dict[str, Any]:
    """Open the settings modal from App Home as the admin and submit it."""
    set_user(
        stack, HOST, "--admin"
    )  # single-workspace mode has no installer: the operator names the admin
    stack.client.post(
        event_body({"type": "app_home_opened", "user": HOST, "tab": "home"}), "application/json"
    )
    home = stack.slack.wait_for("views.publish")[-1].args["view"]
    assert "admin_actions" in [b["block_id"] for b in home["blocks"]]
    count = len(stack.slack.calls("views.open"))
    stack.client.interact(block_actions("admin_open", block_id="admin_actions", user_id=HOST))
    opened = stack.slack.wait_for("views.open", count=count + 1)[-1]
    view = opened.view | {"id": opened.body["view"]["id"]}
    values = {
        "types_enabled": {
            "value": checkboxes_value(["yes"] if fields.get("types_enabled") else [])
        },
        "types": {"value": text_value(fields.get("types", ""))},
        "outcomes": {"value": text_value(fields.get("outcomes", ""))},
        "durations": {"value": text_value(fields.get("durations", "15, 30, 45, 60, 90, 120"))},
        "reminders": {"value": text_value(fields.get("reminders", ""))},
        "work_start": {"value": time_value("09:00")},
        "work_end": {"value": time_value(fields.get("work_end", "17:00"))},
        "timezone": {"value": text_value(fields.get("timezone", "Europe/Warsaw"))},
        "language": {"value": select_value("en")},
        "video_default": {"value": checkboxes_value([])},
        "sandbox": {"value": checkboxes_value(["yes"] if fields.get("sandbox") else [])},
    }
    resp = stack.client.interact(
        view_submission(view["id"], "admin_settings", values, view=view, user_id=HOST)
    )
    return resp.json() or {}


def test_admin_settings_reach_the_next_modal(stack: Stack) -> None:
    bad = admin_settings(stack, durations="15, banana", timezone="Mars/Olympus", reminders="soon")
    assert set(bad["errors"]) == {"durations", "timezone", "reminders"}
    assert (
        admin_settings(
            stack,
            types_enabled=True,
            types="Demo\nDiscovery call",
            durations="20, 40",
            reminders="1 days\n2 hours",
            outcomes="Demo booked",
        )
        == {}
    )
    stack.slack.clear()
    view = open_form(stack)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert [o["value"] for o in blocks["meeting_type"]["element"]["options"]] == [
        "Demo",
        "Discovery call",
    ]
    assert [o["value"] for o in blocks["duration"]["element"]["options"]] == ["20", "40", "custom"]
    amount, unit, _ = blocks["rem_0"]["elements"]
    assert amount["initial_option"]["value"] == "1" and unit["initial_option"]["value"] == "days"
    assert blocks["rem_1"]["elements"][0]["initial_option"]["value"] == "2"
    # A default reminder can be removed per meeting: its line's Remove button.
    values = meet_values(
        record=jane(stack),
        day=in_days(3),
        at="11:00",
        duration="40",
        attendees=contacts(stack, "Jane Doe"),
        reminders=[("1", "days"), ("2", "hours")],
    )
    values["meeting_type"] = {"meeting_type_select": select_value("Demo")}
    view = click(stack, view, values, "rem_remove_1", "rem_1", value="1")
    assert "rem_1" not in [b["block_id"] for b in view["blocks"]]
    del values["rem_1"]
    assert submit(stack, view, values).json()["response_action"] == "update"
    (meeting,) = stack.meetings_json()
    assert [r["offset_minutes"] for r in meeting["reminders"]] == [1440]
    assert meeting["meeting_type"] == "Demo" and meeting["duration_minutes"] == 40
    assert_all_views_valid(stack.slack)


def test_sandbox_workspace_books_only_sandbox_users(stack: Stack) -> None:
    assert admin_settings(stack, sandbox=True) == {}
    view = open_form(stack)
    refused = submit(
        stack,
        view,
        meet_values(
            record=jane(stack), day=in_days(2), at="10:00", attendees=contacts(stack, "Jane Doe")
        ),
    ).json()
    assert (
        "sandbox workspace" in refused["errors"]["attendees"]
        and "Jane Doe" in refused["errors"]["attendees"]
    )
    teammate = [(f"u:{TEAMMATE}", "@bob")]
    still = submit(
        stack, view, meet_values(record=jane(stack), day=in_days(2), at="10:00", attendees=teammate)
    ).json()
    assert "Bob Mate" in still["errors"]["attendees"]
    set_user(stack, TEAMMATE, "--sandbox")
    ok = submit(
        stack, view, meet_values(record=jane(stack), day=in_days(2), at="10:00", attendees=teammate)
    )
    assert ok.json()["response_action"] == "update"
    assert len(stack.meetings_json()) == 1


def test_non_admins_cannot_open_settings(stack: Stack) -> None:
    set_user(stack, HOST, "--admin")
    open_form(stack)
    stack.client.interact(block_actions("admin_open", block_id="admin_actions", user_id=TEAMMATE))
    refusal = stack.slack.wait_for("chat.postMessage")[-1]
    assert refusal.args["channel"] == TEAMMATE and "Only Meetline admins" in refusal.args["text"]
