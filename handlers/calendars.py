"""Calendars and conferencing as the use cases see them: domain types, ports, free slots.

The use cases speak only these types; adapters translate them to Google Calendar,
Microsoft Graph, CalDAV and Zoom. Three rules shape everything here:

- A retried job must never make a second event, so `create_event` is idempotent on
  `CalendarEvent.uid` (Google: client-chosen id, Graph: transactionId, CalDAV: the
  resource is named after the UID).
- One invitation per attendee: `CalendarPort.sends_invitations` tells the use case
  whether the provider mails invitations itself or Meetline must mail its own .ics.
- An unreachable or disconnected calendar is never "free": free/busy answers `None`
  for a calendar it could not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

VideoKind = Literal["google_meet", "teams"]


# --------------------------------------------------------------------------- domain types


def _require_aware(label: str, value: datetime) -> None:
    # A naive datetime is read in whatever zone the server runs in: refuse it where the
    # mistake is made rather than an hour off in somebody's calendar.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{label} must be timezone-aware")


@dataclass(frozen=True)
class Guest:
    """An attendee as calendars know them: a mailbox and a display name."""

    email: str
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class CalendarEvent:
    """A meeting as it should look in the host's calendar (keyword-only, so a field
    added later cannot silently shift positional arguments).

    `uid` is the meeting's stored iCalendar UID; it never changes for a meeting and is
    what makes creates idempotent. `sequence` is raised by the use case on every change
    (CalDAV stores it; iMIP clients ignore un-bumped updates). Times are aware UTC
    instants; `timezone` is the IANA zone the host meant, used for display only.
    `want_video` asks the calendar itself to create a conference (Meet or Teams);
    `join_url` is an already-created link (e.g. Zoom) to put into the event.
    """

    meeting_id: int
    uid: str
    sequence: int
    title: str
    description: str = ""
    start_utc: datetime
    end_utc: datetime
    timezone: str = "UTC"
    location: str = ""
    organizer_email: str
    organizer_name: str = ""
    attendees: tuple[Guest, ...] = ()
    want_video: VideoKind | None = None
    join_url: str | None = None

    def __post_init__(self) -> None:
        if not self.uid.strip():
            raise ValueError("uid must not be empty")
        if self.sequence < 0:
            raise ValueError("sequence must be >= 0")
        _require_aware("start_utc", self.start_utc)
        _require_aware("end_utc", self.end_utc)
        if self.end_utc <= self.start_utc:
            raise ValueError("end_utc must be after start_utc")
        if self.want_video not in (None, "google_meet", "teams"):
            raise ValueError(f"unknown want_video {self.want_video!r}")
        ZoneInfo(self.timezone)  # raises for an unknown zone before any provider sees it


@dataclass(frozen=True)
class CalendarResult:
    """What the use case stores after a write.

    `event_id` addresses the event for later updates and cancellation. `join_url` is
    the conference link (created by the calendar, or the one passed in). `etag` is the
    provider's version tag, when it has one. `event_url` is the event's own page in the
    provider's calendar (Google's htmlLink, Microsoft's webLink), when it has one.
    """

    event_id: str
    join_url: str | None
    sends_invitations: bool
    etag: str | None = None
    event_url: str | None = None


@dataclass(frozen=True)
class BusyInterval:
    """A half-open busy span [start, end) in aware UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware("start", self.start)
        _require_aware("end", self.end)


class CalendarError(Exception):
    """A calendar call failed. `transient` tells the job queue whether a retry can help.

    `retry_after` (seconds) is the provider's own hint, when it gave one, so the job is
    rescheduled no sooner than the provider asked.
    """

    def __init__(
        self, message: str = "", *, transient: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(
            message or ("temporary calendar failure" if transient else "calendar failure")
        )
        self.transient = transient
        self.retry_after = retry_after


class CalendarAuthError(CalendarError):
    """The connection was revoked or expired: retrying cannot help, the user must reconnect."""

    def __init__(self, message: str = "calendar connection is no longer authorised") -> None:
        super().__init__(message, transient=False)


class CalendarNotFoundError(CalendarError):
    """The event is gone from the calendar (deleted by the user); the use case decides
    whether to create it again."""

    def __init__(self, message: str = "calendar event not found") -> None:
        super().__init__(message, transient=False)


# --------------------------------------------------------------------------- ports


class CalendarPort(Protocol):
    @property
    def provider(self) -> str:
        """ "google", "microsoft" or "caldav"."""
        ...

    @property
    def sends_invitations(self) -> bool:
        """True when the provider mails invitations itself, so Meetline must not."""
        ...

    def create_event(self, ev: CalendarEvent) -> CalendarResult:
        """Create the event; calling again with the same `ev.uid` returns the same event."""
        ...

    def update_event(self, event_id: str, ev: CalendarEvent) -> CalendarResult:
        """Bring the event in line with `ev`; raises `CalendarNotFoundError` if it is gone."""
        ...

    def cancel_event(self, event_id: str, ev: CalendarEvent) -> None:
        """Cancel the event (attendees are told where the provider sends invitations).
        An event that is already gone counts as cancelled."""
        ...

    def free_busy(
        self, emails: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval] | None]:
        """Busy spans per email in [start, end); `None` means unknown, never free."""
        ...


