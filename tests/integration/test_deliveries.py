"""What a saved meeting promised, delivered by the worker (`handlers.deliveries`): the .ics
invitations, the reminder e-mails, the outcome prompt and its nudge, and what the
organizer is told when a mail server refuses.

Real SQL storage (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), the real worker
and job queue, and the real SMTP mailer against a local SMTP server; only Slack is a
recorder of the Notifier port. Time moves by hand.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from adapters.smtp_mail import SmtpMailer
from handlers.deliveries import Deliveries
from handlers.domain import Record, UserProfile
from handlers.editing import ManageMeeting
from handlers.jobs import JobKind
from handlers.meetings import (
    AttendeeKind,
    AttendeeRef,
    Meeting,
    MeetingRequest,
    ReminderSpec,
    ReminderUnit,
)
from handlers.scheduling import ScheduleMeeting
from handlers.worker import JobHandler, RunStats, Worker
from storage.jobs import SqlJobQueue
from storage.meetings import SqlMeetingRepository
from storage.records import SqlRecordRepository
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.support.clock import MutableClock
from tests.support.smtp_sink import ReceivedMail, SmtpSink, calendar_part, plain_body
from tests.support.sql_storage import sql_storage

TEAM = "T0001"
HOST = "U1"
OLA = "U2"
HOST_EMAIL = "anna@meetline.example"
MAIL_FROM = "Meetline <meetline@meetline.example>"
RECORDS = """type,id,name,email,phone,timezone,associations
contact,jane,Jane Doe,jane@acme.example,,America/New_York,
contact,john,John Nomail,,+48 600 100 200,Europe/Warsaw,
"""
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday
DAY = date(2026, 12, 3)  # the next Thursday; 15:00 in Warsaw is 14:00 UTC
START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
END = START + timedelta(minutes=45)


class People:
    def __init__(self) -> None:
        self.users = {
            HOST: UserProfile(
                TEAM, HOST, name="Anna Host", email=HOST_EMAIL, timezone="Europe/Warsaw"
            ),
            OLA: UserProfile(
                TEAM,
                OLA,
                name="Ola",
                email="ola@meetline.example",
                timezone="Europe/Warsaw",
                locale="pl-PL",
            ),
        }

    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        return self.users.get(user_id) if team_id == TEAM else None


@dataclass
class Slack:
    """The Notifier port, recorded: what Meetline would DM."""

    dms: list[tuple[str, str]] = field(default_factory=list)
    mentions: list[tuple[int, str, str | None]] = field(default_factory=list)
    prompts: list[tuple[int, bool]] = field(default_factory=list)
    digests: list[tuple[str, list[int]]] = field(default_factory=list)

    def notify_user(self, team_id: str, user_id: str, text: str) -> None:
        self.dms.append((user_id, text))

    def mention(self, meeting: Meeting, user_id: str, record: Record | None) -> None:
        self.mentions.append((meeting.id, user_id, record.name if record else None))

    def outcome_prompt(self, meeting: Meeting, nudge: bool = False) -> None:
        self.prompts.append((meeting.id, nudge))

    def outcome_digest(self, team_id: str, user_id: str, meetings: Sequence[Meeting]) -> None:
        self.digests.append((user_id, [m.id for m in meetings]))


@dataclass
class World:
    meetings: SqlMeetingRepository
    records: SqlRecordRepository
    jobs: SqlJobQueue
    clock: MutableClock
    people: People
    slack: Slack
    sink: SmtpSink
    uow: SqlUnitOfWorkFactory

    def deliveries(self) -> Deliveries:
        mailer = SmtpMailer(self.sink.url, MAIL_FROM, timeout=5)
        return Deliveries(
            self.meetings,
            self.records,
            self.people,
            self.jobs,
            self.clock,
            mailer=mailer,
            notifier=self.slack,
            mail_from=MAIL_FROM,
        )

    def book(
        self,
        *,
        reminders: tuple[ReminderSpec, ...] = (),
        teammate: bool = False,
        mentions: tuple[str, ...] = (),
    ) -> Meeting:
        jane = self.records.search(TEAM, "Jane Doe", limit=1)[0]
        john = self.records.search(TEAM, "John Nomail", limit=1)[0]
        refs = [
            AttendeeRef(AttendeeKind.CONTACT, str(jane.id)),
            AttendeeRef(AttendeeKind.CONTACT, str(john.id)),
        ]
        if teammate:
            refs.append(AttendeeRef(AttendeeKind.USER, OLA))
        request = MeetingRequest(
            idempotency_key=f"k-{len(self.meetings.list_meetings(TEAM))}",
            team_id=TEAM,
            organizer_id=HOST,
            host_id=HOST,
            timezone="Europe/Warsaw",
            record_id=jane.id,
            title="Demo for Acme",
            day=DAY,
            start_time=time(15, 0),
            duration_minutes=45,
            attendees=tuple(refs),
            reminders=reminders,
            description="Agenda: pricing",
            include_description_in_reminders=True,
            notes_text=" ".join(f"<@{m}>" for m in mentions),
            mentions=mentions,
        )
        return ScheduleMeeting(self.uow, self.people, self.clock)(request).meeting

    def manage(self) -> ManageMeeting:
        return ManageMeeting(self.uow, self.people, self.clock)

    def run(self) -> RunStats:
        d = self.deliveries()
        handlers: dict[str, JobHandler] = {
            JobKind.INVITE: d.send_invitation,
            JobKind.REMIND: d.send_reminder,
            JobKind.REMINDER_MAIL: d.send_reminder_email,
            JobKind.MENTION: d.mention_dm,
            JobKind.OUTCOME: d.outcome_prompt,
            JobKind.OUTCOME_NUDGE: d.outcome_nudge,
            JobKind.OUTCOME_DIGEST: d.outcome_digest,
        }
        return Worker(self.jobs, handlers, self.clock, on_final_failure=d.report_failure).run_once()

    def mails(self) -> list[ReceivedMail]:
        return list(self.sink.messages)


@pytest.fixture
def world(migrated_url: str) -> Iterator[World]:
    with sql_storage(migrated_url, RECORDS, TEAM) as sql, SmtpSink() as sink:
        yield World(
            SqlMeetingRepository(sql.sessions),
            sql.records,
            SqlJobQueue(sql.sessions, sql.engine.dialect.name),
            MutableClock(NOW),
            People(),
            Slack(),
            sink,
            SqlUnitOfWorkFactory(sql.sessions),
        )


def recipients(mails: list[ReceivedMail]) -> list[str]:
    return sorted(r for m in mails for r in m.rcpt_tos)


def ics_method(mail: ReceivedMail) -> str:
    return str(Calendar.from_ical(calendar_part(mail)).get("METHOD"))


# --------------------------------------------------------------------------- invitations


def test_every_attendee_with_an_email_and_the_host_get_an_ics_invitation_once(world: World) -> None:
    meeting = world.book()
    stats = world.run()
    assert stats.failed == 0 and stats.retried == 0
    mails = world.mails()
    assert recipients(mails) == ["anna@meetline.example", "jane@acme.example"]  # John has no email
    assert {ics_method(m) for m in mails} == {"REQUEST"}
    assert all("Demo for Acme" in str(m.message["Subject"]) for m in mails)
    stored = world.meetings.get(TEAM, meeting.id)
    assert stored is not None
    assert {a.email: a.invited_sequence for a in stored.attendees} == {
        "jane@acme.example": 0,
        None: None,
    }
    world.clock.advance(minutes=5)
    world.run()
    assert len(world.mails()) == 2  # nothing is mailed twice


def test_the_host_gets_an_organizers_copy_and_guests_an_invitation_from_the_host(
    world: World,
) -> None:
    meeting = world.book()
    world.run()
    mails = {m.rcpt_tos[0]: m for m in world.mails()}
    host, jane = mails[HOST_EMAIL], mails["jane@acme.example"]
    assert str(host.message["Subject"]).startswith("Invitation sent: Demo for Acme @ ")
    assert plain_body(host).startswith(
        "You are the organizer of this meeting. The invitation was sent to: Jane Doe.\n"
    )
    assert "You have been invited" not in plain_body(host)
    assert plain_body(jane).startswith("You have been invited to this meeting.\n")
    for mail in (host, jane):
        assert mail.message["From"].addresses[0].display_name == "Anna Host"
        organizer = Calendar.from_ical(calendar_part(mail)).walk("VEVENT")[0]["ORGANIZER"]
        assert (organizer.params["CN"], str(organizer)) == ("Anna Host", f"mailto:{HOST_EMAIL}")

    world.manage().cancel(meeting.id, world.people.users[HOST])
    world.run()
    (cancelled,) = [m for m in world.mails()[2:] if m.rcpt_tos == (HOST_EMAIL,)]
    assert plain_body(cancelled).startswith(
        "This meeting has been canceled. The cancellation was sent to: Jane Doe.\n"
    )


def test_a_teammate_reads_the_invitation_in_their_slack_language(world: World) -> None:
    world.book(teammate=True)
    world.run()
    (ola,) = [m for m in world.mails() if m.rcpt_tos == ("ola@meetline.example",)]
    assert str(ola.message["Subject"]).startswith("Zaproszenie: Demo for Acme")


def test_a_meeting_cancelled_before_its_invitations_went_out_mails_no_invitation(
    world: World,
) -> None:
    """Jane never heard of it, so she hears nothing; the host's calendar gets the CANCEL."""
    meeting = world.book()
    world.manage().cancel(meeting.id, world.people.users[HOST])
    stats = world.run()
    assert stats.failed == 0
    assert [(m.rcpt_tos, ics_method(m)) for m in world.mails()] == [
        (("anna@meetline.example",), "CANCEL")
    ]


