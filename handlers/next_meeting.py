"""`/meet next`: the caller's next meeting, for a quick look without opening App Home.

Read-only, so no unit of work: one query for the meeting and one for the caller's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from handlers.domain import UserProfile
from handlers.meetings import Meeting
from handlers.ports import Clock


class UpcomingMeetings(Protocol):
    """The slice of `MeetingRepository` this use case reads."""

    def upcoming_for(
        self, team_id: str, user_id: str, now: datetime, limit: int = 10
    ) -> list[Meeting]: ...


class KnownUsers(Protocol):
    """The slice of `UserRepository` this use case reads (stored profiles, no Slack call)."""

    def get(self, team_id: str, slack_user_id: str) -> UserProfile | None: ...


@dataclass(frozen=True)
class NextUp:
    """The caller's next meeting (None: nothing coming up) and the zone to show it in."""

    meeting: Meeting | None
    timezone: str


class NextMeeting:
    """The caller's own next meeting in their own workspace: one they host or organize,
    scheduled and not yet ended (a meeting under way still counts: its link is what a
    late attendee wants), the same list App Home shows as "Upcoming meetings"."""

    def __init__(self, meetings: UpcomingMeetings, users: KnownUsers, clock: Clock) -> None:
        self._meetings = meetings
        self._users = users
        self._clock = clock

    def __call__(self, team_id: str, user_id: str) -> NextUp:
        found = self._meetings.upcoming_for(team_id, user_id, self._clock.now(), limit=1)
        meeting = found[0] if found else None
        # The caller's zone as Slack last told us; a caller never seen reads the
        # meeting's own zone, which is at least the one it was booked in.
        profile = self._users.get(team_id, user_id)
        if profile is not None and profile.timezone:
            zone = profile.timezone
        else:
            zone = meeting.timezone if meeting is not None else "UTC"
        return NextUp(meeting, zone)