@dataclass(frozen=True)
class ConferenceLink:
    provider: str
    meeting_id: str
    join_url: str


class ConferencingError(Exception):
    """A conferencing call failed; `transient` and `retry_after` as for `CalendarError`."""

    def __init__(
        self, message: str = "", *, transient: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(
            message or ("temporary conferencing failure" if transient else "conferencing failure")
        )
        self.transient = transient
        self.retry_after = retry_after


class ConferencingPort(Protocol):
    """A video provider whose meetings are made outside the calendar (e.g. Zoom).

    `create_meeting` is not idempotent at the provider: store the returned
    `meeting_id` before doing anything else, and update rather than create on retry.
    """

    def create_meeting(
        self,
        topic: str,
        start_utc: datetime,
        duration_minutes: int,
        host_email: str,
        timezone: str,
    ) -> ConferenceLink: ...

    def update_meeting(
        self,
        meeting_id: str,
        topic: str,
        start_utc: datetime,
        duration_minutes: int,
        timezone: str,
    ) -> None: ...

    def delete_meeting(self, meeting_id: str) -> None:
        """Delete the meeting; one that is already gone counts as deleted."""
        ...


# --------------------------------------------------------------------------- free slots


def _local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    # Round-trip through UTC so a wall time that does not exist (spring forward) lands on
    # the instant the clock actually shows after the jump, and an ambiguous one (fall
    # back) is its first occurrence (fold=0).
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def free_slots(
    busy: Sequence[BusyInterval],
    day_start: datetime,
    day_end: datetime,
    length: timedelta,
    working_hours: tuple[time, time],
    zone: str,
    count: int = 3,
    step: timedelta = timedelta(minutes=15),
) -> list[datetime]:
    """The first `count` slot starts (aware UTC) in [day_start, day_end) that fit `length`
    inside working hours and overlap no busy interval.

    Working hours are wall-clock times in `zone`, so they follow DST: 09:00 in Warsaw is
    08:00Z in winter and 07:00Z in summer, and a working day that spans a transition is
    an hour shorter or longer. Candidates lie on a `step` grid counted from the start of
    each working day, so suggestions read as 09:00, 09:15, … even when the search starts
    at 10:07.
    """
    _require_aware("day_start", day_start)
    _require_aware("day_end", day_end)
    if length <= timedelta(0):
        raise ValueError("length must be positive")
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    work_from, work_to = working_hours
    if work_to <= work_from:
        raise ValueError("working hours must end after they start")
    if count <= 0 or day_end <= day_start:
        return []

    tz = ZoneInfo(zone)
    spans = sorted(
        (b.start.astimezone(UTC), b.end.astimezone(UTC)) for b in busy if b.end > b.start
    )
    window_start = day_start.astimezone(UTC)
    window_end = day_end.astimezone(UTC)
    found: list[datetime] = []
    day = window_start.astimezone(tz).date()
    last_day = window_end.astimezone(tz).date()
    while day <= last_day and len(found) < count:
        open_at = _local_instant(day, work_from, tz)
        close_at = min(_local_instant(day, work_to, tz), window_end)
        candidate = open_at
        if candidate < window_start:
            behind = window_start - candidate
            candidate += step * -(-behind // step)  # ceil to the grid
        while candidate + length <= close_at and len(found) < count:
            slot_end = candidate + length
            clash = next((e for s, e in spans if s < slot_end and candidate < e), None)
            if clash is None:
                found.append(candidate)
                candidate += step
            else:
                # Jump past the clashing interval, staying on the grid.
                behind = clash - candidate
                candidate += step * -(-behind // step)
        day += timedelta(days=1)
    return found
