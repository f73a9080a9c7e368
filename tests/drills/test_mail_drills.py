"""The mail server refuses connections (and then single recipients) for a while, across
a meeting's whole life: every invitation and reminder arrives once it is back, none
twice, and the outcome prompt comes once. An outage longer than the retry budget is
reported to the organizer instead of being dropped silently."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from handlers.jobs import JobKind
from storage.models import JobModel
from tests.drills.helpers import (
    at_least,
    book,
    invitations,
    mails_about,
    outcome_prompts,
    reminders,
    run_until_quiet,
)
from tests.support.stack import HOST, Stack


def test_mail_server_down_then_refusing_then_back_loses_nothing_and_sends_nothing_twice(
    stack: Stack,
) -> None:
    title = "Drill mail outage"
    stack.smtp.stop()  # connections refused
    meeting = book(stack, title, days=3, reminders=[("1", "days"), ("1", "hours")])
    for _ in range(3):  # three attempts each, all refused
        stats = stack.run_worker()
        assert stats.done == 0 and stats.failed == 0
        stack.clock.advance(minutes=5)
    assert mails_about(stack, title) == []
    stack.smtp.start()
    run_until_quiet(stack)
    assert invitations(stack, title) == {
        ("jane@acme.example", "REQUEST", 0): 1,
        ("zofia@acme.example", "REQUEST", 0): 1,
        ("anna@meetline.example", "REQUEST", 0): 1,
    }

    start = datetime.fromisoformat(meeting["start"])
    stack.smtp.stop()
    at_least(stack, start - timedelta(days=1) + timedelta(minutes=1))
    stack.run_worker()  # the reminder fans out into one mail job per attendee, which fail
    stack.clock.advance(minutes=2)
    stack.run_worker()
    assert reminders(stack, title) == {}
    stack.smtp.start()
    stack.smtp.reject(
        "zofia@acme.example", 451, "4.7.1 Try again later"
    )  # a temporary refusal of one recipient
    run_until_quiet(stack, rounds=3)
    assert reminders(stack, title) == {"jane@acme.example": 1}
    stack.smtp.accept_all()
    run_until_quiet(stack)
    assert reminders(stack, title) == {"jane@acme.example": 1, "zofia@acme.example": 1}

    at_least(stack, start - timedelta(minutes=59))
    run_until_quiet(stack)
    assert reminders(stack, title) == {"jane@acme.example": 2, "zofia@acme.example": 2}
    at_least(stack, datetime.fromisoformat(meeting["end"]) + timedelta(minutes=1))
    run_until_quiet(stack)
    assert len(outcome_prompts(stack, meeting["id"])) == 1
    assert len(mails_about(stack, title)) == 3 + 4
    with stack.services.sessions() as session:
        jobs = session.scalars(select(JobModel).where(JobModel.meeting_id == meeting["id"])).all()
        assert {j.status for j in jobs} <= {
            "done",
            "queued",
        }  # queued: the outcome nudge of tomorrow
        assert not [j for j in jobs if j.status == "failed"]


def test_an_outage_longer_than_the_retry_budget_is_reported_to_the_organizer(stack: Stack) -> None:
    """Eight attempts with doubling backoff cover about an hour: a longer outage makes the
    invitation fail for good, and the organizer is told in Slack which one."""
    title = "Drill long mail outage"
    stack.smtp.stop()
    meeting = book(stack, title, days=4)
    for _ in range(10):
        stack.run_worker()
        stack.clock.advance(hours=1)
    stack.smtp.start()
    run_until_quiet(stack)
    assert invitations(stack, title) == {}
    with stack.services.sessions() as session:
        failed = session.scalars(
            select(JobModel).where(
                JobModel.meeting_id == meeting["id"], JobModel.kind == JobKind.INVITE
            )
        ).all()
        assert {(j.status, j.attempts) for j in failed} == {("failed", 8)}
    told = [
        c.args["text"]
        for c in stack.slack.calls("chat.postMessage")
        if c.args.get("channel") == HOST and "could not be delivered" in c.args.get("text", "")
    ]
    assert sorted(t.split(" for ")[0] for t in told if title in t) == [
        "The invitation to anna@meetline.example",
        "The invitation to jane@acme.example",
        "The invitation to zofia@acme.example",
    ]