def test_a_meeting_cancelled_after_the_invitations_cancels_for_everyone_invited(
    world: World,
) -> None:
    meeting = world.book()
    world.run()
    world.manage().cancel(meeting.id, world.people.users[HOST])
    world.run()
    cancels = sorted((m.rcpt_tos[0], ics_method(m)) for m in world.mails()[2:])
    assert cancels == [("anna@meetline.example", "CANCEL"), ("jane@acme.example", "CANCEL")]


def test_a_refused_address_is_told_to_the_organizer_without_retrying(world: World) -> None:
    world.sink.reject("jane@acme.example", 550, "5.1.1 No such user jane@acme.example")
    world.book()
    stats = world.run()
    assert stats.failed == 1
    assert recipients(world.mails()) == ["anna@meetline.example"]
    assert world.slack.dms == [
        (
            HOST,
            "The invitation to jane@acme.example for “Demo for Acme” could not be delivered: "
            "the mail was refused (SMTP 550)",
        )
    ]
    (failed,) = world.jobs.list_failed()
    assert failed.last_error == "the mail was refused (SMTP 550)"  # no address, no server reply


def test_a_mail_server_that_is_busy_gets_the_invitation_later(world: World) -> None:
    world.sink.reject("jane@acme.example", 451, "4.7.1 Try again later")
    world.book()
    stats = world.run()
    assert stats.retried == 1 and world.slack.dms == []
    world.sink.accept_all()
    world.clock.advance(hours=1)
    world.run()
    assert recipients(world.mails()) == ["anna@meetline.example", "jane@acme.example"]


