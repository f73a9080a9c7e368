"""The checks a meeting form passes before it is stored, for a new booking and an edit alike.

Composed into ScheduleMeeting and ManageMeeting (neither inherits from the other): the
form's own rules (handlers.rules), then what needs the workspace's data: the record and
attendees still exist in this workspace, the video provider can make a link, and the
team rules (booking on behalf, sandbox) allow the people named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from handlers.domain import Record, UserProfile
from handlers.errors import Field, ValidationFailed
from handlers.i18n import translator
from handlers.ids import parse_id
from handlers.meetings import (
    VIDEO_PROVIDERS,
    Attendee,
    AttendeeKind,
    LocationKind,
    Meeting,
    MeetingRequest,
)
from handlers.ports import (
    CalendarConnectionInfo,
    CalendarDirectory,
    PeopleDirectory,
    RecordRepository,
    UnitOfWork,
)
from handlers.rules import Checked, check_request, valid_email
from handlers.team_rules import on_behalf_problem, sandbox_problem


class NamedPeople:
    """The teammates a request names, looked up once before its unit of work opens.

    A lookup may ask Slack and cache the answer in the database; neither belongs inside
    a transaction (on SQLite the cache write would wait for the unit's own write lock).
    """

    def __init__(self, people: PeopleDirectory, team_id: str, user_ids: Iterable[str]) -> None:
        self.team_id = team_id
        self._found = {
            user_id: people.user(team_id, user_id) for user_id in dict.fromkeys(user_ids) if user_id
        }

    @classmethod
    def of(cls, people: PeopleDirectory, req: MeetingRequest) -> NamedPeople:
        """Organizer, host and every teammate attendee of the request."""
        teammates = [ref.ref for ref in req.attendees if ref.kind is AttendeeKind.USER]
        return cls(people, req.team_id, [req.organizer_id, req.host_id, *teammates])

    def user(self, user_id: str) -> UserProfile | None:
        """None for someone Slack does not know here; KeyError for someone not looked up."""
        return self._found[user_id]


@dataclass(frozen=True)
class CheckedMeeting:
    """A request that passed every check, with what the checks resolved."""

    checked: Checked
    record: Record
    attendees: list[Attendee]


@dataclass(frozen=True)
class _Kept:
    """What an edited meeting has already that its edit may keep though deleted at the
    source since (MeetingChecks.check): read only when a record reads as gone, and only
    among the meeting's own links, in its workspace."""

    records: RecordRepository | None
    team_id: str
    record_id: int | None = None
    linked: frozenset[int] = frozenset()
    attendees: frozenset[int] = frozenset()
    # The meeting's attendees with an address only, by Attendee.guest_ref.
    guests: Mapping[str, Attendee] = field(default_factory=dict)

    @classmethod
    def of(cls, records: RecordRepository, team_id: str, editing: Meeting | None) -> _Kept:
        if editing is None or editing.team_id != team_id:
            return cls(None, team_id)
        return cls(
            records,
            team_id,
            editing.record_id,
            frozenset(editing.record_ids),
            frozenset(a.record_id for a in editing.attendees if a.record_id is not None),
            {ref: a for a in editing.attendees if (ref := a.guest_ref()) is not None},
        )

    def main(self, record_id: int) -> Record | None:
        """The meeting's own record, when the edit leaves it as it was."""
        return self._deleted(record_id) if record_id == self.record_id else None

    def attendee(self, record_id: int) -> Record | None:
        """A contact the meeting invited already."""
        return self._deleted(record_id) if record_id in self.attendees else None

    def guest(self, ref: str) -> Attendee | None:
        """An attendee with an address only, as the meeting has it: there is nothing
        else to look them up in, and nothing a form sends can add one."""
        return self.guests.get(ref)

    def _deleted(self, record_id: int) -> Record | None:
        if self.records is None:
            return None
        return self.records.deleted_among(self.team_id, [record_id]).get(record_id)


class MeetingChecks:
    def __init__(self, calendars: CalendarDirectory | None = None) -> None:
        self._calendars = calendars

    def connection(self, team_id: str, host_id: str) -> CalendarConnectionInfo | None:
        """The host's connected calendar (read before the unit of work, like the people)."""
        return self._calendars.connection_for(team_id, host_id) if self._calendars else None

    def check(
        self,
        uow: UnitOfWork,
        people: NamedPeople,
        req: MeetingRequest,
        now: datetime,
        connection: CalendarConnectionInfo | None,
        *,
        host_changed: bool,
        editing: Meeting | None = None,
    ) -> CheckedMeeting:
        """Raises ValidationFailed with a message per failing field (and the warnings).
        `editing`: the stored meeting an edit changes. What it has already and keeps (its
        record unchanged, an associated record, a contact attendee) stays when deleted at
        its source since: it is the meeting's history, and the rep cannot pick it again
        to put it back. A new booking, or a record an edit adds, must still exist."""
        checked = check_request(req, now, translator(req.language))
        kept = _Kept.of(uow.records, req.team_id, editing)
        record = self._record(uow.records, req, checked, kept)
        attendees = self._resolve_attendees(uow.records, people, req, checked, kept)
        self._check_video(req, connection, checked)
        self._check_team_rules(
            uow, people, req, attendees, connection, checked, host_changed=host_changed
        )
        if not checked.ok or record is None:
            raise ValidationFailed(checked.errors, tuple(checked.warnings))
        return CheckedMeeting(checked, record, attendees)

    @staticmethod
    def records_read(req: MeetingRequest) -> list[int]:
        """The records `check` reads by id (RecordRepository.expect): the meeting's record,
        its associated records and the contacts among the attendees."""
        contacts = (parse_id(ref.ref) for ref in req.attendees if ref.kind is AttendeeKind.CONTACT)
        ids = [req.record_id, *req.associated_record_ids, *contacts]
        return [rid for rid in ids if rid is not None]

    @staticmethod
    def _record(
        records: RecordRepository, req: MeetingRequest, checked: Checked, kept: _Kept
    ) -> Record | None:
        """The meeting's record and its associated records, in the caller's workspace only:
        an id of another workspace (or junk) is answered like a deleted record."""
        t = translator(req.language)
        record = None
        if req.record_id is not None:
            record = records.get(req.team_id, req.record_id) or kept.main(req.record_id)
        if req.record_id is not None and record is None:
            checked.errors[Field.RECORD] = t.gettext("This record no longer exists. Pick another.")
        for rid in req.associated_record_ids:
            if rid not in kept.linked and records.get(req.team_id, rid) is None:
                checked.errors[Field.ASSOCIATED] = t.gettext(
                    "This record no longer exists. Pick another."
                )
                break
        return record

    @staticmethod
    def _resolve_attendees(
        records: RecordRepository,
        people: NamedPeople,
        req: MeetingRequest,
        checked: Checked,
        kept: _Kept,
    ) -> list[Attendee]:
        """Contacts of this workspace, teammates Slack knows here, and guests (an address
        only) of the meeting being edited, kept as it has them: the form lists those so
        that a Save which leaves them keeps them, rather than sending them a CANCEL."""
        attendees: list[Attendee] = []
        seen: set[str] = set()
        for ref in req.attendees:
            if ref.kind is AttendeeKind.EMAIL:
                guest = kept.guest(ref.ref)
                if guest is None:  # another meeting's, another workspace's, or made up
                    checked.errors[Field.ATTENDEES] = translator(req.language).gettext(
                        "One of the email guests is not invited to this meeting. Remove it."
                    )
                    continue
                key = f"e:{ref.ref}"
                attendee = guest
            elif ref.kind is AttendeeKind.CONTACT:
                rid = parse_id(ref.ref)
                rec = (
                    (records.get(req.team_id, rid) or kept.attendee(rid))
                    if rid is not None
                    else None
                )
                if rec is None:
                    checked.errors[Field.ATTENDEES] = translator(req.language).gettext(
                        "One of the attendees no longer exists. Remove it."
                    )
                    continue
                key = f"c:{rec.id}"
                attendee = Attendee(
                    AttendeeKind.CONTACT,
                    rec.name,
                    rec.email if valid_email(rec.email) else None,
                    record_id=rec.id,
                    timezone=rec.timezone,
                )
            else:
                user = people.user(ref.ref)
                if user is None:
                    checked.errors[Field.ATTENDEES] = translator(req.language).gettext(
                        "One of the teammates is not in this workspace. Remove them."
                    )
                    continue
                key = f"u:{user.slack_user_id}"
                attendee = Attendee(
                    AttendeeKind.USER,
                    user.name or user.slack_user_id,
                    user.email if valid_email(user.email) else None,
                    slack_user_id=user.slack_user_id,
                    timezone=user.timezone,
                )
            if key not in seen:
                seen.add(key)
                attendees.append(attendee)
        return attendees

    @staticmethod
    def _check_team_rules(
        uow: UnitOfWork,
        people: NamedPeople,
        req: MeetingRequest,
        attendees: list[Attendee],
        connection: CalendarConnectionInfo | None,
        out: Checked,
        *,
        host_changed: bool,
    ) -> None:
        """Booking on behalf of a teammate, and who may be booked in a sandbox workspace."""
        if host_changed:
            organizer = people.user(req.organizer_id) or UserProfile(req.team_id, req.organizer_id)
            problem = on_behalf_problem(
                organizer, people.user(req.host_id), connection, req.language
            )
            if problem:
                out.errors[Field.HOST] = problem
        if uow.workspaces.get(req.team_id).is_sandbox:
            profiles = {
                a.slack_user_id: people.user(a.slack_user_id) for a in attendees if a.slack_user_id
            }
            problem = sandbox_problem(attendees, profiles, req.language)
            if problem:
                out.errors[Field.ATTENDEES] = problem

    def _check_video(
        self, req: MeetingRequest, connection: CalendarConnectionInfo | None, out: Checked
    ) -> None:
        """Meet needs the host's Google calendar, Teams their Microsoft 365 one, Zoom the Zoom settings."""
        if req.location.kind is not LocationKind.VIDEO or not req.location.provider:
            return
        provider = req.location.provider
        if provider == "zoom":
            if not (self._calendars and self._calendars.zoom_available()):
                out.errors[Field.VIDEO] = translator(req.language).gettext(
                    "Zoom is not set up for this workspace. Pick another provider."
                )
            return
        needed = {"google_meet": ("google", "Google"), "teams": ("microsoft", "Microsoft 365")}.get(
            provider
        )
        if needed and (
            connection is None or connection.provider != needed[0] or not connection.active
        ):
            out.errors[Field.VIDEO] = translator(req.language).gettext(
                "Links for {provider} are created in the host's {calendar} calendar. "
                "Connect it first, or pick another provider.",
                provider=VIDEO_PROVIDERS.get(provider, provider),
                calendar=needed[1],
            )
