"""Use case: Save in the /meet form — a new meeting, or an edit of an existing one.

A conflict in the host's or a teammate's calendar is a warning in the confirmation,
never an error: the check runs beside the booking (`ConflictCheck`, best effort with
its own deadline) and its findings are added to a meeting this Save created.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from handlers.domain import UserProfile
from handlers.editing import ManageMeeting
from handlers.meetings import MeetingRequest
from handlers.scheduling import Scheduled, ScheduleMeeting


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
    ) -> None:
        self._schedule = schedule
        self._manage = manage
        self._conflicts = conflicts

    def __call__(
        self, req: MeetingRequest, actor: UserProfile, meeting_id: int | None = None
    ) -> Scheduled:
        """Raises what scheduling and editing raise (handlers.errors)."""
        if meeting_id is not None:
            return self._manage.edit(meeting_id, req, actor)
        conflicts = self._conflicts(req) if self._conflicts is not None else ()
        result = self._schedule(req)
        if result.created and conflicts:  # a retried Save already showed them
            result = replace(result, warnings=(*result.warnings, *conflicts))
        return result
