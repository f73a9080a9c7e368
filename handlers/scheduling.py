"""Use case: schedule a meeting from the modal's submission.

The meeting, its invitation/reminder/outcome jobs and its timeline entries are written
in one transaction under the submission's idempotency key, so a retried or
double-clicked Save creates exactly one meeting and one set of invitations, and a mail
server that is down only delays what the job queue will deliver.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.domain import Record, UserProfile
from handlers.errors import Field, ValidationFailed
from handlers.i18n import translator
from handlers.ids import parse_id
from handlers.jobs import JobKind
from handlers.meetings import (
    VIDEO_PROVIDERS,
    Attendee,
    AttendeeKind,
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
    MeetingRepository,
    PeopleDirectory,
    RecordRepository,
)
from handlers.rules import Checked, check_request, valid_email
from handlers.team_rules import on_behalf_problem, sandbox_problem
from handlers.workspace import WorkspaceRepository


@dataclass(frozen=True)
class Scheduled:
    meeting: Meeting
    created: bool
    invited: tuple[str, ...]
    not_invited: tuple[str, ...]
    warnings: tuple[str, ...] = ()


class ScheduleMeeting:
    def __init__(
        self,
        records: RecordRepository,
        meetings: MeetingRepository,
        people: PeopleDirectory,
        clock: Clock,
        *,
        calendars: CalendarDirectory | None = None,
        workspaces: WorkspaceRepository | None = None,
    ) -> None:
        self._workspaces = workspaces
        self._records = records
        self._meetings = meetings
        self._people = people
        self._clock = clock
        self._calendars = calendars

    def __call__(self, req: MeetingRequest) -> Scheduled:
        """Raises ValidationFailed when a rule refuses the request."""
        existing = self._meetings.by_idempotency_key(req.team_id, req.idempotency_key)
        if existing is not None:
            return self._result(existing, created=False, warnings=())
        now = self._clock.now()
        t = translator(req.language)
        checked = check_request(req, now, t)
        record = self._record(req, checked)
        attendees = self._resolve_attendees(req, checked)
        connection = self._calendars.connection_for(req.team_id, req.host_id) if self._calendars else None
        self._check_video(req, connection, checked)
        self._check_team_rules(req, attendees, connection, checked, host_changed=req.host_id != req.organizer_id)
        if not checked.ok or record is None:
            raise ValidationFailed(checked.errors, tuple(checked.warnings))
        new = self._new_meeting(req, checked, record, attendees)
        timeline = [
            TimelineSpec(
                record_id=rid,
                kind="meeting_scheduled",
                occurred_at=now,
                actor_user_id=req.organizer_id,
                data={"title": new.title, "start": new.start_utc.isoformat(), "host": new.host_id,
                      "organizer": new.organizer_id},
            )
            for rid in new.record_ids
        ]
        try:
            meeting, created = self._meetings.create(
                new, lambda meeting_id: self._jobs(meeting_id, new, req, now, connection), timeline
            )
        except LookupError:  # a forged submission key or record of another workspace
            raise ValidationFailed({Field.RECORD: t.gettext("This form has expired. Close it and run /meet again.")}) from None
        return self._result(meeting, created=created, warnings=tuple(checked.warnings))

    def _record(self, req: MeetingRequest, checked: Checked) -> Record | None:
        """The meeting's record and its associated records, in the caller's workspace only:
        an id of another workspace (or junk) is answered like a deleted record."""
        t = translator(req.language)
        record = self._records.get(req.team_id, req.record_id) if req.record_id is not None else None
        if req.record_id is not None and record is None:
            checked.errors[Field.RECORD] = t.gettext("This record no longer exists. Pick another.")
        for rid in req.associated_record_ids:
            if self._records.get(req.team_id, rid) is None:
                checked.errors[Field.ASSOCIATED] = t.gettext("This record no longer exists. Pick another.")
                break
        return record

    def _resolve_attendees(self, req: MeetingRequest, checked: Checked) -> list[Attendee]:
        attendees: list[Attendee] = []
        seen: set[str] = set()
        for ref in req.attendees:
            if ref.kind is AttendeeKind.CONTACT:
                rid = parse_id(ref.ref)
                rec = self._records.get(req.team_id, rid) if rid is not None else None
                if rec is None:
                    checked.errors[Field.ATTENDEES] = translator(req.language).gettext(
                        "One of the attendees no longer exists. Remove it.")
                    continue
                key = f"c:{rec.id}"
                attendee = Attendee(AttendeeKind.CONTACT, rec.name, rec.email if valid_email(rec.email) else None,
                                    record_id=rec.id, timezone=rec.timezone)
            else:
                user = self._people.user(req.team_id, ref.ref)
                if user is None:
                    checked.errors[Field.ATTENDEES] = translator(req.language).gettext(
                        "One of the teammates is not in this workspace. Remove them.")
                    continue
                key = f"u:{user.slack_user_id}"
                attendee = Attendee(AttendeeKind.USER, user.name or user.slack_user_id,
                                    user.email if valid_email(user.email) else None,
                                    slack_user_id=user.slack_user_id, timezone=user.timezone)
            if key not in seen:
                seen.add(key)
                attendees.append(attendee)
        return attendees

    def _new_meeting(
        self, req: MeetingRequest, checked: Checked, record: Record, attendees: list[Attendee]
    ) -> NewMeeting:
        assert checked.start_utc is not None and checked.end_utc is not None
        record_ids = [record.id, *[r for r in req.associated_record_ids if r != record.id]]
        for attendee in attendees:
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
            attendees=tuple(attendees),
            record_ids=tuple(record_ids),
            reminders=tuple(checked.reminders),
            description=req.description.strip(),
            notes=req.notes,
            notes_text=req.notes_text,
            mentions=req.mentions,
            include_description_in_reminders=req.include_description_in_reminders,
            meeting_type=req.meeting_type,
        )

    def _check_team_rules(self, req: MeetingRequest, attendees: list[Attendee],
                          connection: CalendarConnectionInfo | None, out: Checked, *, host_changed: bool) -> None:
        """Booking on behalf of a teammate, and who may be booked in a sandbox workspace."""
        if host_changed:
            organizer = self._people.user(req.team_id, req.organizer_id) or UserProfile(req.team_id, req.organizer_id)
            problem = on_behalf_problem(organizer, self._people.user(req.team_id, req.host_id), connection,
                                        req.language)
            if problem:
                out.errors[Field.HOST] = problem
        if self._workspaces is not None and self._workspaces.get(req.team_id).is_sandbox:
            profiles = {a.slack_user_id: self._people.user(req.team_id, a.slack_user_id)
                        for a in attendees if a.slack_user_id}
            problem = sandbox_problem(attendees, profiles, req.language)
            if problem:
                out.errors[Field.ATTENDEES] = problem

    def _check_video(self, req: MeetingRequest, connection: CalendarConnectionInfo | None, out: Checked) -> None:
        """Meet needs the host's Google calendar, Teams their Microsoft 365 one, Zoom the Zoom settings."""
        if req.location.kind is not LocationKind.VIDEO or not req.location.provider:
            return
        provider = req.location.provider
        if provider == "zoom":
            if not (self._calendars and self._calendars.zoom_available()):
                out.errors[Field.VIDEO] = translator(req.language).gettext(
                    "Zoom is not set up for this workspace. Pick another provider.")
            return
        needed = {"google_meet": ("google", "Google"), "teams": ("microsoft", "Microsoft 365")}.get(provider)
        if needed and (connection is None or connection.provider != needed[0] or not connection.active):
            out.errors[Field.VIDEO] = translator(req.language).gettext(
                "Links for {provider} are created in the host's {calendar} calendar. "
                "Connect it first, or pick another provider.",
                provider=VIDEO_PROVIDERS.get(provider, provider), calendar=needed[1])

    def _jobs(self, meeting_id: int, new: NewMeeting, req: MeetingRequest, now: datetime,
              connection: CalendarConnectionInfo | None = None) -> list[JobSpec]:
        jobs: list[JobSpec] = []
        needs_provider = (connection is not None and connection.active) or new.location.kind is LocationKind.VIDEO
        if needs_provider:
            # The calendar (or Zoom) call comes first: it creates the join link the
            # invitations carry. Its handler queues Meetline's own invitations when the
            # provider does not send them itself.
            jobs.append(JobSpec(JobKind.CALENDAR_CREATE, {"meeting_id": meeting_id}, now,
                                f"calendar-create:{meeting_id}"))
        else:
            jobs += invitation_jobs(
                meeting_id, invitation_recipients(new.attendees, self._people.user(req.team_id, new.host_id)), now)
        return jobs + timed_jobs(meeting_id, new) + mention_jobs(meeting_id, new, now)

    def _result(self, meeting: Meeting, *, created: bool, warnings: tuple[str, ...]) -> Scheduled:
        invited = tuple(a.name or a.email or "" for a in meeting.attendees if a.email)
        not_invited = tuple(a.name for a in meeting.attendees if not a.email)
        return Scheduled(meeting, created, invited, not_invited, warnings)


