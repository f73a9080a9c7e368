"""Use case: schedule a meeting from the modal's submission.

The meeting, its invitation/reminder/outcome jobs and its timeline entries are written
in one transaction under the submission's idempotency key, so a retried or
double-clicked Save creates exactly one meeting and one set of invitations, and a mail
server that is down only delays what the job queue will deliver.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.crm_log import BOOKED, crm_log_job
from handlers.domain import UserProfile
from handlers.errors import Field, ValidationFailed
from handlers.i18n import translator
from handlers.jobs import JobKind
from handlers.meeting_checks import CheckedMeeting, MeetingChecks, NamedPeople
from handlers.meetings import (
    Attendee,
    JobSpec,
    LocationKind,
    Meeting,
    MeetingRequest,
    NewMeeting,
    TimelineSpec,
)
from handlers.ports import (
    CalendarConnectionInfo,
    CalendarDirectory,
    Clock,
    PeopleDirectory,
    UnitOfWorkFactory,
)
from handlers.rules import valid_email


@dataclass(frozen=True)
class Scheduled:
    meeting: Meeting
    created: bool
    invited: tuple[str, ...]
    not_invited: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    previous: Meeting | None = None  # after an edit: the meeting as it was before


class ScheduleMeeting:
    """Book a meeting: one unit of work reads what the checks need and writes the meeting,
    its jobs and its timeline entries, with one commit."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        people: PeopleDirectory,
        clock: Clock,
        *,
        calendars: CalendarDirectory | None = None,
        crm_log: Callable[[str], bool] | None = None,
    ) -> None:
        self._uow = uow
        self._people = people
        self._clock = clock
        self._checks = MeetingChecks(calendars)
        self._crm_log = crm_log  # team -> does it log meetings in a CRM (HubSpot)?

    def __call__(self, req: MeetingRequest) -> Scheduled:
        """Raises ValidationFailed when a rule refuses the request."""
        people = NamedPeople.of(self._people, req)
        connection = self._checks.connection(req.team_id, req.host_id)
        log_in_crm = self._crm_log is not None and self._crm_log(req.team_id)
        # Reads, then `create`: one write, atomic on its own (ports.UnitOfWorkFactory).
        with self._uow(single_write=True) as uow:
            # Read with the key's lookup where the storage can (one round trip, not two).
            uow.records.expect(req.team_id, self._checks.records_read(req))
            existing = uow.meetings.by_idempotency_key(req.team_id, req.idempotency_key)
            if existing is not None:
                return scheduled(_submitted_by(existing, req), created=False)
            now = self._clock.now()
            ok = self._checks.check(
                uow, people, req, now, connection, host_changed=req.host_id != req.organizer_id
            )
            new = new_meeting(req, ok)
            timeline = [
                TimelineSpec(
                    record_id=rid,
                    kind="meeting_scheduled",
                    occurred_at=now,
                    actor_user_id=req.organizer_id,
                    data={
                        "title": new.title,
                        "start": new.start_utc.isoformat(),
                        "host": new.host_id,
                        "organizer": new.organizer_id,
                    },
                )
                for rid in new.record_ids
            ]
            host = people.user(new.host_id)
            try:
                meeting, created = uow.meetings.create(
                    new,
                    lambda meeting_id: [
                        *booking_jobs(meeting_id, new, host, now, connection),
                        *([crm_log_job(meeting_id, now, BOOKED)] if log_in_crm else []),
                    ],
                    timeline,
                )
            except LookupError:  # a forged submission key or record of another workspace
                raise _expired(req) from None
            if not created:  # a Save of the same form won the race
                meeting = _submitted_by(meeting, req)
            uow.commit()
        return scheduled(meeting, created=created, warnings=tuple(ok.checked.warnings))


def _expired(req: MeetingRequest) -> ValidationFailed:
    return ValidationFailed(
        {
            Field.RECORD: translator(req.language).gettext(
                "This form has expired. Close it and run /meet again."
            )
        }
    )


def _submitted_by(meeting: Meeting, req: MeetingRequest) -> Meeting:
    """The meeting a repeated Save of this form booked, only to the one who booked it: the
    submission key travels in the form's metadata, and a teammate who got hold of it must
    not read someone else's meeting back (as for another workspace's key)."""
    if meeting.organizer_id != req.organizer_id:
        raise _expired(req)
    return meeting


