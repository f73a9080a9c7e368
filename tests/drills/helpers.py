"""Booking through the real app, and counting what each meeting caused, for drills that
share one running app (every count is filtered by the drill's own meeting)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from storage.models import JobModel
from tests.e2e.forms import meet_values
from tests.e2e.test_schedule_flow import calendar_part, contacts, in_days, jane, open_form, submit
from tests.support.fake_slack import Call
from tests.support.stack import HOST, Stack


def booking_values(
    stack: Stack,
    title: str,
    *,
    days: int = 3,
    at: str = "10:30",
    reminders: list[tuple[str | None, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return meet_values(
        record=jane(stack),
        day=in_days(days),
        at=at,
        duration="30",
        title=title,
        attendees=contacts(stack, "Jane Doe", "Zofia Żółć"),
        reminders=reminders or [("1", "hours")],
        **extra,
    )


def book(stack: Stack, title: str, **kwargs: Any) -> dict[str, Any]:
    view = open_form(stack)
    resp = submit(stack, view, booking_values(stack, title, **kwargs))
    assert resp.status == 200 and resp.json()["response_action"] == "update", resp.text
    return meeting_titled(stack, title)


def meetings_titled(stack: Stack, title: str) -> list[dict[str, Any]]:
    return [m for m in stack.meetings_json() if m["title"] == title]


def meeting_titled(stack: Stack, title: str) -> dict[str, Any]:
    (meeting,) = meetings_titled(stack, title)
    return meeting


def mails_about(stack: Stack, title: str) -> list[Any]:
    return [m for m in stack.smtp.messages if title in str(m.message["Subject"])]


def invitations(stack: Stack, title: str) -> Counter[tuple[str, str, int]]:
    """(recipient, METHOD, SEQUENCE) of every invitation mail about the meeting."""
    found: Counter[tuple[str, str, int]] = Counter()
    for mail in mails_about(stack, title):
        if any(p.get_content_type() == "text/calendar" for p in mail.message.walk()):
            method, cal = calendar_part(mail.message)
            for rcpt in mail.rcpt_tos:
                found[(rcpt, method, int(str(cal.walk("VEVENT")[0]["SEQUENCE"])))] += 1
    return found


def reminders(stack: Stack, title: str) -> Counter[str]:
    """Reminder mails (any language): the ones about the meeting without a calendar part."""
    return Counter(
        r
        for m in mails_about(stack, title)
        if not any(p.get_content_type() == "text/calendar" for p in m.message.walk())
        for r in m.rcpt_tos
    )


def outcome_prompts(stack: Stack, meeting_id: int) -> list[Call]:
    def asks(call: Call) -> bool:
        for block in call.args.get("blocks") or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if (
                    element.get("action_id", "").startswith("outcome_")
                    and json.loads(element.get("value") or "{}").get("m") == meeting_id
                ):
                    return True
        return False

    return [c for c in stack.slack.calls("chat.postMessage") if asks(c)]


def retries_pending(stack: Stack) -> int:
    """Jobs waiting to be tried again (queued after a failed attempt)."""
    with stack.services.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(JobModel)
                .where(JobModel.status == "queued", JobModel.attempts > 0)
            )
            or 0
        )


def run_until_quiet(stack: Stack, step: timedelta = timedelta(minutes=5), rounds: int = 12) -> None:
    """Run the worker, letting the test clock pass the queue's backoff, until nothing is
    due and no retry is pending (or `rounds` runs)."""
    for _ in range(rounds):
        stats = stack.run_worker()
        if stats.total == 0 and not retries_pending(stack):
            return
        stack.clock.advance(seconds=step.total_seconds())


def at_least(stack: Stack, moment: str | datetime) -> None:
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    stack.clock.set(max(stack.clock.now(), when.astimezone(UTC)))


__all__ = [
    "HOST",
    "at_least",
    "book",
    "booking_values",
    "invitations",
    "mails_about",
    "meeting_titled",
    "meetings_titled",
    "outcome_prompts",
    "reminders",
    "run_until_quiet",
]
