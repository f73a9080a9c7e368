"""Meetings as the use cases see them: what a user asks for, and what is stored."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from handlers.i18n import Translator, translator

OUTCOME_SCHEDULED = "SCHEDULED"
DEFAULT_OUTCOMES = ("COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED")


class LocationKind(StrEnum):
    NONE = "none"
    PHONE = "phone"
    IN_PERSON = "in_person"
    VIDEO = "video"
    CUSTOM = "custom"


VIDEO_PROVIDERS = {"google_meet": "Google Meet", "teams": "Microsoft Teams", "zoom": "Zoom"}


@dataclass(frozen=True)
class Location:
    kind: LocationKind = LocationKind.NONE
    detail: str = ""
    provider: str | None = None  # for video: a key of VIDEO_PROVIDERS

    def display(self, join_url: str | None = None, t: Translator | None = None) -> str:
        """The single line attendees see as the meeting's place, in `t`'s language (English)."""
        t = t or translator("en")
        if self.kind is LocationKind.PHONE:
            return t.gettext("Phone call: {number}", number=self.detail)
        if self.kind is LocationKind.VIDEO:
            name = VIDEO_PROVIDERS.get(self.provider or "") or t.gettext("Video call")
            return f"{name}: {join_url}" if join_url else name
        return self.detail


class ReminderUnit(StrEnum):
    WEEKS = "weeks"
    DAYS = "days"
    HOURS = "hours"
    MINUTES = "minutes"


UNIT_MINUTES = {
    ReminderUnit.WEEKS: 7 * 24 * 60,
    ReminderUnit.DAYS: 24 * 60,
    ReminderUnit.HOURS: 60,
    ReminderUnit.MINUTES: 1,
}
MAX_REMINDERS = 3


@dataclass(frozen=True)
class ReminderSpec:
    """ "N units before the start", as the user typed it; `amount` None means unreadable."""

    amount: int | None
    unit: ReminderUnit
    raw: str = ""

    @property
    def offset(self) -> timedelta:
        return timedelta(minutes=(self.amount or 0) * UNIT_MINUTES[self.unit])


class AttendeeKind(StrEnum):
    CONTACT = "contact"
    USER = "user"
    # An address only: no record, no Slack user (a HubSpot merge's second row, a link
    # lost to older code). Nobody can pick one; an edit form names those its meeting
    # has (Attendee.guest_ref) so that a Save keeps them. Stored rows read as CONTACT.
    EMAIL = "email"


_REF_PREFIX = {AttendeeKind.CONTACT: "c", AttendeeKind.USER: "u", AttendeeKind.EMAIL: "e"}


@dataclass(frozen=True)
class AttendeeRef:
    kind: AttendeeKind
    ref: str  # record id for contacts, Slack user id for teammates, guest_ref for EMAIL

    def encode(self) -> str:
        return f"{_REF_PREFIX[self.kind]}:{self.ref}"

    @staticmethod
    def decode(value: str) -> AttendeeRef | None:
        prefix, _, ref = value.partition(":")
        if not ref:
            return None
        if prefix == "c":
            # Kept as sent: the use case looks it up in the caller's workspace, and an id
            # that is junk, huge or another workspace's is "no longer exists" there.
            return AttendeeRef(AttendeeKind.CONTACT, ref[:40])
        if prefix == "u":
            return AttendeeRef(AttendeeKind.USER, ref)
        if prefix == "e":
            # Never an address: looked up among the edited meeting's own guests only
            # (handlers.meeting_checks), so a forged one names nobody.
            return AttendeeRef(AttendeeKind.EMAIL, ref[:40])
        return None


@dataclass(frozen=True)
class MeetingRequest:
    """Everything the modal submitted, not yet checked."""

    idempotency_key: str
    team_id: str
    organizer_id: str
    host_id: str
    timezone: str
    record_id: int | None
    title: str
    day: date | None
    start_time: time | None
    duration_minutes: int | None
    attendees: tuple[AttendeeRef, ...]
    location: Location = Location()
    reminders: tuple[ReminderSpec, ...] = ()
    include_description_in_reminders: bool = False
    description: str = ""
    notes: dict[str, Any] | None = None  # as the form keeps it, to show it again; never read here
    notes_text: str = ""  # the notes as plain text, mentions as <@U…>
    mentions: tuple[str, ...] = ()  # Slack user ids mentioned in the notes, in order
    meeting_type: str | None = None
    associated_record_ids: tuple[int, ...] = ()
    phone_region: str | None = None
    language: str = "en"  # the organizer's, for the messages they read ("pl", "en")
    outcome: str | None = None  # the edit form's outcome field; None: not asked
    # What contacts read (invitations, updates, cancellations, reminders), as the form
    # chose it; None: their record's language, else the host's (handlers.deliveries).
    invitation_language: str | None = None


@dataclass(frozen=True)
class Attendee:
    kind: AttendeeKind
    name: str
    email: str | None
    record_id: int | None = None
    slack_user_id: str | None = None
    timezone: str | None = None
    invited_sequence: int | None = None
    response: str = "needs-action"  # "declined" ones get no reminders

    def guest_ref(self) -> str | None:
        """How an edit form names this attendee when it has an address and nothing else
        (AttendeeKind.EMAIL), else None. A digest of the address: the same across edits
        (storage rewrites attendee rows but keeps them by address), short enough for a
        Slack option value, and no address for a client to swap for another."""
        if self.record_id is not None or self.slack_user_id or not self.email:
            return None
        return hashlib.sha256(self.email.strip().lower().encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Reminder:
    offset_minutes: int
    due_at: datetime
    status: str = "pending"


@dataclass(frozen=True)
class JobSpec:
    """A job to store in the same transaction as the meeting it belongs to."""

    kind: str
    payload: dict[str, Any]
    run_at: datetime
    dedupe_key: str | None = None


@dataclass(frozen=True)
class TimelineSpec:
    record_id: int
    kind: str
    occurred_at: datetime
    actor_user_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Meeting:
    id: int
    team_id: str
    uid: str
    sequence: int
    title: str
    start_utc: datetime
    end_utc: datetime
    timezone: str
    duration_minutes: int
    location: Location
    host_id: str
    organizer_id: str
    description: str = ""
    notes: dict[str, Any] | None = None
    notes_text: str = ""
    include_description_in_reminders: bool = False
    meeting_type: str | None = None
    join_url: str | None = None
    status: str = "scheduled"
    outcome: str = OUTCOME_SCHEDULED
    record_id: int | None = None
    attendees: list[Attendee] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    idempotency_key: str | None = None
    created_at: datetime | None = None
    calendar_provider: str | None = None
    calendar_event_id: str | None = None
    calendar_event_url: str | None = None  # the event's page in the host's calendar
    invitation_language: str | None = None  # MeetingRequest.invitation_language


@dataclass(frozen=True)
class NewMeeting:
    """A checked request, ready to store."""

    team_id: str
    idempotency_key: str
    uid: str
    title: str
    start_utc: datetime
    end_utc: datetime
    timezone: str
    duration_minutes: int
    location: Location
    host_id: str
    organizer_id: str
    record_id: int
    attendees: tuple[Attendee, ...]
    record_ids: tuple[int, ...]
    reminders: tuple[Reminder, ...]
    description: str = ""
    notes: dict[str, Any] | None = None
    notes_text: str = ""
    include_description_in_reminders: bool = False
    meeting_type: str | None = None
    mentions: tuple[str, ...] = ()  # teammates to tell about the meeting, once each
    invitation_language: str | None = None

    def stored(
        self,
        meeting_id: int,
        created_at: datetime | None,
        *,
        attendees: list[Attendee] | None = None,
        record_ids: list[int] | None = None,
    ) -> Meeting:
        """The meeting as storing this one makes it (version 0, scheduled, no outcome yet,
        reminders by offset), so a repository can answer without reading it back.
        `attendees` and `record_ids`: as stored, when the store trims or orders them."""
        records = list(dict.fromkeys(self.record_ids)) if record_ids is None else record_ids
        return Meeting(
            id=meeting_id,
            team_id=self.team_id,
            uid=self.uid,
            sequence=0,
            title=self.title,
            start_utc=self.start_utc,
            end_utc=self.end_utc,
            timezone=self.timezone,
            duration_minutes=self.duration_minutes,
            location=Location(
                self.location.kind, self.location.detail or "", self.location.provider
            ),
            host_id=self.host_id,
            organizer_id=self.organizer_id,
            description=self.description or "",
            notes=self.notes,
            notes_text=self.notes_text or "",
            include_description_in_reminders=self.include_description_in_reminders,
            meeting_type=self.meeting_type,
            invitation_language=self.invitation_language,
            record_id=self.record_id if self.record_id is not None else next(iter(records), None),
            attendees=list(self.attendees) if attendees is None else attendees,
            record_ids=records,
            reminders=[
                Reminder(r.offset_minutes, r.due_at, "pending")
                for r in sorted(self.reminders, key=lambda r: r.offset_minutes)
            ],
            idempotency_key=self.idempotency_key,
            created_at=created_at,
        )


def combine_local(day: date, at: time, zone_name: str) -> tuple[datetime | None, str | None]:
    """The aware instant for a wall time, or why it does not name exactly one instant.

    Wall times in a spring-forward gap do not exist and those in the autumn fold happen
    twice; we ask the user rather than guess either way.
    """
    from datetime import UTC
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    local = datetime.combine(day, at).replace(tzinfo=zone)
    back = local.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None, "gap"
    other = local.replace(fold=1)
    if other.utcoffset() != local.utcoffset():
        return None, "fold"
    return local, None


@dataclass(frozen=True)
class MeetingUpdate:
    """The whole new state of an edited meeting; uid and idempotency key never change."""

    meeting_id: int
    fields: NewMeeting
    sequence: int
    status: str = "scheduled"
    outcome: str = OUTCOME_SCHEDULED
    expected_sequence: int | None = None  # the version this change was computed from


class StaleMeeting(Exception):
    """The meeting changed between reading it and writing the change (two clicks at once)."""


@dataclass(frozen=True)
class TimelineEntry:
    record_id: int
    kind: str
    occurred_at: datetime
    actor_user_id: str | None
    meeting_id: int | None
    data: dict[str, Any]
