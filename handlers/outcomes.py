"""Use case: the host records how a meeting went.

Only the host (assigned to) or a Meetline admin may set it (handlers.policy); the same outcome twice is
one change, so double clicks and two devices leave one timeline entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.crm_log import OUTCOME, crm_log_job
from handlers.domain import UserProfile
from handlers.errors import DomainError, NotAllowed, NotFound, Reason
from handlers.i18n import N_, Translator, language_for, translator
from handlers.meetings import OUTCOME_SCHEDULED, Meeting
from handlers.policy import can_set_outcome
from handlers.ports import Clock, UnitOfWork, UnitOfWorkFactory

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
    meeting: Meeting
    changed: bool = False


class RecordOutcome:
    """Raises NotFound (no such meeting in the actor's workspace), NotAllowed (not its host
    nor an admin) or DomainError (an outcome no longer offered); messages are in the
    actor's Slack language.

    One unit of work reads the meeting and the actor's workspace's outcomes, records the
    outcome (the row lock makes a second click wait and see the first's) and reads the
    meeting back, with one commit."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        crm_log: Callable[[str], bool] | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._crm_log = crm_log  # team -> does it log meetings in a CRM (HubSpot)?

    def __call__(self, meeting_id: int, outcome: str, actor: UserProfile) -> OutcomeResult:
        log_in_crm = self._crm_log is not None and self._crm_log(actor.team_id)
        with self._uow() as uow:
            meeting = self._meeting(uow, meeting_id, actor, Reason.SET_OUTCOME)
            if outcome not in (OUTCOME_SCHEDULED, *uow.workspaces.get(actor.team_id).outcomes):
                raise DomainError(_t(actor).gettext("That outcome is not offered any more."))
            now = self._clock.now()
            # The CRM's copy is queued in the outcome's own transaction: both or neither,
            # so a crash right after the commit cannot lose HubSpot's update.
            jobs = [crm_log_job(meeting.id, now, OUTCOME)] if log_in_crm else []
            changed = uow.meetings.set_outcome(
                actor.team_id, meeting.id, outcome, actor.slack_user_id, now, jobs
            )
            result = OutcomeResult(
                uow.meetings.get(actor.team_id, meeting.id) or meeting, changed=changed
            )
            uow.commit()
        return result

    def to_change(self, meeting_id: int, actor: UserProfile) -> Meeting:
        """The meeting whose outcome `actor` asks to change, once the same rule allows it."""
        with self._uow() as uow:
            return self._meeting(uow, meeting_id, actor, Reason.CHANGE_OUTCOME)

    @staticmethod
    def _meeting(uow: UnitOfWork, meeting_id: int, actor: UserProfile, asked: Reason) -> Meeting:
        meeting = uow.meetings.get(actor.team_id, meeting_id)
        if meeting is None:
            raise NotFound(_t(actor).gettext("This meeting no longer exists."))
        if not can_set_outcome(actor, meeting):
            raise NotAllowed(asked, host=meeting.host_id)
        return meeting


def _t(actor: UserProfile) -> Translator:
    return translator(language_for(actor.locale))


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