def new_meeting(req: MeetingRequest, ok: CheckedMeeting) -> NewMeeting:
    """The meeting a checked request describes (an edit then keeps the stored UID and key)."""
    checked, record = ok.checked, ok.record
    assert checked.start_utc is not None and checked.end_utc is not None
    record_ids = [record.id, *[r for r in req.associated_record_ids if r != record.id]]
    for attendee in ok.attendees:
        if attendee.record_id is not None and attendee.record_id not in record_ids:
            record_ids.append(attendee.record_id)
    return NewMeeting(
        team_id=req.team_id,
        idempotency_key=req.idempotency_key,
        uid=f"{uuid.uuid4().hex}@meetline",
        title=" ".join(req.title.split()),
        start_utc=checked.start_utc.astimezone(UTC),
        end_utc=checked.end_utc.astimezone(UTC),
        timezone=req.timezone,
        duration_minutes=int(req.duration_minutes or 0),
        location=checked.location,
        host_id=req.host_id,
        organizer_id=req.organizer_id,
        record_id=record.id,
        attendees=tuple(ok.attendees),
        record_ids=tuple(record_ids),
        reminders=tuple(checked.reminders),
        description=req.description.strip(),
        notes=req.notes,
        notes_text=req.notes_text,
        mentions=req.mentions,
        include_description_in_reminders=req.include_description_in_reminders,
        meeting_type=req.meeting_type,
        invitation_language=req.invitation_language,
    )


def booking_jobs(
    meeting_id: int,
    new: NewMeeting,
    host: UserProfile | None,
    now: datetime,
    connection: CalendarConnectionInfo | None = None,
) -> list[JobSpec]:
    jobs: list[JobSpec] = []
    needs_provider = (
        connection is not None and connection.active
    ) or new.location.kind is LocationKind.VIDEO
    if needs_provider:
        # The calendar (or Zoom) call comes first: it creates the join link the
        # invitations carry. Its handler queues Meetline's own invitations when the
        # provider does not send them itself.
        jobs.append(
            JobSpec(
                JobKind.CALENDAR_CREATE,
                {"meeting_id": meeting_id},
                now,
                f"calendar-create:{meeting_id}",
            )
        )
    else:
        jobs += invitation_jobs(meeting_id, invitation_recipients(new.attendees, host), now)
    return jobs + timed_jobs(meeting_id, new) + mention_jobs(meeting_id, new, now)


def scheduled(
    meeting: Meeting,
    *,
    created: bool,
    warnings: tuple[str, ...] = (),
    previous: Meeting | None = None,
) -> Scheduled:
    invited = tuple(a.name or a.email or "" for a in meeting.attendees if a.email)
    not_invited = tuple(a.name for a in meeting.attendees if not a.email)
    return Scheduled(meeting, created, invited, not_invited, warnings, previous)


def timed_jobs(meeting_id: int, new: NewMeeting) -> list[JobSpec]:
    """Reminders and the outcome prompt; keys carry the times, so a moved meeting gets new jobs."""
    start_key = int(new.start_utc.timestamp())
    jobs = [
        JobSpec(
            JobKind.REMIND,
            {"meeting_id": meeting_id, "offset_minutes": r.offset_minutes},
            r.due_at,
            f"remind:{meeting_id}:{start_key}:{r.offset_minutes}",
        )
        for r in new.reminders
    ]
    end_key = int(new.end_utc.timestamp())
    jobs.append(
        JobSpec(
            JobKind.OUTCOME,
            {"meeting_id": meeting_id, "end": end_key},
            new.end_utc,
            f"outcome:{meeting_id}:{end_key}",
        )
    )
    return jobs


def mention_jobs(meeting_id: int, new: NewMeeting, now: datetime) -> list[JobSpec]:
    """One DM per mentioned teammate, ever: an edit that mentions them again adds nothing."""
    return [
        JobSpec(
            JobKind.MENTION,
            {"meeting_id": meeting_id, "user_id": user_id},
            now,
            f"mention:{meeting_id}:{user_id}",
        )
        for user_id in dict.fromkeys(new.mentions)
    ]


def invitation_jobs(
    meeting_id: int, emails: list[str], now: datetime, sequence: int = 0, method: str = "REQUEST"
) -> list[JobSpec]:
    """Meetline's own .ics, one job per recipient; the key carries the SEQUENCE so each
    version is mailed once (shared with the calendar jobs, which queue these when the
    provider does not send invitations itself)."""
    payload: dict[str, Any] = {"method": method} if method != "REQUEST" else {}
    prefix = "invite" if method == "REQUEST" else "cancel"
    return [
        JobSpec(
            JobKind.INVITE,
            {"meeting_id": meeting_id, "email": email, "sequence": sequence, **payload},
            now,
            f"{prefix}:{meeting_id}:{sequence}:{email}",
        )
        for email in emails
    ]


def invitation_recipients(attendees: tuple[Attendee, ...] | list[Attendee], host: Any) -> list[str]:
    """Every attendee with an email, plus the host (whose calendar holds the event)."""
    emails: list[str] = []
    for attendee in attendees:
        if attendee.email and attendee.email.lower() not in emails:
            emails.append(attendee.email.lower())
    host_email = getattr(host, "email", None)
    if host_email and valid_email(host_email) and host_email.lower() not in emails:
        emails.append(host_email.lower())
    return emails
