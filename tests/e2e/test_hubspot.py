"""HubSpot from Slack, over signed requests to the served app: an admin connects it from
App Home with a private-app token, checked with (fake) HubSpot at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text as sql

from tests.e2e.forms import click, meet_values
from tests.e2e.test_manage_flow import button, open_edit_form
from tests.e2e.test_schedule_flow import calendar_part, in_days, open_form, submit
from tests.e2e.test_team_flow import set_user
from tests.support.blockkit import (
    assert_all_views_valid,
    validate_blocks,
    validate_options_response,
)
from tests.support.fake_hubspot import ALL_SCOPES, FakeHubSpot
from tests.support.server import SECRET_KEY
from tests.support.slack_requests import (
    block_actions,
    block_suggestion,
    event_body,
    text_value,
    view_submission,
)
from tests.support.stack import HOST, TEAMMATE, Stack, running_stack
from tests.support.view_state import LabelledForm

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
        stored = db.execute(sql("SELECT token FROM crm_connections")).scalar_one()
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


def picker(stack: Stack, query: str) -> list[str]:
    """What the /meet form's record picker offers for `query`."""
    answer = stack.client.interact(
        block_suggestion("record_select", query, block_id="record", user_id=HOST)
    ).json()
    validate_options_response(answer)
    options = [o for g in answer.get("option_groups", []) for o in g["options"]]
    return [o["text"]["text"] for o in options or answer.get("options", [])]


def drain(stack: Stack) -> None:
    for _ in range(100):
        if stack.run_worker().total == 0:
            return
    raise AssertionError("the worker never ran dry")


def dms(stack: Stack, user: str = HOST) -> list[str]:
    return [
        str(c.args.get("text"))
        for c in stack.slack.calls("chat.postMessage")
        if c.args.get("channel") == user
    ]


