"""Use case: the host records how a meeting went.

Only the host (assigned to) or a Meetline admin may set it (handlers.policy); the same outcome twice is
one change, so double clicks and two devices leave one timeline entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.domain import UserProfile
from handlers.i18n import N_, Translator, language_for, translator
from handlers.meetings import DEFAULT_OUTCOMES, OUTCOME_SCHEDULED, Meeting
from handlers.policy import can_set_outcome
from handlers.ports import Clock, MeetingRepository

OUTCOME_LABELS = {  # English msgids: translate with outcome_label(code, t)
    OUTCOME_SCHEDULED: N_("Scheduled"),
    "COMPLETED": N_("Completed"),
    "RESCHEDULED": N_("Rescheduled"),
    "NO_SHOW": N_("No show"),
    "CANCELED": N_("Canceled"),
}


def outcome_label(code: str, t: Translator | None = None) -> str:
    """The button text of an outcome in `t`'s language (English by default); a workspace's
    own outcomes are shown as the admins named them."""
    label = OUTCOME_LABELS.get(code)
    if label is None:
        return code.replace("_", " ").title()
    return (t or translator("en")).gettext(label)


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
        """Messages are in the actor's Slack language."""
        t = translator(language_for(actor.locale))
        meeting = self._meetings.get(actor.team_id, meeting_id)
        if meeting is None:
            return OutcomeResult(False, None, message=t.gettext("This meeting no longer exists."))
        if not can_set_outcome(actor, meeting):
            return OutcomeResult(
                False, meeting,
                message=t.gettext(
                    "Only <@{host}>, the host, or a Meetline admin can set the outcome of this meeting.",
                    host=meeting.host_id),
            )
        if outcome not in self._outcomes:
            return OutcomeResult(False, meeting, message=t.gettext("That outcome is not offered any more."))
        changed = self._meetings.set_outcome(actor.team_id, meeting.id, outcome, actor.slack_user_id,
                                             self._clock.now())
        return OutcomeResult(True, self._meetings.get(actor.team_id, meeting.id), changed=changed)


def next_working_morning(now: datetime, zone: str, hour: int = 9) -> datetime:
    """The next Monday–Friday `hour`:00 strictly after `now`, in the reader's zone (UTC result)."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    day = local.date()
    while True:
        candidate = datetime.combine(day, time(hour, 0), tz)
        if candidate > local and candidate.weekday() < 5:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
