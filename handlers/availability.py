"""Use case: is the host (and are the teammates invited) free at the time being booked,
and if not, when are they?

Answers come from the host's connected calendar, which can read the host's own
free/busy and, for Google and Microsoft 365, that of colleagues in the same organisation.
A calendar that cannot be read is said so ("Could not read Bob's calendar"), never taken
as free. Everything here is advisory: a conflict is a warning, never an error, and a
calendar that is slow or down only costs the warning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.calendar_booking import CalendarAccounts
from handlers.calendars import BusyInterval, CalendarError, free_slots
from handlers.i18n import Translator, translator
from handlers.ports import Clock, PeopleDirectory

log = logging.getLogger(__name__)

SUGGESTION_DAYS = 7
MAX_PEOPLE = 20


@dataclass(frozen=True)
class AvailabilityReport:
    warnings: tuple[str, ...] = ()
    suggestions: tuple[datetime, ...] = ()  # aware UTC slot starts, only when there is a clash


@dataclass(frozen=True)
class _Person:
    user_id: str
    email: str | None
    label: str  # the teammate's name ("" for the host)


def _merge(spans: Sequence[BusyInterval]) -> list[BusyInterval]:
    merged: list[BusyInterval] = []
    for span in sorted(spans, key=lambda b: (b.start, b.end)):
        if merged and span.start <= merged[-1].end:
            merged[-1] = BusyInterval(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def _span_text(span: BusyInterval, zone: ZoneInfo, day: datetime, t: Translator) -> str:
    start, end = span.start.astimezone(zone), span.end.astimezone(zone)
    # Translators: the CLDR pattern of a busy span's day when it is not the meeting's day.
    prefix = (
        ""
        if start.date() == day.date()
        else t.format_date(start, format=t.gettext("EEE dd MMM")) + " "
    )
    return f"{prefix}{t.format_time(start, format='HH:mm')}–{t.format_time(end, format='HH:mm')}"


class Availability:
    def __init__(
        self, accounts: CalendarAccounts | None, people: PeopleDirectory, clock: Clock
    ) -> None:
        self._accounts = accounts
        self._people = people
        self._clock = clock

    def conflicts(
        self,
        team_id: str,
        host_id: str,
        internal_user_ids: Sequence[str],
        start: datetime,
        end: datetime,
        t: Translator | None = None,
    ) -> list[str]:
        """Warnings for [start, end), times in the host's zone; empty when all are free or
        the host has no calendar to ask."""
        return list(
            self.check(team_id, host_id, internal_user_ids, start, end, suggest=False, t=t).warnings
        )

    def suggest_slots(
        self,
        team_id: str,
        host_id: str,
        internal_user_ids: Sequence[str],
        start: datetime,
        end: datetime,
        working_hours: tuple[time, time],
        count: int = 3,
    ) -> list[datetime]:
        """Free starts of the same length from the requested day on, within working hours."""
        report = self.check(
            team_id,
            host_id,
            internal_user_ids,
            start,
            end,
            working_hours=working_hours,
            count=count,
            suggest=True,
            always_suggest=True,
        )
        return list(report.suggestions)

    def check(
        self,
        team_id: str,
        host_id: str,
        internal_user_ids: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        working_hours: tuple[time, time] = (time(9), time(17)),
        count: int = 3,
        suggest: bool = True,
        always_suggest: bool = False,
        t: Translator | None = None,
    ) -> AvailabilityReport:
        """Conflicts and, when there is one, free alternatives: one free/busy call. The
        warnings are in `t`'s language (English by default)."""
        t = t or translator("en")
        if self._accounts is None or end <= start:
            return AvailabilityReport()
        account = self._accounts.account(team_id, host_id)
        if account is None or not account.active:
            return AvailabilityReport()
        host = self._people.user(team_id, host_id)
        zone = ZoneInfo(host.timezone if host else "UTC")
        people = [_Person(host_id, account.email or (host.email if host else None), "")]
        for user_id in dict.fromkeys(internal_user_ids):
            if user_id == host_id or len(people) > MAX_PEOPLE:
                continue
            user = self._people.user(team_id, user_id)
            if user is not None:
                people.append(_Person(user_id, user.email, user.name or user_id))
        local_day = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        window_start = min(start, max(self._clock.now(), local_day.astimezone(UTC)))
        # Whole days, so a clash is named with its real start and end, not clipped to ours.
        days = SUGGESTION_DAYS if suggest else 1
        window_end = max(end, (local_day + timedelta(days=days)).astimezone(UTC))
        emails = [p.email for p in people if p.email]
        try:
            busy = self._accounts.calendar(account, interactive=True).free_busy(
                emails, window_start, window_end
            )
        except CalendarError as exc:
            log.info("free/busy for %s failed: %s", host_id, exc)
            return AvailabilityReport(
                (t.gettext("Could not read your calendar to check for conflicts."),)
            )
        warnings: list[str] = []
        known: list[BusyInterval] = []
        host_known = busy_found = False
        for person in people:
            spans = busy.get(person.email) if person.email else None
            if spans is None:
                warnings.append(
                    t.gettext("Could not read your calendar.")
                    if person.user_id == host_id
                    else t.gettext("Could not read {name}'s calendar.", name=person.label)
                )
                continue
            host_known = host_known or person.user_id == host_id
            known.extend(spans)
            clashes = [s for s in _merge(spans) if s.start < end and start < s.end]
            if clashes:
                busy_found = True
                times = ", ".join(
                    _span_text(s, zone, start.astimezone(zone), t) for s in clashes[:3]
                )
                warnings.append(
                    t.gettext("You are busy {times}.", times=times)
                    if person.user_id == host_id
                    else t.gettext("{name} is busy {times}.", name=person.label, times=times)
                )
        suggestions: list[datetime] = []
        if suggest and host_known and (always_suggest or busy_found):
            earliest = max(self._clock.now(), local_day.astimezone(UTC))
            suggestions = free_slots(
                _merge(known),
                earliest,
                window_end,
                end - start,
                working_hours,
                zone.key,
                count=count,
            )
        return AvailabilityReport(tuple(warnings), tuple(suggestions))
