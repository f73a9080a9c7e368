"""HubSpot from Slack, over signed requests to the served app: an admin connects it from
App Home with a private-app token, checked with (fake) HubSpot at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.e2e.test_team_flow import set_user
from tests.support.blockkit import assert_all_views_valid
from tests.support.fake_hubspot import ALL_SCOPES, FakeHubSpot
from tests.support.server import SECRET_KEY
from tests.support.slack_requests import block_actions, event_body, text_value, view_submission
from tests.support.stack import HOST, TEAMMATE, Stack, running_stack

GOOD = "pat-eu1-0123456789abcdef"


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        fake.grant(GOOD)
        fake.grant("pat-eu1-no-tickets", ALL_SCOPES - {"tickets"})
        yield fake


@pytest.fixture
def stack(seeded_url: str, tmp_path: Path, hubspot: FakeHubSpot) -> Iterator[Stack]:
    extra = {"HUBSPOT_API_URL": hubspot.url, "SECRET_KEY": SECRET_KEY}
    with running_stack(seeded_url, tmp_path, extra, seeded=True) as running:
        yield running


def home_of(stack: Stack, user: str) -> dict[str, Any]:
    count = len(stack.slack.calls("views.publish"))
    stack.client.post(
        event_body({"type": "app_home_opened", "user": user, "tab": "home"}), "application/json"
    )
    published = stack.slack.wait_for("views.publish", count=count + 1)[-1]
    view: dict[str, Any] = published.args["view"]
    return view


def open_token_form(stack: Stack, user: str = HOST) -> dict[str, Any]:
    count = len(stack.slack.calls("views.open"))
    stack.client.interact(block_actions("hubspot_open", block_id="hubspot_actions", user_id=user))
    opened = stack.slack.wait_for("views.open", count=count + 1)[-1]
    view: dict[str, Any] = opened.view | {"id": opened.body["view"]["id"]}
    return view


def submit_token(stack: Stack, view: dict[str, Any], token: str, user: str = HOST) -> Any:
    values = {"crm_token": {"value": text_value(token)}}
    resp = stack.client.interact(
        view_submission(view["id"], "hubspot_connect", values, view=view, user_id=user)
    )
    return resp.json() or {}


def test_an_admin_connects_hubspot_and_a_wrong_token_or_scope_is_named(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    set_user(stack, HOST, "--admin")
    home = home_of(stack, HOST)
    assert "not connected" in str(home)
    view = open_token_form(stack)

    wrong = submit_token(stack, view, "pat-eu1-typo")
    assert wrong["response_action"] == "errors"
    assert "did not accept this token" in wrong["errors"]["crm_token"]
    lacking = submit_token(stack, view, "pat-eu1-no-tickets")
    assert "lacks these scopes: tickets" in lacking["errors"]["crm_token"]
    assert stack.services.crm.get("T0001") is None

    done = submit_token(stack, view, GOOD)
    assert done["response_action"] == "update"
    assert "HubSpot is connected" in str(done["view"])
    connection = stack.services.crm.get("T0001")
    assert connection is not None and connection.connected_by == HOST
    with stack.services.engine.connect() as db:
        stored = db.execute(text("SELECT token FROM crm_connections")).scalar_one()
    assert stored.startswith("enc1:") and GOOD not in stored
    published = stack.slack.wait_for("views.publish")[-1].args["view"]
    assert f"connected by <@{HOST}>" in str(published)
    assert_all_views_valid(stack.slack)


def test_only_admins_see_and_use_the_hubspot_settings(stack: Stack, hubspot: FakeHubSpot) -> None:
    set_user(stack, HOST, "--admin")
    assert "hubspot_actions" not in str(home_of(stack, TEAMMATE))
    count = len(stack.slack.calls("chat.postMessage"))
    stack.client.interact(
        block_actions("hubspot_open", block_id="hubspot_actions", user_id=TEAMMATE)
    )
    told = stack.slack.wait_for("chat.postMessage", count=count + 1)[-1]
    assert "Only Meetline admins" in told.args["text"]
    # a forged submission by a member stores nothing and asks HubSpot nothing
    view = open_token_form(stack)
    refused = submit_token(stack, view, GOOD, user=TEAMMATE)
    assert refused["response_action"] == "errors"
    assert stack.services.crm.get("T0001") is None
    assert hubspot.calls() == []
