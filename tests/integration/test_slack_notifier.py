"""DMs from background work (`bot.notifier.SlackNotifier`) against the fake Slack Web API:
what the host and mentioned teammates read, in their language, with valid Block Kit; and
which Slack failures are retried later instead of being lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.notifier import SlackNotifier
from handlers.domain import Record, RecordKind
from handlers.meetings import Attendee, AttendeeKind, Location, LocationKind, Meeting
from handlers.worker import RetryLater
from tests.support.blockkit import validate_blocks
from tests.support.fake_slack import FakeSlack

TEAM = "T0001"
START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # Thursday 15:00 in Warsaw

MEETING = Meeting(
    id=7,
    team_id=TEAM,
    uid="uid-7@meetline",
    sequence=0,
    title="Demo <for> *Acme*",
    start_utc=START,
    end_utc=START + timedelta(minutes=45),
    timezone="Europe/Warsaw",
    duration_minutes=45,
    location=Location(LocationKind.PHONE, "+48 22 123 45 67"),
    host_id="UHOST",
    organizer_id="UORG",
    attendees=[Attendee(AttendeeKind.CONTACT, "Jane Doe", "jane@acme.example", record_id=1)],
    record_id=1,
)
JANE = Record(
    id=1, kind=RecordKind.CONTACT, external_id="jane", name="Jane Doe", email="jane@acme.example"
)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def notifier(slack: FakeSlack, languages: dict[str, str] | None = None) -> SlackNotifier:
    client = WebClient(token="xoxb-test", base_url=slack.url)

    def client_for(team_id: str) -> WebClient | None:
        return client if team_id == TEAM else None

    def language_of(team_id: str, user_id: str) -> str:
        return (languages or {})[user_id]

    return SlackNotifier(client_for, language_of if languages is not None else None)


def posted(slack: FakeSlack) -> list[dict[str, Any]]:
    calls = slack.calls("chat.postMessage")
    for call in calls:
        if call.args.get("blocks"):
            validate_blocks(call.args["blocks"])
    return [call.args for call in calls]


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"]
        for b in message.get("blocks") or []
        for e in b.get("elements", [])
        if "action_id" in e
    ]


def test_the_host_is_asked_for_the_outcome_with_one_button_per_outcome(slack: FakeSlack) -> None:
    notifier(slack).outcome_prompt(MEETING)
    (message,) = posted(slack)
    assert message["channel"] == "UHOST"
    assert message["text"] == (
        "How did *Demo &lt;for&gt; *Acme** (<!date^1796306400^{date_short_pretty} at {time}|2026-12-03 14:00 UTC>"
        " – <!date^1796309100^{time}|2026-12-03 14:45 UTC>) go?"
    )  # every reader's Slack shows the time in their own zone
    assert action_ids(message) == [
        "outcome_completed:7",
        "outcome_rescheduled:7",
        "outcome_no_show:7",
        "outcome_canceled:7",
    ]
    values = [
        json.loads(e["value"])
        for b in message["blocks"]
        for e in b.get("elements", [])
        if "value" in e
    ]
    assert values[0] == {"m": 7, "o": "COMPLETED"}
    summary = message["blocks"][0]["text"]["text"]
    assert "Phone call: +48 22 123 45 67" in summary and "Jane Doe" in summary


def test_a_nudge_says_it_is_a_reminder_above_the_same_buttons(slack: FakeSlack) -> None:
    notifier(slack).outcome_prompt(MEETING, nudge=True)
    (message,) = posted(slack)
    assert message["text"].startswith("Reminder: How did")
    assert message["blocks"][0]["block_id"] == "nudge"
    assert len(action_ids(message)) == 4


def test_the_host_reads_the_prompt_in_polish(slack: FakeSlack) -> None:
    notifier(slack, {"UHOST": "pl"}).outcome_prompt(MEETING)
    (message,) = posted(slack)
    labels = [
        e["text"]["text"] for b in message["blocks"] for e in b.get("elements", []) if "text" in e
    ]
    assert labels == ["Odbyło się", "Przełożone", "Nieobecność", "Odwołane"]
    assert "Rozmowa telefoniczna: +48 22 123 45 67" in message["blocks"][0]["text"]["text"]


def test_an_unknown_language_falls_back_to_english(slack: FakeSlack) -> None:
    notifier(slack, {}).outcome_prompt(MEETING)  # language_of raises KeyError
    (message,) = posted(slack)
    assert message["text"].startswith("How did")


def test_a_mentioned_teammate_learns_who_booked_what_about_which_record(slack: FakeSlack) -> None:
    notifier(slack).mention(MEETING, "UMATE", JANE)
    (message,) = posted(slack)
    assert message["channel"] == "UMATE"
    assert message["text"].startswith(
        "<@UORG> mentioned you in the notes of *Demo &lt;for&gt; *Acme** about *Jane Doe*, <!date^1796306400^"
    )  # the title's < > cannot become a link or a mention


def test_the_digest_lists_every_waiting_meeting_within_slacks_block_limit(slack: FakeSlack) -> None:
    many = [replace(MEETING, id=i, title=f"Meeting {i}") for i in range(1, 31)]
    notifier(slack).outcome_digest(TEAM, "UHOST", many)
    (message,) = posted(slack)  # validated: at most 50 blocks
    assert message["text"] == "Meetings that still need an outcome: 30."
    assert message["blocks"][0]["text"]["text"].startswith("*30 meetings still need an outcome.*")
    assert "outcome_completed:24" in action_ids(message)
    assert "outcome_completed:25" not in action_ids(message)


def test_a_plain_notice_cannot_ping_a_channel_or_hide_a_link(slack: FakeSlack) -> None:
    notifier(slack).notify_user(
        TEAM, "UORG", "Mail to <!channel> & <https://evil.example|you> failed"
    )
    (message,) = posted(slack)
    assert (
        message["text"] == "Mail to &lt;!channel&gt; &amp; &lt;https://evil.example|you&gt; failed"
    )


def test_a_calendar_that_refused_meetline_comes_with_a_reconnect_button(slack: FakeSlack) -> None:
    notifier(slack).calendar_disconnected(TEAM, "UHOST", "google")
    (message,) = posted(slack)
    assert message["channel"] == "UHOST"
    assert message["text"].startswith("Meetline can no longer reach your Google Calendar.")
    assert action_ids(message) == ["calendar_reconnect"]


def test_a_workspace_without_an_installation_is_skipped_quietly(slack: FakeSlack) -> None:
    notifier(slack).notify_user("T_UNINSTALLED", "U1", "hello")
    assert slack.calls("chat.postMessage") == []


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, None), (500, "internal_error"), (200, "service_unavailable"), (200, "ratelimited")],
)
def test_slack_being_busy_or_down_is_retried_later(
    slack: FakeSlack, status: int, error: str | None
) -> None:
    slack.fail_next("chat.postMessage", status=status, error=error, retry_after=0)
    with pytest.raises(RetryLater) as caught:
        notifier(slack).outcome_prompt(MEETING)
    assert str(caught.value).startswith("Slack answered ")
    notifier(slack).outcome_prompt(MEETING)  # the retry goes through
    assert slack.calls("chat.postMessage")[-1].ok


def test_a_permanent_refusal_is_not_retried(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", error="user_not_found")
    notifier(slack).mention(MEETING, "UGONE", None)  # logged, not raised: retrying cannot help
    assert len(slack.calls("chat.postMessage")) == 1