@pytest.mark.both_databases  # upserts, claims and JSON differ on PostgreSQL
def test_the_first_sync_fills_the_picker_and_later_changes_follow(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    before = datetime.now(UTC) - timedelta(days=1)
    globex = hubspot.put("companies", {"name": "Globex Corporation"}, at=before)
    deal = hubspot.put("deals", {"dealname": "Globex expansion"}, at=before)
    for n in range(230):
        hubspot.put(
            "contacts", {"firstname": f"Member{n}", "email": f"m{n}@globex.test"}, at=before
        )
    zed = hubspot.put(
        "contacts",
        {"firstname": "Zed", "lastname": "Quill", "email": "zed@globex.test"},
        at=before,
    )
    hubspot.associate("contacts", zed, "companies", globex)
    hubspot.associate("contacts", zed, "deals", deal)
    set_user(stack, HOST, "--admin")
    assert submit_token(stack, open_token_form(stack), GOOD)["response_action"] == "update"
    hubspot.fail_next(1, 429, retry_after=1, path_contains="/contacts")  # HubSpot throttles
    drain(stack)
    stack.clock.advance(minutes=2)  # past the throttled page's backoff
    drain(stack)

    assert "Contact: Zed Quill" in " ".join(picker(stack, "zed quill"))
    assert any("Globex Corporation" in o for o in picker(stack, "globex"))
    zed_id = stack.record_id("Zed Quill")
    linked = {r.name for r in stack.services.records.associations("T0001", zed_id)}
    assert linked == {"Globex Corporation", "Globex expansion"}
    assert any("HubSpot sync done: 233 records" in text for text in dms(stack))
    assert "Jane Doe" in " ".join(picker(stack, "jane"))  # the CSV's records stay

    # Changed and deleted in HubSpot: the next incremental sync brings both.
    stack.clock.advance(minutes=1)
    hubspot.put("contacts", {"lastname": "Quillfeather"}, at=stack.clock.now(), object_id=zed)
    gone = hubspot.objects["contacts"]
    member0 = next(oid for oid, o in gone.items() if o["properties"].get("firstname") == "Member0")
    hubspot.archive("contacts", member0, at=stack.clock.now())
    stack.clock.advance(minutes=5)
    drain(stack)
    assert "Contact: Zed Quillfeather" in " ".join(picker(stack, "zed quill"))
    assert not any("Member0 " in o or o.endswith("Member0") for o in picker(stack, "member0"))
    searches = hubspot.calls("POST", "/crm/v3/objects/contacts/search")
    assert searches, "the second sync is incremental"


def test_a_first_sync_of_ten_thousand_contacts_with_companies_and_deals(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    """The size a sales team has: every contact at one of 200 companies, every tenth
    on a deal; all of it in the picker with its associations after the first sync."""
    before = datetime.now(UTC) - timedelta(days=1)
    companies = [hubspot.put("companies", {"name": f"Firm {n:03}"}, at=before) for n in range(200)]
    deals = [hubspot.put("deals", {"dealname": f"Deal {n:04}"}, at=before) for n in range(1000)]
    for n in range(10_000):
        contact = hubspot.put(
            "contacts",
            {"firstname": f"Person{n:05}", "lastname": "Bulk", "email": f"p{n}@bulk.test"},
            at=before,
        )
        hubspot.associate("contacts", contact, "companies", companies[n % 200])
        if n % 10 == 0:
            hubspot.associate("contacts", contact, "deals", deals[n // 10])
    set_user(stack, HOST, "--admin")
    assert submit_token(stack, open_token_form(stack), GOOD)["response_action"] == "update"
    drain(stack)

    assert any("HubSpot sync done: 11200 records" in t for t in dms(stack))
    assert "Contact: Person09990 Bulk" in " ".join(picker(stack, "person09990"))
    linked = {
        r.name
        for r in stack.services.records.associations("T0001", stack.record_id("Person09990 Bulk"))
    }
    assert linked == {"Firm 190", "Deal 0999"}
    assert any("Firm 007" in o for o in picker(stack, "firm 007"))


def hubspot_account(stack: Stack, hubspot: FakeHubSpot) -> dict[str, str]:
    """Connected and synced: Nina (contact) of Initech (company) with a deal; the host
    is a HubSpot owner."""
    before = datetime.now(UTC) - timedelta(days=1)
    ids = {
        "company": hubspot.put("companies", {"name": "Initech"}, at=before),
        "deal": hubspot.put("deals", {"dealname": "Initech pilot"}, at=before),
        "contact": hubspot.put(
            "contacts",
            {"firstname": "Nina", "lastname": "Lumbergh", "email": "nina@initech.test"},
            at=before,
        ),
    }
    hubspot.associate("contacts", ids["contact"], "companies", ids["company"])
    hubspot.associate("contacts", ids["contact"], "deals", ids["deal"])
    hubspot.associate("deals", ids["deal"], "companies", ids["company"])
    ids["owner"] = hubspot.add_owner("anna@meetline.example", "Anna", "Host")
    hubspot.add_owner("ghost@elsewhere.test")  # a HubSpot user not in Slack
    set_user(stack, HOST, "--admin")
    assert submit_token(stack, open_token_form(stack), GOOD)["response_action"] == "update"
    drain(stack)
    stack.slack.clear()  # the booking's confirmation comes first from here on
    return ids


def nina_values(stack: Stack, days: int, at: str) -> dict[str, Any]:
    """Nina's meeting, her company and deal ticked among the associated records."""
    nina = stack.record_id("Nina Lumbergh")
    return meet_values(
        record=(f"r:{nina}", "Contact: Nina Lumbergh"),
        day=in_days(days),
        at=at,
        title="Pilot kickoff",
        attendees=[(f"c:{nina}", "Nina Lumbergh")],
        associated=[
            (f"r:{stack.record_id('Initech')}", "Company: Initech"),
            (f"r:{stack.record_id('Initech pilot')}", "Deal: Initech pilot"),
        ],
    )


def with_more_options(stack: Stack, view: dict[str, Any], values: dict[str, Any]) -> Any:
    if "associated" not in [b["block_id"] for b in view["blocks"]]:
        view = click(stack, view, values, "more_options", "more")
    return submit(stack, view, values).json()


def book_nina(stack: Stack) -> None:
    values = nina_values(stack, 4, "10:00")
    assert with_more_options(stack, open_form(stack), values)["response_action"] == "update"


@pytest.mark.both_databases  # upserts, claims and JSON differ on PostgreSQL
def test_a_booking_becomes_one_engagement_that_edits_outcomes_and_cancels_update(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    ids = hubspot_account(stack, hubspot)
    hubspot.fail_next(2, 503, path_contains="/meetings")  # HubSpot down for a while
    book_nina(stack)
    drain(stack)
    assert hubspot.meetings == {}  # nothing yet, nothing lost
    stack.clock.advance(minutes=5)
    drain(stack)
    stack.clock.advance(minutes=5)
    drain(stack)
    (engagement,) = hubspot.meetings.values()
    props = engagement["properties"]
    assert props["hs_meeting_title"] == "Pilot kickoff"
    assert props["hs_meeting_outcome"] == "SCHEDULED"
    assert props["hubspot_owner_id"] == ids["owner"]
    (meeting,) = stack.meetings_json()
    start = datetime.fromisoformat(meeting["start"]).astimezone(UTC)
    assert props["hs_timestamp"] == start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert sorted(engagement["associations"]) == sorted(
        [
            ("contacts", ids["contact"], 200),
            ("companies", ids["company"], 188),
            ("deals", ids["deal"], 212),
        ]
    )

    # Moved to another day: the same engagement, RESCHEDULED, at the new time.
    moved = nina_values(stack, 5, "15:00")
    assert with_more_options(stack, open_edit_form(stack), moved)["response_action"] == "update"
    drain(stack)
    assert len(hubspot.meetings) == 1
    assert props["hs_meeting_outcome"] == "RESCHEDULED"
    assert props["hs_timestamp"] != start.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    # The host records the outcome, then cancels: still the one engagement.
    value = f'{{"m": {meeting["id"]}, "o": "NO_SHOW"}}'
    stack.client.interact(
        block_actions(f"outcome_no_show:{meeting['id']}", value, block_id="outcome", user_id=HOST)
    )
    stack.wait_until(lambda: stack.meetings_json()[0]["outcome"] == "NO_SHOW")
    drain(stack)
    assert props["hs_meeting_outcome"] == "NO_SHOW"
    confirmation = stack.slack.wait_for("chat.postMessage")[0].args
    cancel = button(confirmation, "meeting_cancel")
    stack.client.interact(
        block_actions(cancel["action_id"], cancel["value"], block_id="manage", user_id=HOST)
    )
    stack.slack.wait_for("chat.update")
    drain(stack)
    assert len(hubspot.meetings) == 1
    assert props["hs_meeting_outcome"] == "CANCELED"
    creates = hubspot.calls("POST", "/crm/v3/objects/meetings")
    assert [c.status for c in creates].count(201) == 1


def test_a_create_whose_answer_was_lost_is_not_made_twice(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    hubspot_account(stack, hubspot)
    # HubSpot creates the engagement, but its answer never reaches Meetline.
    hubspot.fail_next(1, 502, path_contains="/crm/v3/objects/meetings", after_processing=True)
    book_nina(stack)
    drain(stack)
    assert len(hubspot.meetings) == 1
    stack.clock.advance(minutes=5)
    drain(stack)
    assert len(hubspot.meetings) == 1
    (engagement_id,) = hubspot.meetings
    (meeting,) = stack.meetings_json()
    with stack.services.engine.connect() as db:
        stored = db.execute(
            sql("SELECT log_id FROM meeting_crm_log WHERE meeting_id = :m"), {"m": meeting["id"]}
        ).scalar_one()
    assert stored == engagement_id


def test_a_workspace_on_csv_books_as_before_without_crm_jobs(stack: Stack) -> None:
    jane = stack.record_id("Jane Doe")
    values = meet_values(
        record=(f"r:{jane}", "Contact: Jane Doe"),
        day=in_days(3),
        at="11:00",
        attendees=[(f"c:{jane}", "Jane Doe")],
    )
    assert submit(stack, open_form(stack), values).json()["response_action"] == "update"
    with stack.services.engine.connect() as db:
        kinds = db.execute(sql("SELECT kind FROM jobs")).scalars().all()
    assert "crm_log" not in kinds and "crm_sync" not in kinds


@pytest.mark.both_databases  # upserts, claims and JSON differ on PostgreSQL
def test_sync_now_brings_a_change_at_once_for_admins_only(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    ids = hubspot_account(stack, hubspot)
    home = home_of(stack, HOST)
    assert "Records synced up to" in str(home) and "hubspot_sync" in str(home)
    assert f"HubSpot owners matched to Slack by e-mail: <@{HOST}>." in str(home)
    assert "Not in Slack (meetings they host get no HubSpot owner): ghost@elsewhere.test" in str(
        home
    )
    hubspot.put("contacts", {"lastname": "Bolton"}, at=stack.clock.now(), object_id=ids["contact"])
    stack.client.interact(block_actions("hubspot_sync", block_id="hubspot_actions", user_id=HOST))
    stack.wait_until(lambda: any("HubSpot sync started" in text for text in dms(stack)))
    drain(stack)
    assert "Contact: Nina Bolton" in " ".join(picker(stack, "nina"))

    stack.client.interact(
        block_actions("hubspot_sync", block_id="hubspot_actions", user_id=TEAMMATE)
    )
    refused = stack.slack.wait_for("chat.postEphemeral")[-1].args
    assert refused["user"] == TEAMMATE and "admin" in refused["text"]
    assert not any("HubSpot sync started" in text for text in dms(stack, TEAMMATE))
    assert_all_views_valid(stack.slack)


def test_the_timeline_of_a_hubspot_record_links_to_its_hubspot_page(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    ids = hubspot_account(stack, hubspot)
    reply = stack.client.command("timeline Nina Lumbergh", user_id=HOST).json()
    validate_blocks(reply["blocks"])
    urls = [e.get("url") for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    page = f"https://app-eu1.hubspot.com/contacts/{hubspot.portal_id}/record/0-1/{ids['contact']}"
    assert page in urls
    csv = stack.client.command("timeline Jane Doe", user_id=HOST).json()
    assert "hubspot.com" not in str(csv["blocks"])  # the CSV's records have no HubSpot page
    clicked = stack.client.interact(block_actions("open_in_crm", block_id="book", user_id=HOST))
    assert clicked.status == 200


def test_hubspot_down_for_hours_delays_the_engagement_and_loses_nothing(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    hubspot_account(stack, hubspot)
    hubspot.fail_next(12, 503, path_contains="/crm/v3/objects/meetings")  # beyond one job's tries
    book_nina(stack)
    for _ in range(30):
        drain(stack)
        if hubspot.meetings:
            break
        stack.clock.advance(hours=1)
    assert len(hubspot.meetings) == 1
    with stack.services.engine.connect() as db:
        failed = db.execute(
            sql("SELECT count(*) FROM jobs WHERE kind = 'crm_log' AND status = 'failed'")
        ).scalar_one()
        carried = db.execute(
            sql("SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'crm-log:%:carried:%'")
        ).scalar_one()
    assert failed == 0 and carried >= 1  # the first job's tries ran out; its work went on


def with_nina_twin(stack: Stack, hubspot: FakeHubSpot) -> tuple[str, dict[str, str], int, int]:
    """`hubspot_account` with "Nina Lumburg" (nina.l@mail.test), a duplicate of Nina made
    before it: the duplicate's HubSpot id, the account's ids, Nina's and her duplicate's
    record ids."""
    before = datetime.now(UTC) - timedelta(days=1)
    twin = hubspot.put(
        "contacts",
        {"firstname": "Nina", "lastname": "Lumburg", "email": "nina.l@mail.test"},
        at=before,
    )
    ids = hubspot_account(stack, hubspot)
    return twin, ids, stack.record_id("Nina Lumbergh"), stack.record_id("Nina Lumburg")


@pytest.mark.both_databases  # the merge's moves and deletes differ on PostgreSQL
def test_a_contact_merged_in_hubspot_keeps_its_meetings_on_the_contact_kept(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    """A rep booked with "Nina Lumburg", a duplicate of Nina Lumbergh; HubSpot merges the
    duplicate into her. After the next sync Nina's timeline has both meetings, both
    meetings list her, and the duplicate is gone from the picker."""
    twin, ids, nina, duplicate = with_nina_twin(stack, hubspot)
    values = meet_values(
        record=(f"r:{duplicate}", "Contact: Nina Lumburg"),
        day=in_days(3),
        at="11:00",
        title="First call",
        attendees=[(f"c:{duplicate}", "Nina Lumburg")],
    )
    assert submit(stack, open_form(stack), values).json()["response_action"] == "update"
    stack.slack.wait_for("chat.postMessage")
    book_nina(stack)
    drain(stack)
    assert any("Nina Lumburg" in option for option in picker(stack, "nina"))

    stack.clock.advance(minutes=1)
    hubspot.merge("contacts", ids["contact"], twin, at=stack.clock.now())
    stack.clock.advance(minutes=5)
    drain(stack)

    assert not any("Lumburg" in option for option in picker(stack, "nina"))
    reply = stack.client.command("timeline Nina Lumbergh", user_id=HOST).json()
    validate_blocks(reply["blocks"])
    shown = str(reply["blocks"])
    assert "First call" in shown and "Pilot kickoff" in shown
    assert "Merged into this record* · Nina Lumburg" in shown
    meetings = {m["title"]: m for m in stack.meetings_json()}
    assert set(meetings) == {"First call", "Pilot kickoff"}
    for meeting in meetings.values():
        assert nina in meeting["record_ids"]
        assert [a["record_id"] for a in meeting["attendees"] if a["kind"] == "contact"] == [nina]
    # the duplicate's meeting, opened for editing, has Nina as its record and attendee
    form = json.dumps(open_edit_form(stack))
    assert "First call" in form and f'"r:{nina}"' in form and f'"c:{nina}"' in form
    # a second sync sees the merge again (HubSpot keeps listing it): nothing changes
    hubspot.put(
        "contacts", {"phone": "+48 600 000 111"}, at=stack.clock.now(), object_id=ids["contact"]
    )
    stack.clock.advance(minutes=5)
    drain(stack)
    again = stack.client.command("timeline Nina Lumbergh", user_id=HOST).json()
    assert again["blocks"] == reply["blocks"]
    assert_all_views_valid(stack.slack)


def nina_booked_then_deleted(
    stack: Stack, hubspot: FakeHubSpot
) -> tuple[dict[str, str], int, dict[str, Any]]:
    """Nina booked ("Pilot kickoff"), then deleted in HubSpot and synced: the HubSpot ids,
    her record id, and a second booking on her, filled in before she was gone."""
    ids = hubspot_account(stack, hubspot)
    nina = stack.record_id("Nina Lumbergh")
    book_nina(stack)
    drain(stack)
    values = nina_values(stack, 6, "12:00")
    stack.clock.advance(minutes=1)
    hubspot.archive("contacts", ids["contact"], at=stack.clock.now())
    stack.clock.advance(minutes=5)
    drain(stack)
    return ids, nina, values


@pytest.mark.both_databases  # the soft delete's updates and the search differ per engine
def test_a_contact_deleted_in_hubspot_keeps_its_history_and_comes_back_with_it(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    """Someone deletes Nina in HubSpot after a rep booked with her: the next sync takes
    her out of the pickers and refuses a new booking on her, but her meeting still names
    her and `/meet timeline` still shows it. Restored in HubSpot, she is back with it."""
    ids, nina, values = nina_booked_then_deleted(stack, hubspot)

    assert not any("Nina" in option for option in picker(stack, "nina"))
    reply = stack.client.command("timeline Nina Lumbergh", user_id=HOST).json()
    validate_blocks(reply["blocks"])
    shown = str(reply["blocks"])
    assert "Pilot kickoff" in shown and "Deleted in HubSpot" in shown
    assert "book_on_record" not in shown  # nothing can be booked on her
    [meeting] = stack.meetings_json()
    assert nina in meeting["record_ids"]
    refused = with_more_options(stack, open_form(stack), values)
    assert refused["response_action"] == "errors"
    assert "no longer exists" in json.dumps(refused["errors"])
    assert [m["title"] for m in stack.meetings_json()] == ["Pilot kickoff"]

    stack.clock.advance(minutes=1)
    hubspot.restore("contacts", ids["contact"], at=stack.clock.now())
    stack.clock.advance(minutes=5)
    drain(stack)

    assert stack.record_id("Nina Lumbergh") == nina
    assert any("Nina Lumbergh" in option for option in picker(stack, "nina"))
    back = str(stack.client.command("timeline Nina Lumbergh", user_id=HOST).json()["blocks"])
    assert "Pilot kickoff" in back and "Deleted in HubSpot" not in back
    assert "book_on_record" in back
    assert_all_views_valid(stack.slack)


def test_a_meeting_whose_contact_was_deleted_in_hubspot_is_edited_keeping_her(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    """Nina, the meeting's record and its attendee, is deleted in HubSpot. The rep opens
    Edit: the form names her, marked deleted (not by her id); renaming the meeting and
    saving keeps her its record and its attendee, and she gets the updated invitation,
    not a cancellation. A new booking on her is still refused, on the record field."""
    _, nina, another = nina_booked_then_deleted(stack, hubspot)
    stack.smtp.clear()

    view = open_edit_form(stack)
    form = LabelledForm(view)
    marked = "Contact: Nina Lumbergh (nina@initech.test) (deleted in HubSpot)"
    record = form.input("Record")["element"]["initial_option"]
    assert (record["text"]["text"], record["value"]) == (marked, f"r:{nina}")
    invited = form.input("Attendees")["element"]["initial_options"]
    assert [o["text"]["text"] for o in invited] == [marked]
    form.type_text("Title", "Pilot kickoff, agenda attached")
    answer = submit(stack, view, form.values).json()
    assert answer["response_action"] == "update", answer

    [meeting] = stack.meetings_json()
    assert meeting["title"] == "Pilot kickoff, agenda attached"
    stored = stack.services.meetings.get(meeting["team_id"], meeting["id"])
    assert stored is not None and stored.record_id == nina and nina in meeting["record_ids"]
    assert [(a["email"], a["record_id"]) for a in meeting["attendees"]] == [
        ("nina@initech.test", nina)
    ]
    drain(stack)
    told = {m.rcpt_tos[0]: calendar_part(m.message)[0] for m in stack.smtp.wait_for(2)}
    assert told["nina@initech.test"] == "REQUEST"

    refused = with_more_options(stack, open_form(stack), another)
    assert refused["response_action"] == "errors"
    assert refused["errors"]["record"] == "This record no longer exists. Pick another."
    assert len(stack.meetings_json()) == 1
    assert_all_views_valid(stack.slack)


def twin_left_as_guest(stack: Stack, hubspot: FakeHubSpot) -> tuple[int, str]:
    """ "Pilot kickoff" invites Nina and her duplicate "Nina Lumburg" (nina.l@mail.test);
    both got the invitation. HubSpot merges the duplicate into Nina: after the sync the
    meeting keeps the duplicate's address as an attendee with no record (a guest). Nina's
    record id and the guest's option text in the edit form."""
    twin, ids, nina, duplicate = with_nina_twin(stack, hubspot)
    values = nina_values(stack, 4, "10:00")
    values["attendees"]["attendee_select"]["selected_options"].append(
        {"text": {"type": "plain_text", "text": "Nina Lumburg"}, "value": f"c:{duplicate}"}
    )
    assert with_more_options(stack, open_form(stack), values)["response_action"] == "update"
    drain(stack)
    invited = {m.rcpt_tos[0]: calendar_part(m.message)[0] for m in stack.smtp.wait_for(3)}
    assert invited["nina.l@mail.test"] == "REQUEST"
    stack.clock.advance(minutes=1)
    hubspot.merge("contacts", ids["contact"], twin, at=stack.clock.now())
    stack.clock.advance(minutes=5)
    drain(stack)
    [meeting] = stack.meetings_json()
    assert sorted((a["email"], a["record_id"]) for a in meeting["attendees"]) == [
        ("nina.l@mail.test", None),
        ("nina@initech.test", nina),
    ]
    stack.smtp.clear()
    return nina, "Guest: Nina Lumburg (nina.l@mail.test)"


def test_an_edit_of_the_title_keeps_a_guest_a_merge_left_and_sends_her_the_update(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    """The rep only renames the meeting. The guest the merge left (an address, no record)
    is in the edit form, stays invited and gets the updated invitation like Nina: no
    cancellation reaches anyone, and the confirmation does not say attendees changed."""
    _, guest = twin_left_as_guest(stack, hubspot)

    view = open_edit_form(stack)
    form = LabelledForm(view)
    attendees = form.input("Attendees")
    assert [o["text"]["text"] for o in attendees["element"]["initial_options"]] == [
        "Contact: Nina Lumbergh (Initech)",
        guest,
    ]
    assert "keep their invitation unless you remove them" in attendees["hint"]["text"]
    form.type_text("Title", "Pilot kickoff, agenda attached")
    answer = submit(stack, view, form.values).json()
    assert answer["response_action"] == "update", answer
    said = answer["view"]["blocks"][0]["text"]["text"]
    assert "Title changed" in said and "Attendees changed." not in said

    [meeting] = stack.meetings_json()
    assert meeting["title"] == "Pilot kickoff, agenda attached"
    assert "nina.l@mail.test" in [a["email"] for a in meeting["attendees"]]
    drain(stack)
    mails = stack.smtp.wait_for(3)
    told = {(m.rcpt_tos[0], calendar_part(m.message)[0]) for m in mails}
    assert ("nina.l@mail.test", "REQUEST") in told and ("nina@initech.test", "REQUEST") in told
    assert not [who for who, method in told if method == "CANCEL"]
    assert_all_views_valid(stack.slack)


def test_removing_a_guest_in_the_edit_form_cancels_her_invitation(
    stack: Stack, hubspot: FakeHubSpot
) -> None:
    """Taking the guest out of Attendees is how she is uninvited: she gets the
    cancellation, Nina nothing (the host's copy follows the new list), and the
    confirmation says attendees changed."""
    nina, guest = twin_left_as_guest(stack, hubspot)

    view = open_edit_form(stack)
    form = LabelledForm(view)
    picked = form.values["attendees"]["attendee_select"]["selected_options"]
    form.values["attendees"]["attendee_select"]["selected_options"] = [
        o for o in picked if o["text"]["text"] != guest
    ]
    answer = submit(stack, view, form.values).json()
    assert answer["response_action"] == "update", answer
    assert "Attendees changed." in answer["view"]["blocks"][0]["text"]["text"]

    [meeting] = stack.meetings_json()
    assert [(a["email"], a["record_id"]) for a in meeting["attendees"]] == [
        ("nina@initech.test", nina)
    ]
    drain(stack)
    told = {m.rcpt_tos[0]: calendar_part(m.message)[0] for m in stack.smtp.wait_for(1)}
    assert told["nina.l@mail.test"] == "CANCEL"
    assert "nina@initech.test" not in told  # nothing she sees changed
    assert_all_views_valid(stack.slack)
