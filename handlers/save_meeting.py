"""Use case: Save in the /meet form — a new meeting, or an edit of an existing one.

A conflict in the host's or a teammate's calendar is a warning in the confirmation,
never an error: the check runs beside the booking (`ConflictCheck`, best effort with
its own deadline) and its findings are added to a meeting this Save created.

The edit form also carries the meeting's outcome, as a CRM's meeting dialog does; it is
recorded through RecordOutcome, with the same rule as the DM's buttons (host or admin).
A meeting that has started can no longer be moved or changed, so its Save records the
outcome only, and says so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from handlers.domain import UserProfile
from handlers.editing import ManageMeeting
from handlers.i18n import translator
from handlers.meetings import MeetingRequest
from handlers.outcomes import RecordOutcome
from handlers.ports import Clock
from handlers.scheduling import Scheduled, ScheduleMeeting, scheduled


class ConflictCheck(Protocol):
    def __call__(self, req: MeetingRequest) -> tuple[str, ...]:
        """Warnings about the requested time, in the request's language; () when unknown."""
        ...


class SaveMeeting:
    def __init__(
        self,
        schedule: ScheduleMeeting,
        manage: ManageMeeting,
        conflicts: ConflictCheck | None = None,
        outcomes: RecordOutcome | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._schedule = schedule
        self._manage = manage
        self._conflicts = conflicts
        self._outcomes = outcomes
        self._clock = clock

    def __call__(
        self, req: MeetingRequest, actor: UserProfile, meeting_id: int | None = None
    ) -> Scheduled:
        """Raises what scheduling and editing raise (handlers.errors)."""
        if meeting_id is not None:
            return self._edit(meeting_id, req, actor)
        conflicts = self._conflicts(req) if self._conflicts is not None else ()
        result = self._schedule(req)
        if result.created and conflicts:  # a retried Save already showed them
            result = replace(result, warnings=(*result.warnings, *conflicts))
        return result

    def _edit(self, meeting_id: int, req: MeetingRequest, actor: UserProfile) -> Scheduled:
        if req.outcome is None or self._outcomes is None:
            return self._manage.edit(meeting_id, req, actor)
        current = self._outcomes.to_change(meeting_id, actor)  # the outcome's rule, first
        if self._clock is not None and current.start_utc <= self._clock.now():
            recorded = self._outcomes(meeting_id, req.outcome, actor).meeting
            note = translator(req.language).gettext(
                "The meeting has started, so only its outcome was saved."
            )
            return scheduled(recorded, created=False, warnings=(note,))
        result = self._manage.edit(meeting_id, req, actor)
        if req.outcome != current.outcome:
            meeting = self._outcomes(meeting_id, req.outcome, actor).meeting
            result = replace(result, meeting=meeting)
        return result
