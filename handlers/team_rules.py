"""Team rules: who may book on behalf of whom, and who may be booked in a sandbox.

From the product this follows: scheduling on behalf of another user needs a paid seat
(professional or enterprise) for both, and the host must have a connected calendar with
sync enabled; in a sandbox workspace only the workspace's sandbox users can be booked.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.domain import UserProfile
from handlers.i18n import translator
from handlers.meetings import Attendee, AttendeeKind
from handlers.ports import CalendarConnectionInfo

SEATS = ("none", "starter", "professional", "enterprise")
ON_BEHALF_SEATS = ("professional", "enterprise")


def on_behalf_problem(
    organizer: UserProfile,
    host: UserProfile | None,
    host_calendar: CalendarConnectionInfo | None,
    language: str = "en",
) -> str | None:
    """None when the organizer may book for this host; else the first failing condition."""
    t = translator(language)
    if (
        host is None or host.team_id != organizer.team_id
    ):  # another workspace's user is no member here
        return t.gettext("This person is not an active member of this workspace.")
    if host.slack_user_id == organizer.slack_user_id:
        return None
    if organizer.seat not in ON_BEHALF_SEATS:
        return t.gettext(
            "Booking for someone else needs a Professional or Enterprise seat; yours is {seat}.",
            seat=organizer.seat.title(),
        )
    if host.seat not in ON_BEHALF_SEATS:
        return t.gettext(
            "{name} needs a Professional or Enterprise seat to be booked by others.",
            name=host.name or host.slack_user_id,
        )
    if host_calendar is None or not host_calendar.active:
        return t.gettext(
            "{name} has no connected calendar. They can connect one from Meetline's Home tab.",
            name=host.name or host.slack_user_id,
        )
    if not host_calendar.sync_enabled:
        return t.gettext(
            "{name} has calendar sync turned off.", name=host.name or host.slack_user_id
        )
    return None


def sandbox_problem(
    attendees: Sequence[Attendee], profiles: dict[str, UserProfile | None], language: str = "en"
) -> str | None:
    """In a sandbox workspace every attendee must be a sandbox user of that workspace."""
    refused = [
        a.name or a.email or "?"
        for a in attendees
        if a.kind is not AttendeeKind.USER
        or not (p := profiles.get(a.slack_user_id or ""))
        or not p.is_sandbox
    ]
    if not refused:
        return None
    return translator(language).gettext(
        "This is a sandbox workspace: only its sandbox users can be booked. Remove {names}.",
        names=", ".join(refused[:10]),
    )
