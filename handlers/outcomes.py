"""Use case: the host records how a meeting went.

Only the host (assigned to) or a Meetline admin may set it; the same outcome twice is
one change, so double clicks and two devices leave one timeline entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.domain import UserProfile
from handlers.meetings import DEFAULT_OUTCOMES, OUTCOME_SCHEDULED, Meeting
from handlers.ports import Clock, MeetingRepository

OUTCOME_LABELS = {
    OUTCOME_SCHEDULED: "Scheduled",
    "COMPLETED": "Completed",
    "RESCHEDULED": "Rescheduled",
    "NO_SHOW": "No show",
    "CANCELED": "Canceled",
}


def outcome_label(code: str) -> str:
    return OUTCOME_LABELS.get(code, code.replace("_", " ").title())


@dataclass(frozen=True)
class OutcomeResult:
    ok: bool
    meeting: Meeting | None
    changed: bool = False
    message: str = ""


class RecordOutcome:
    def __init__(self, meetings: MeetingRepository, clock: Clock, outcomes: tuple[str, ...] = DEFAULT_OUTCOMES) -> None:
        self._meetings = meetings
        self._clock = clock
        self._outcomes = (OUTCOME_SCHEDULED, *outcomes)

    def __call__(self, meeting_id: int, outcome: str, actor: UserProfile) -> OutcomeResult:
        meeting = self._meetings.get(meeting_id)
        if meeting is None or meeting.team_id != actor.team_id:
            return OutcomeResult(False, None, message="This meeting no longer exists.")
        if actor.slack_user_id != meeting.host_id and not actor.is_admin:
            return OutcomeResult(
                False, meeting,
                message=f"Only <@{meeting.host_id}>, the host, or a Meetline admin can set the outcome of this meeting.",
            )
        if outcome not in self._outcomes:
            return OutcomeResult(False, meeting, message="That outcome is not offered any more.")
        changed = self._meetings.set_outcome(meeting.id, outcome, actor.slack_user_id, self._clock.now())
        return OutcomeResult(True, self._meetings.get(meeting.id), changed=changed)