# --------------------------------------------------------------------------- reminders


def test_a_reminder_goes_to_each_attendee_when_due_and_not_before(world: World) -> None:
    world.book(reminders=(ReminderSpec(1, ReminderUnit.HOURS, "1"),), teammate=True)
    world.run()
    invitations = len(world.mails())
    world.clock.set(START - timedelta(hours=1, minutes=1))
    world.run()
    assert len(world.mails()) == invitations
    world.clock.set(START - timedelta(minutes=59))
    world.run()
    reminders = world.mails()[invitations:]
    assert recipients(reminders) == [
        "jane@acme.example",
        "ola@meetline.example",
    ]  # attendees, not the host
    subjects = {m.rcpt_tos[0]: str(m.message["Subject"]) for m in reminders}
    assert subjects["jane@acme.example"].startswith("Reminder: Demo for Acme")
    assert subjects["ola@meetline.example"].startswith("Przypomnienie: Demo for Acme")
    body = reminders[0].message.get_body(("plain",))
    assert body is not None and "Agenda: pricing" in body.get_content()  # asked for in reminders


def test_no_reminder_for_a_cancelled_meeting(world: World) -> None:
    meeting = world.book(reminders=(ReminderSpec(1, ReminderUnit.DAYS, "1"),))
    world.run()
    world.manage().cancel(meeting.id, world.people.users[HOST])
    world.run()
    before = len(world.mails())
    world.clock.set(START - timedelta(minutes=1))
    world.run()
    assert len(world.mails()) == before


# --------------------------------------------------------------------------- Slack


def test_mentioned_teammates_get_a_dm_and_strangers_are_ignored(world: World) -> None:
    meeting = world.book(mentions=(OLA, "U999"))
    stats = world.run()
    assert stats.failed == 0
    assert world.slack.mentions == [(meeting.id, OLA, "Jane Doe")]


def test_the_host_is_asked_for_the_outcome_after_the_end_then_nudged_then_digested(
    world: World,
) -> None:
    meeting = world.book()
    world.run()
    assert world.slack.prompts == []
    world.clock.set(END + timedelta(minutes=1))
    world.run()
    assert world.slack.prompts == [(meeting.id, False)]
    world.clock.set(datetime(2026, 12, 4, 7, 59, tzinfo=UTC))  # Friday 08:59 in Warsaw
    world.run()
    assert world.slack.prompts == [(meeting.id, False)]
    world.clock.set(datetime(2026, 12, 4, 8, 0, tzinfo=UTC))  # the next working morning, 09:00
    world.run()
    assert world.slack.prompts == [(meeting.id, False), (meeting.id, True)]
    world.clock.set(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # Monday 09:00: the weekend is skipped
    world.run()
    assert world.slack.digests == [(HOST, [meeting.id])]


def test_a_recorded_outcome_stops_the_prompt(world: World) -> None:
    meeting = world.book()
    world.run()
    assert world.meetings.set_outcome(TEAM, meeting.id, "COMPLETED", HOST, NOW)
    world.clock.set(END + timedelta(days=3))
    world.run()
    assert world.slack.prompts == [] and world.slack.digests == []
