"""`/meet next` as an ephemeral reply: the caller's next meeting, or a hint to book one."""

from __future__ import annotations

from typing import Any

from bot.views.text import EN, clip, escape_mrkdwn, mrkdwn
from handlers.i18n import Translator
from handlers.meetings import AttendeeKind, Meeting
from handlers.next_meeting import NextUp


def next_meeting_when(meeting: Meeting, zone: str, *, t: Translator = EN) -> str:
    """Day and times spelled out in `zone` (the caller's, named so nobody guesses)."""
    return t.gettext(
        "{day}, {start}–{end} ({zone})",
        day=t.format_date(meeting.start_utc, zone, "full"),
        start=t.format_time(meeting.start_utc, zone),
        end=t.format_time(meeting.end_utc, zone),
        zone=zone,
    )


def _with_whom(meeting: Meeting, user_id: str, t: Translator) -> str:
    names = [
        escape_mrkdwn(a.name)
        for a in meeting.attendees
        if not (a.kind is AttendeeKind.USER and a.slack_user_id == user_id)
    ]
    if meeting.host_id != user_id:
        names.insert(0, t.gettext("host {host}", host=f"<@{meeting.host_id}>"))
    return ", ".join(names)


def next_meeting_reply(next_up: NextUp, user_id: str, *, t: Translator = EN) -> dict[str, Any]:
    """`text` (the notification) and `blocks` of the reply to `user_id`, who asked."""
    meeting = next_up.meeting
    if meeting is None:
        text = t.gettext("No upcoming meetings. Run `/meet` to schedule one.")
        return {
            "text": text,
            "blocks": [{"type": "section", "block_id": "next_none", "text": mrkdwn(text)}],
        }
    when = next_meeting_when(meeting, next_up.timezone, t=t)
    lines = [f"*{escape_mrkdwn(clip(meeting.title, 200))}*", when]
    with_whom = _with_whom(meeting, user_id, t)
    if with_whom:
        lines.append(t.gettext("With: {names}", names=with_whom))
    place = meeting.location.display(meeting.join_url, t)
    if place:
        lines.append(t.gettext("Where: {place}", place=escape_mrkdwn(place)))
    if meeting.join_url and meeting.join_url not in place:
        lines.append(t.gettext("Join: {url}", url=escape_mrkdwn(meeting.join_url)))
    summary = clip("\n".join(lines), 2900, keep_lines=True)
    return {
        "text": t.gettext(
            "Your next meeting: {title}, {when}",
            title=escape_mrkdwn(clip(meeting.title, 200)),
            when=when,
        ),
        "blocks": [{"type": "section", "block_id": "next_meeting", "text": mrkdwn(summary)}],
    }
