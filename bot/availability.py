"""The /meet modal's conflict check: free/busy for the chosen time, as a notice in the
form and as warnings in the confirmation.

Everything here is best effort with a deadline: a slow or unreachable calendar costs
the notice, never the form or the booking (Slack wants an answer within 3 s).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.views.meet_state import FormState
from handlers.availability import Availability, AvailabilityReport
from handlers.calendar_booking import CalendarAccounts
from handlers.domain import UserProfile
from handlers.i18n import Translator, translator
from handlers.meetings import AttendeeKind, AttendeeRef, MeetingRequest, combine_local
from handlers.ports import Clock, UserRepository
from handlers.workspace import WorkspaceRepository

log = logging.getLogger(__name__)

SUBMIT_DEADLINE = 1.5  # seconds the submission may spend on the re-check
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="meetline-freebusy")


class CachedPeople:
    """Profiles as last read from Slack (the form was opened moments ago): no API call."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        profile = self._users.get(team_id, user_id)
        return None if profile is None or profile.extra.get("deleted") else profile


def _teammates(refs: list[AttendeeRef]) -> list[str]:
    return [r.ref for r in refs if r.kind is AttendeeKind.USER]


def _window(
    day: date | None, at: str | None, minutes: int | None, zone: str
) -> tuple[datetime, datetime] | None:
    if day is None or not at or not minutes or minutes <= 0:
        return None
    try:
        start, _ = combine_local(day, time.fromisoformat(at), zone)
    except ValueError:
        return None
    return (start, start + timedelta(minutes=minutes)) if start is not None else None


class FreeBusyCheck:
    """The conflict check of the /meet form (`form`) and of Save (`__call__`, the
    handlers.save_meeting.ConflictCheck), built once by bot.wiring."""

    def __init__(
        self,
        calendars: CalendarAccounts,
        users: UserRepository,
        workspaces: WorkspaceRepository,
        clock: Clock,
    ) -> None:
        self._availability = Availability(calendars, CachedPeople(users), clock)
        self._calendars = calendars
        self._workspaces = workspaces

    def _check(
        self,
        team_id: str,
        host_id: str,
        teammates: list[str],
        start: datetime,
        end: datetime,
        t: Translator,
    ) -> AvailabilityReport:
        hours = self._workspaces.get(team_id).work_day
        return self._availability.check(
            team_id, host_id, teammates, start, end, working_hours=hours, t=t
        )

    def form(self, team_id: str, user_id: str, state: FormState) -> FormState:
        """The form with its calendar notice brought up to date (cleared when not checkable)."""
        # (FormState is frozen: a form with no notice to clear is its own cleared form.)
        cleared = (
            replace(state, conflicts=(), suggestions=())
            if state.conflicts or state.suggestions
            else state
        )
        minutes = state.duration_custom if state.duration == "custom" else state.duration
        window = _window(
            state.day,
            state.time,
            int(minutes) if minutes and str(minutes).isdigit() else None,
            state.timezone,
        )
        if window is None:
            return cleared
        refs = [r for r in (AttendeeRef.decode(v) for v, _ in state.attendees) if r]
        t = translator(state.language)  # the form's language (English when not recorded)
        try:
            report = self._check(team_id, state.host or user_id, _teammates(refs), *window, t)
        except Exception:  # advisory only: the form must open whatever the calendar does
            log.warning("free/busy check failed", exc_info=True)
            return cleared
        zone = ZoneInfo(state.timezone)
        # Translators: the CLDR pattern of a suggested free time on its button ("Use Thu 03 Dec 10:00").
        pattern = t.gettext("EEE dd MMM HH:mm")
        suggestions = tuple(
            (s.astimezone(zone).strftime("%Y-%m-%dT%H:%M"), t.format_datetime(s, zone, pattern))
            for s in report.suggestions
        )
        return replace(state, conflicts=report.warnings, suggestions=suggestions)

    def __call__(self, req: MeetingRequest) -> tuple[str, ...]:
        """Re-check at Save, within a deadline; conflicts become warnings in the confirmation."""
        window = _window(
            req.day,
            req.start_time.strftime("%H:%M") if req.start_time else None,
            req.duration_minutes,
            req.timezone,
        )
        if window is None:
            return ()
        account = self._calendars.account(req.team_id, req.host_id)
        if account is None or not account.active:
            return ()  # nothing to ask (what Availability.check finds too), no thread handoff
        t = translator(req.language)
        future = _pool.submit(
            self._check, req.team_id, req.host_id, _teammates(list(req.attendees)), *window, t
        )
        try:
            return future.result(timeout=SUBMIT_DEADLINE).warnings
        except FutureTimeout:
            return (
                t.gettext("Your calendar did not answer in time, so conflicts were not checked."),
            )
        except Exception:
            log.warning("free/busy re-check failed", exc_info=True)
            return ()
