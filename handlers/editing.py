"""Use cases: edit (reschedule) and cancel a meeting.

An edit keeps the meeting's UID and history: it raises SEQUENCE when attendees would see
a difference, re-invites only the people affected (a CANCEL to removed ones), moves
reminders and the outcome prompt with the meeting, and logs the change on the timeline
instead of deleting anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from handlers.crm_log import CANCELLED, EDITED, RESCHEDULED, crm_log_job
from handlers.domain import Record, UserProfile
from handlers.errors import DomainError, Field, NotAllowed, NotFound, Reason, ValidationFailed
from handlers.i18n import Translator, language_for, translator
from handlers.jobs import ATTENDEE_KINDS, TIMED_KINDS, JobKind
from handlers.meeting_checks import MeetingChecks, NamedPeople
from handlers.meetings import (
    JobSpec,
    LocationKind,
    Meeting,
    MeetingRequest,
    MeetingUpdate,
    NewMeeting,
    Reminder,
    ReminderSpec,
    StaleMeeting,
    TimelineSpec,
    combine_local,
)
from handlers.policy import can_cancel_meeting, can_edit_meeting
from handlers.ports import (
    CalendarConnectionInfo,
    CalendarDirectory,
    Clock,
    PeopleDirectory,
    UnitOfWork,
    UnitOfWorkFactory,
)
from handlers.scheduling import (
    Scheduled,
    invitation_jobs,
    invitation_recipients,
    mention_jobs,
    new_meeting,
    scheduled,
    timed_jobs,
)

OUTCOME_CANCELED = "CANCELED"


def may_manage(meeting: Meeting, actor: UserProfile) -> bool:
    """Host, organizer, or a Meetline admin of the same workspace (handlers.policy)."""
    return can_edit_meeting(actor, meeting)


def _visible(m: Meeting | NewMeeting) -> tuple[object, ...]:
    """What attendees see in their calendar: a change here needs a new SEQUENCE for all."""
    return (m.title, m.start_utc, m.end_utc, m.location, m.description)


class Changed(StrEnum):
    """What an edit changed, in the order the confirmation lists it."""

    TIME = "time"
    TITLE = "title"
    PLACE = "place"
    ATTENDEES = "attendees"
    HOST = "host"
    DESCRIPTION = "description"
    REMINDERS = "reminders"
    TYPE = "type"
    NOTES = "notes"
    RECORDS = "records"


def what_changed(before: Meeting, after: Meeting) -> tuple[Changed, ...]:
    """The parts of a meeting an edit changed, so the confirmation says what it did
    rather than "scheduled" again; empty when the edit changed nothing."""

    def people(m: Meeting) -> list[str]:
        return sorted((a.email or a.name).lower() for a in m.attendees)

    def reminders(m: Meeting) -> list[int]:
        return sorted(r.offset_minutes for r in m.reminders)

    differs = {
        Changed.TIME: (before.start_utc, before.end_utc) != (after.start_utc, after.end_utc),
        Changed.TITLE: before.title != after.title,
        Changed.PLACE: before.location != after.location,
        Changed.ATTENDEES: people(before) != people(after),
        Changed.HOST: before.host_id != after.host_id,
        Changed.DESCRIPTION: before.description != after.description
        or before.include_description_in_reminders != after.include_description_in_reminders,
        Changed.REMINDERS: reminders(before) != reminders(after),
        Changed.TYPE: before.meeting_type != after.meeting_type,
        Changed.NOTES: before.notes_text != after.notes_text,
        Changed.RECORDS: sorted(before.record_ids) != sorted(after.record_ids),
    }
    return tuple(what for what, changed in differs.items() if changed)


def _already_due(
    current: Meeting, req: MeetingRequest, now: datetime
) -> tuple[tuple[Reminder, ...], MeetingRequest]:
    """Reminders of the stored meeting whose time has come, which the edit keeps (same
    start, same offset), and the request without them: the form shows them again, and
    they are neither refused as "already passed" nor dropped from the meeting."""
    if req.day is None or req.start_time is None:
        return (), req
    start, _ = combine_local(req.day, req.start_time, req.timezone)
    if start is None or start != current.start_utc:
        return (), req
    due = {r.offset_minutes: r for r in current.reminders if r.due_at <= now}

    def offset(spec: ReminderSpec) -> int:
        return int(spec.offset.total_seconds() // 60)

    kept = {offset(s): due[offset(s)] for s in req.reminders if s.amount and offset(s) in due}
    rest = tuple(s for s in req.reminders if offset(s) not in kept)
    return tuple(kept.values()), replace(req, reminders=rest)


@dataclass(frozen=True)
class Cancelled:
    """A cancelled meeting, and the attendees its cancellation reaches by email (those
    who got the invitation, or every attendee with an email when the host's calendar
    sends its own), so the organizer is told the truth about who hears of it."""

    meeting: Meeting
    told: tuple[str, ...]


def _told(meeting: Meeting, provider_sends: bool) -> tuple[str, ...]:
    return tuple(
        a.name or a.email or ""
        for a in meeting.attendees
        if a.email and (provider_sends or a.invited_sequence is not None)
    )


@dataclass(frozen=True)
class MeetingToEdit:
    meeting: Meeting
    records: dict[int, Record]  # its records and attendees' records, by id
    # Those of `records` deleted at their source since: the form names them as such.
    deleted: frozenset[int] = frozenset()


class ManageMeeting:
    """Scheduling's checks (MeetingChecks), applied to a meeting that already exists; each
    edit or cancel is one unit of work with one commit."""

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
        self._calendars = calendars
        self._checks = MeetingChecks(calendars)
        self._crm_log = crm_log  # team -> does it log meetings in a CRM (HubSpot)?

    def edit(self, meeting_id: int, req: MeetingRequest, actor: UserProfile) -> Scheduled:
        """Raises NotFound, NotAllowed or ValidationFailed when the edit cannot be made."""
        people = NamedPeople.of(self._people, req)
        connection = self._checks.connection(req.team_id, req.host_id)
        with self._uow() as uow:
            current, updated, warnings, mailed = self._edit(
                uow, people, connection, meeting_id, req, actor
            )
            uow.commit()
        result = scheduled(updated, created=False, warnings=warnings, previous=current)
        if mailed is None:
            return result
        # Only these addresses get our updated invitation: the confirmation names them.
        invited = tuple(
            a.name or a.email or ""
            for a in updated.attendees
            if a.email and a.email.lower() in mailed
        )
        return replace(result, invited=invited)

    def _edit(
        self,
        uow: UnitOfWork,
        people: NamedPeople,
        connection: CalendarConnectionInfo | None,
        meeting_id: int,
        req: MeetingRequest,
        actor: UserProfile,
    ) -> tuple[Meeting, Meeting, tuple[str, ...], frozenset[str] | None]:
        """The meeting before and after, the checks' warnings, and the addresses our
        updated invitation goes to (None: every attendee with an email hears of it,
        from the host's calendar or because the time moved)."""
        current = uow.meetings.get(req.team_id, meeting_id)
        if current is None or current.status == "cancelled":
            raise NotFound(
                translator(req.language).gettext("This meeting was cancelled or no longer exists.")
            )
        if not may_manage(current, actor):
            raise NotAllowed(Reason.EDIT_MEETING, host=current.host_id)
        now = self._clock.now()
        due, req = _already_due(current, req, now)
        ok = self._checks.check(
            uow,
            people,
            req,
            now,
            connection,
            host_changed=req.host_id != current.host_id,
            editing=current,
        )
        new = new_meeting(req, ok)
        new = replace(
            new,
            uid=current.uid,
            idempotency_key=current.idempotency_key or "",
            organizer_id=current.organizer_id,
            reminders=tuple(sorted((*due, *new.reminders), key=lambda r: r.due_at)),
        )
        old_emails = {a.email.lower() for a in current.attendees if a.email}
        new_emails = {a.email.lower() for a in new.attendees if a.email}
        moved = _visible(current) != _visible(new)
        people_changed = old_emails != new_emails
        sequence = current.sequence + 1 if (moved or people_changed) else current.sequence
        jobs: list[JobSpec] = []
        mailed: frozenset[str] | None = None
        host = people.user(new.host_id)
        needs_event = (
            connection is not None and connection.active
        ) or new.location.kind is LocationKind.VIDEO
        if current.calendar_event_id and (moved or people_changed):
            jobs.append(
                JobSpec(
                    JobKind.CALENDAR_UPDATE,
                    {"meeting_id": meeting_id, "sequence": sequence},
                    now,
                    f"{JobKind.CALENDAR_UPDATE}:{meeting_id}:{sequence}",
                )
            )
        if not current.calendar_event_id and moved and needs_event:
            # No event yet (e.g. video added by this edit): create it first, as a new
            # booking would; its handler mails our invitations when the provider does not.
            jobs.append(
                JobSpec(
                    JobKind.CALENDAR_CREATE,
                    {"meeting_id": meeting_id},
                    now,
                    f"calendar-create:{meeting_id}:{sequence}",
                )
            )
            jobs += self._cancellations(current, old_emails, new_emails, meeting_id, sequence, now)
        elif sequence != current.sequence and not (
            connection and connection.sends_invitations and current.calendar_event_id
        ):
            recipients = invitation_recipients(new.attendees, host)
            affected = recipients if moved else [e for e in recipients if e not in old_emails]
            mailed = frozenset(affected)
            jobs += invitation_jobs(meeting_id, affected, now, sequence)
            jobs += self._cancellations(current, old_emails, new_emails, meeting_id, sequence, now)
        jobs += timed_jobs(meeting_id, new) + mention_jobs(meeting_id, new, now)
        if self._crm_log is not None and self._crm_log(current.team_id):
            change = RESCHEDULED if current.start_utc != new.start_utc else EDITED
            jobs.append(crm_log_job(meeting_id, now, change))
        timeline = self._edit_timeline(current, new, req.organizer_id, now, moved)
        try:
            updated = uow.meetings.update(
                MeetingUpdate(
                    meeting_id,
                    new,
                    sequence,
                    status="scheduled",
                    outcome=current.outcome,
                    expected_sequence=current.sequence,
                ),
                jobs,
                # Timed jobs the edit still wants keep their keys and stay queued; the
                # rest (a removed reminder, the old time's) are cancelled.
                cancel_kinds=TIMED_KINDS,
                timeline=timeline,
            )
        except StaleMeeting:
            raise ValidationFailed(
                {
                    Field.RECORD: translator(req.language).gettext(
                        "Someone changed this meeting meanwhile. Close the form and edit it again."
                    )
                }
            ) from None
        except LookupError:  # deleted meanwhile, or a record of another workspace slipped in
            raise NotFound(
                translator(req.language).gettext("This meeting was cancelled or no longer exists.")
            ) from None
        return current, updated, tuple(ok.checked.warnings), mailed

    @staticmethod
    def _cancellations(
        current: Meeting,
        old_emails: set[str],
        new_emails: set[str],
        meeting_id: int,
        sequence: int,
        now: datetime,
    ) -> list[JobSpec]:
        """A CANCEL for each person removed by the edit who had received the invitation."""
        was_invited = {
            a.email.lower() for a in current.attendees if a.email and a.invited_sequence is not None
        }
        removed = sorted((old_emails - new_emails) & was_invited)
        return invitation_jobs(meeting_id, removed, now, sequence, method="CANCEL")

    @staticmethod
    def _edit_timeline(
        current: Meeting, new: NewMeeting, actor: str, now: datetime, moved: bool
    ) -> list[TimelineSpec]:
        rescheduled = current.start_utc != new.start_utc or current.end_utc != new.end_utc
        kind = "meeting_rescheduled" if rescheduled else "meeting_updated"
        data = {
            "title": new.title,
            "start": new.start_utc.isoformat(),
            "previous_start": current.start_utc.isoformat(),
            "host": new.host_id,
            "organizer": current.organizer_id,
        }
        return [
            TimelineSpec(rid, kind, now, actor, data)
            for rid in dict.fromkeys([*current.record_ids, *new.record_ids])
        ]

    @staticmethod
    def _actor_translator(uow: UnitOfWork, actor: UserProfile) -> Translator:
        """The actor's Slack language, else their workspace's default."""
        return translator(
            language_for(actor.locale, uow.workspaces.get(actor.team_id).default_language)
        )

    def to_edit(self, meeting_id: int, actor: UserProfile) -> MeetingToEdit:
        """The meeting `actor` asks to edit, with the records the edit form names; raises
        NotFound (cancelled, gone, or another workspace's) or NotAllowed."""
        with self._uow() as uow:
            m = uow.meetings.get(actor.team_id, meeting_id)
            if m is None or m.status == "cancelled":
                raise NotFound(
                    self._actor_translator(uow, actor).gettext(
                        "This meeting was cancelled or no longer exists."
                    )
                )
            if not may_manage(m, actor):
                raise NotAllowed(Reason.EDIT_MEETING, host=m.host_id)
            ids = {*m.record_ids, *(a.record_id for a in m.attendees if a.record_id is not None)}
            records = {rid: r for rid in ids if (r := uow.records.get(m.team_id, rid)) is not None}
            # Only this meeting's own links, deleted at the source since: the edit keeps
            # them (MeetingChecks), so the form shows them by name, not as an id.
            gone = uow.records.deleted_among(m.team_id, sorted(ids - records.keys()))
        return MeetingToEdit(m, records | gone, frozenset(gone))

    def cancel(self, meeting_id: int, actor: UserProfile) -> Cancelled:
        """The cancelled meeting; cancelling twice is a no-op that still succeeds. Raises
        NotFound or NotAllowed (messages in the actor's language)."""
        host = self._host_of(meeting_id, actor)
        with self._uow() as uow:
            meeting = self._cancel(uow, meeting_id, actor, host)
            uow.commit()
        connection = (
            self._calendars.connection_for(meeting.team_id, meeting.host_id)
            if self._calendars
            else None
        )
        provider_sends = bool(
            connection and connection.sends_invitations and meeting.calendar_event_id
        )
        return Cancelled(meeting, _told(meeting, provider_sends))

    def _host_of(self, meeting_id: int, actor: UserProfile) -> UserProfile | None:
        """The meeting's host as the people directory knows them, asked outside any
        transaction (a lookup may call Slack and cache the answer); None if not found."""
        with self._uow() as uow:
            m = uow.meetings.get(actor.team_id, meeting_id)
        return self._people.user(m.team_id, m.host_id) if m is not None else None

    def _cancel(
        self, uow: UnitOfWork, meeting_id: int, actor: UserProfile, host: UserProfile | None
    ) -> Meeting:
        m = uow.meetings.get(actor.team_id, meeting_id)
        if m is None:
            raise NotFound(
                self._actor_translator(uow, actor).gettext("This meeting no longer exists.")
            )
        if not can_cancel_meeting(actor, m):
            raise NotAllowed(Reason.CANCEL_MEETING, host=m.host_id)
        if m.status == "cancelled":
            return m
        now = self._clock.now()
        sequence = m.sequence + 1
        jobs: list[JobSpec] = []
        connection = (
            self._calendars.connection_for(m.team_id, m.host_id) if self._calendars else None
        )
        if m.calendar_event_id:
            jobs.append(
                JobSpec(
                    JobKind.CALENDAR_CANCEL,
                    {"meeting_id": m.id, "sequence": sequence},
                    now,
                    f"{JobKind.CALENDAR_CANCEL}:{m.id}",
                )
            )
        if not (connection and connection.sends_invitations and m.calendar_event_id):
            # Only people who received the invitation need its cancellation.
            invited = [a for a in m.attendees if a.invited_sequence is not None]
            if host is not None and host.slack_user_id != m.host_id:  # the host changed meanwhile
                stored = uow.users.get(m.team_id, m.host_id)
                host = None if stored is None or stored.extra.get("deleted") else stored
            jobs += invitation_jobs(
                m.id, invitation_recipients(invited, host), now, sequence, method="CANCEL"
            )
        if self._crm_log is not None and self._crm_log(m.team_id):
            jobs.append(crm_log_job(m.id, now, CANCELLED))
        fields = NewMeeting(
            team_id=m.team_id,
            idempotency_key=m.idempotency_key or "",
            uid=m.uid,
            title=m.title,
            start_utc=m.start_utc,
            end_utc=m.end_utc,
            timezone=m.timezone,
            duration_minutes=m.duration_minutes,
            location=m.location,
            host_id=m.host_id,
            organizer_id=m.organizer_id,
            record_id=m.record_id or 0,
            attendees=tuple(m.attendees),
            record_ids=tuple(m.record_ids),
            reminders=(),
            description=m.description,
            notes=m.notes,
            notes_text=m.notes_text,
            include_description_in_reminders=m.include_description_in_reminders,
            meeting_type=m.meeting_type,
            invitation_language=m.invitation_language,
        )
        timeline = [
            TimelineSpec(
                rid,
                "meeting_cancelled",
                now,
                actor.slack_user_id,
                {
                    "title": m.title,
                    "start": m.start_utc.isoformat(),
                    "host": m.host_id,
                    "organizer": m.organizer_id,
                },
            )
            for rid in m.record_ids
        ]
        try:
            updated = uow.meetings.update(
                MeetingUpdate(
                    m.id,
                    fields,
                    sequence,
                    status="cancelled",
                    outcome=OUTCOME_CANCELED,
                    expected_sequence=m.sequence,
                ),
                jobs,
                cancel_kinds=ATTENDEE_KINDS,
                timeline=timeline,
            )
        except LookupError:
            raise NotFound(
                self._actor_translator(uow, actor).gettext("This meeting no longer exists.")
            ) from None
        except StaleMeeting:  # a second click, or an edit, got there first
            latest = uow.meetings.get(actor.team_id, meeting_id)
            if latest is None or latest.status != "cancelled":
                raise DomainError() from None  # an edit won: nothing to say, the click did nothing
            return latest
        return updated