def timed_jobs(meeting_id: int, new: NewMeeting) -> list[JobSpec]:
    """Reminders and the outcome prompt; keys carry the times, so a moved meeting gets new jobs."""
    start_key = int(new.start_utc.timestamp())
    jobs = [
        JobSpec(JobKind.REMIND, {"meeting_id": meeting_id, "offset_minutes": r.offset_minutes}, r.due_at,
                f"remind:{meeting_id}:{start_key}:{r.offset_minutes}")
        for r in new.reminders
    ]
    end_key = int(new.end_utc.timestamp())
    jobs.append(JobSpec(JobKind.OUTCOME, {"meeting_id": meeting_id, "end": end_key}, new.end_utc,
                        f"outcome:{meeting_id}:{end_key}"))
    return jobs


def mention_jobs(meeting_id: int, new: NewMeeting, now: datetime) -> list[JobSpec]:
    """One DM per mentioned teammate, ever: an edit that mentions them again adds nothing."""
    return [
        JobSpec(JobKind.MENTION, {"meeting_id": meeting_id, "user_id": user_id}, now, f"mention:{meeting_id}:{user_id}")
        for user_id in dict.fromkeys(new.mentions)
    ]


def invitation_jobs(meeting_id: int, emails: list[str], now: datetime, sequence: int = 0,
                    method: str = "REQUEST") -> list[JobSpec]:
    """Meetline's own .ics, one job per recipient; the key carries the SEQUENCE so each
    version is mailed once (shared with the calendar jobs, which queue these when the
    provider does not send invitations itself)."""
    payload: dict[str, Any] = {"method": method} if method != "REQUEST" else {}
    prefix = "invite" if method == "REQUEST" else "cancel"
    return [
        JobSpec(JobKind.INVITE, {"meeting_id": meeting_id, "email": email, "sequence": sequence, **payload}, now,
                f"{prefix}:{meeting_id}:{sequence}:{email}")
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

