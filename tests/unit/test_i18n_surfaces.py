"""The converted surfaces speak the reader's language: validation errors by the user's
Slack locale, mails by the recipient's, English unchanged."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from bot.errors import error_text
from bot.views.meet_state import FormState, to_request
from handlers.deliveries import Deliveries
from handlers.domain import Record, RecordKind, UserProfile
from handlers.errors import Field, NotAllowed, NotFound, ValidationFailed
from handlers.invitations import Invitation, Person, ReminderEmail, invitation_text, reminder_text
from handlers.jobs import ClaimedJob, JobKind
from handlers.meet_form import draft_meet_form
from handlers.meetings import (
    Attendee,
    AttendeeKind,
    AttendeeRef,
    Location,
    LocationKind,
    Meeting,
    MeetingRequest,
    ReminderSpec,
    ReminderUnit,
)
from handlers.outcomes import RecordOutcome, outcome_label
from handlers.rules import check_request
from handlers.scheduling import ScheduleMeeting
from handlers.workspace import WorkspaceSettings
from tests.fakes import FakePeople, InMemoryUnitOfWorkFactory
from tests.support.clock import MutableClock as FakeClock

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # Thursday, 15:00 in Warsaw


def request(**changes: Any) -> MeetingRequest:
    base = MeetingRequest(
        idempotency_key="k1",
        team_id="T1",
        organizer_id="U1",
        host_id="U1",
        timezone="Europe/Warsaw",
        record_id=1,
        title="Demo",
        day=date(2026, 12, 3),
        start_time=time(15, 0),
        duration_minutes=45,
        attendees=(AttendeeRef(AttendeeKind.CONTACT, "1"),),
    )
    return replace(base, **changes)


# ----------------------------------------------------------------- validation


def test_a_polish_users_errors_come_in_polish() -> None:
    req = request(
        language="pl",
        record_id=None,
        title=" ",
        day=None,
        attendees=(),
        location=Location(LocationKind.PHONE, "12"),
        phone_region="PL",
        reminders=(ReminderSpec(0, ReminderUnit.HOURS, "0"),),
    )
    checked = check_request(req, NOW)
    assert checked.errors == {
        "record": "Wybierz rekord, którego dotyczy spotkanie.",
        "title": "Nadaj spotkaniu tytuł.",
        "date": "Wybierz dzień spotkania.",
        "phone": "To nie jest prawidłowy numer telefonu. Podaj go z kierunkowym kraju, np. +48 22 123 45 67.",
        "reminder_1": "Podaj liczbę całkowitą większą od 0.",
        "attendees": "Dodaj co najmniej jednego uczestnika.",
    }


def test_english_errors_are_unchanged() -> None:
    checked = check_request(request(title="x" * 300, day=date(2026, 11, 1)), NOW)
    assert checked.errors == {
        "title": "Keep the title under 250 characters.",
        "date": "The meeting must start in the future.",
    }


def test_polish_dst_gap_names_the_zone() -> None:
    checked = check_request(
        request(language="pl-PL", day=date(2027, 3, 28), start_time=time(2, 30)), NOW
    )
    assert checked.errors[Field.TIME] == (
        "Tego dnia ta godzina nie istnieje w strefie Europe/Warsaw (zegary są "
        "przestawiane do przodu). Wybierz inną godzinę."
    )


def test_dropped_reminder_warnings_decline_the_unit() -> None:
    soon = request(
        language="pl",
        day=date(2026, 11, 26),
        start_time=time(11, 0),  # 10:00 UTC, in an hour
        reminders=(
            ReminderSpec(2, ReminderUnit.HOURS, "2"),
            ReminderSpec(5, ReminderUnit.DAYS, "5"),
        ),
    )
    assert check_request(soon, NOW).warnings == [
        "Przypomnienie na 2 godziny przed pominięto: ten czas już minął.",
        "Przypomnienie na 5 dni przed pominięto: ten czas już minął.",
    ]
    english = check_request(
        replace(soon, language="en", reminders=(ReminderSpec(1, ReminderUnit.DAYS, "1"),)), NOW
    )
    assert english.warnings == [
        "The reminder 1 day before was dropped: that time has already passed."
    ]


def test_too_many_reminders_in_polish() -> None:
    specs = tuple(ReminderSpec(i + 1, ReminderUnit.DAYS, str(i + 1)) for i in range(4))
    assert check_request(request(language="pl", reminders=specs), NOW).errors == {
        "reminders": "Najwyżej 3 przypomnienia."
    }


def test_to_request_carries_the_language() -> None:
    state = FormState(timezone="Europe/Warsaw", key="k")
    assert to_request(state, team_id="T", user_id="U", phone_region="PL").language == "en"
    assert (
        to_request(state, team_id="T", user_id="U", phone_region="PL", language="pl").language
        == "pl"
    )


class NoRecords:
    def get(self, team_id: str, record_id: int) -> Record | None:
        return None

    def search(self, team_id: str, query: str, **kwargs: Any) -> list[Record]:
        return []


def test_schedule_meeting_answers_in_the_requests_language() -> None:
    schedule = ScheduleMeeting(InMemoryUnitOfWorkFactory(), FakePeople(), FakeClock(NOW))
    req = request(language="pl", attendees=(AttendeeRef(AttendeeKind.USER, "U9"),))
    with pytest.raises(ValidationFailed) as refused:
        schedule(req)
    assert refused.value.errors == {
        "record": "Ten rekord już nie istnieje. Wybierz inny.",
        "attendees": "Jednej z osób z zespołu nie ma w tym obszarze roboczym. Usuń ją.",
    }


def test_meet_form_notices_in_the_users_language() -> None:
    user = UserProfile(team_id="T1", slack_user_id="U1", timezone="Europe/Warsaw", locale="pl-PL")
    draft = draft_meet_form("Jan Kowalski 31 lutego 15:00", NOW, user, NoRecords(), "T1")  # type: ignore[arg-type]
    assert draft.notices == (
        "Nie udało się odczytać „31 lutego 15:00” jako godziny ani czasu trwania.",
        "Żaden rekord nie pasuje do „Jan Kowalski”: wybierz go poniżej.",
    )


# ----------------------------------------------------------------- outcomes


def test_outcome_labels() -> None:
    from handlers.i18n import translator

    assert outcome_label("COMPLETED") == "Completed"
    assert outcome_label("NO_SHOW", translator("pl")) == "Nieobecność"
    assert (
        outcome_label("DEMO_GIVEN", translator("pl")) == "Demo Given"
    )  # a workspace's own, as named


class OneMeeting:
    def __init__(self, meeting: Meeting | None) -> None:
        self.meeting = meeting
        self.invited: list[tuple[int, str, int]] = []

    def get(self, team_id: str, meeting_id: int) -> Meeting | None:
        return (
            self.meeting if self.meeting is not None and self.meeting.team_id == team_id else None
        )

    def mark_invited(self, team_id: str, meeting_id: int, email: str, sequence: int) -> None:
        self.invited.append((meeting_id, email, sequence))


def meeting(**changes: Any) -> Meeting:
    base = Meeting(
        id=7,
        team_id="T1",
        uid="m7@meetline",
        sequence=0,
        title="Demo",
        start_utc=START,
        end_utc=START + timedelta(minutes=45),
        timezone="Europe/Warsaw",
        duration_minutes=45,
        location=Location(LocationKind.PHONE, "+48 22 123 45 67"),
        host_id="UHOST",
        organizer_id="UHOST",
        attendees=[
            Attendee(AttendeeKind.CONTACT, "Jan Kowalski", "jan@example.pl", record_id=1),
            Attendee(
                AttendeeKind.USER,
                "Ola",
                "ola@example.com",
                slack_user_id="UOLA",
                timezone="Europe/Warsaw",
            ),
            Attendee(
                AttendeeKind.USER,
                "Sam",
                "sam@example.com",
                slack_user_id="USAM",
                timezone="America/New_York",
            ),
        ],
        reminders=[],
    )
    return replace(base, **changes)


def test_outcome_refusal_in_the_actors_language() -> None:
    from handlers.i18n import translator

    uow = InMemoryUnitOfWorkFactory()
    uow.store.meetings[7] = meeting()
    outcomes = RecordOutcome(uow, FakeClock(NOW))
    actor = UserProfile(team_id="T1", slack_user_id="UOLA", locale="pl-PL")
    with pytest.raises(NotAllowed) as refused:
        outcomes(7, "COMPLETED", actor)
    assert error_text(refused.value, translator("pl")) == (
        "Wynik tego spotkania może ustawić tylko prowadzący, <@UHOST>, albo administrator Meetline."
    )
    with pytest.raises(NotFound) as missing:
        RecordOutcome(InMemoryUnitOfWorkFactory(), FakeClock(NOW))(
            7, "COMPLETED", replace(actor, locale="en-US")
        )
    assert error_text(missing.value, translator("en")) == "This meeting no longer exists."


# ----------------------------------------------------------------- mails


def polish_invitation(**changes: Any) -> Invitation:
    base = Invitation(
        uid="m7@meetline",
        sequence=0,
        method="REQUEST",
        title="Prezentacja",
        start_utc=START,
        end_utc=START + timedelta(minutes=45),
        organizer=Person("anna@example.pl", "Anna Nowak"),
        attendees=(Person("jan@example.pl", "Jan"),),
        location="Rozmowa telefoniczna: +48 22 123 45 67",
        join_url="https://meet.example.com/x",
        timezone="Europe/Warsaw",
        language="pl",
    )
    return replace(base, **changes)


def test_polish_invitation() -> None:
    mail = invitation_text(polish_invitation())
    when = "czwartek, 3 grudnia 2026, 15:00 - 15:45 (Europe/Warsaw, UTC+01:00)"
    assert mail.subject == f"Zaproszenie: Prezentacja @ {when}"
    assert mail.text.splitlines()[:9] == [
        "Otrzymujesz zaproszenie na to spotkanie.",
        "",
        "Prezentacja",
        "",
        f"Kiedy: {when}",
        "Gdzie: Rozmowa telefoniczna: +48 22 123 45 67",
        "Dołącz: https://meet.example.com/x",
        "Organizator: Anna Nowak <anna@example.pl>",
        "",
    ]
    assert mail.text.endswith("Wysłane przez Meetline w imieniu: Anna Nowak.\n")
    assert (
        '<a href="https://meet.example.com/x">' in mail.html
        and "<p>Otrzymujesz zaproszenie" in mail.html
    )


def test_polish_update_cancel_and_other_zone() -> None:
    assert invitation_text(polish_invitation(sequence=2)).subject.startswith(
        "Zmienione zaproszenie: Prezentacja @ "
    )
    cancel = invitation_text(polish_invitation(method="CANCEL", sequence=3))
    assert cancel.subject.startswith("Odwołane: Prezentacja @ czwartek")
    assert "To spotkanie zostało odwołane." in cancel.text
    # Late in the evening in New York is Friday in Warsaw: the date is the recipient's.
    late = polish_invitation(
        start_utc=datetime(2026, 12, 4, 2, 0, tzinfo=UTC),
        end_utc=datetime(2026, 12, 4, 3, 0, tzinfo=UTC),
        recipient_timezone="America/New_York",
    )
    assert (
        "czwartek, 3 grudnia 2026, 21:00 - 22:00 (America/New_York, UTC-05:00)"
        in invitation_text(late).subject
    )


def test_polish_reminder_and_multi_day() -> None:
    rem = ReminderEmail(
        title="Warsztaty",
        start_utc=START,
        end_utc=START + timedelta(days=1),
        organizer=Person("anna@example.pl", "Anna"),
        timezone="Europe/Warsaw",
        language="pl-PL",
    )
    mail = reminder_text(rem)
    assert (
        mail.subject
        == "Przypomnienie: Warsztaty, czwartek, 3 grudnia 2026, 15:00 (Europe/Warsaw, UTC+01:00)"
    )
    assert (
        "Kiedy: czwartek, 3 grudnia 2026, 15:00 - piątek, 4 grudnia 2026, 15:00 (Europe/Warsaw, UTC+01:00)"
        in mail.text
    )
    assert mail.text.startswith("Przypominamy o zbliżającym się spotkaniu.")


def test_a_reminder_in_the_last_hour_says_how_soon_as_it_is_when_sent() -> None:
    rem = ReminderEmail(
        title="Demo",
        start_utc=START,
        end_utc=START + timedelta(hours=1),
        organizer=Person("anna@example.pl", "Anna"),
        timezone="Europe/Warsaw",
    )

    def intro(language: str, before: timedelta) -> str:
        sent = replace(rem, language=language, sent_at=START - before)
        return reminder_text(sent).text.splitlines()[0]

    assert intro("en", timedelta(minutes=10)) == "Your meeting starts in 10 minutes."
    assert intro("pl", timedelta(minutes=10)) == "Spotkanie zaczyna się za 10 minut."
    assert intro("pl", timedelta(minutes=2)) == "Spotkanie zaczyna się za 2 minuty."
    assert intro("en", timedelta(seconds=30)) == "Your meeting is starting now."
    assert intro("pl", timedelta(seconds=30)) == "Spotkanie właśnie się zaczyna."
    assert intro("en", timedelta(days=1)) == "This is a reminder of your upcoming meeting."


def test_english_invitation_unchanged() -> None:
    mail = invitation_text(polish_invitation(language="en", title="Demo", location="Room 4"))
    assert (
        mail.subject
        == "Invitation: Demo @ Thursday, 3 December 2026, 3:00 PM - 3:45 PM (Europe/Warsaw, UTC+01:00)"
    )
    assert (
        "When: Thursday, 3 December 2026, 3:00 PM - 3:45 PM (Europe/Warsaw, UTC+01:00)" in mail.text
    )
    assert (
        "Where: Room 4\nJoin: https://meet.example.com/x\nOrganizer: Anna Nowak <anna@example.pl>"
        in mail.text
    )
    assert mail.text.endswith("Sent by Meetline on behalf of Anna Nowak.\n")
    assert mail.subject.isascii()


# ----------------------------------------------------------------- whose language a mail is in


class People:
    def __init__(self, *profiles: UserProfile) -> None:
        self._by_id = {p.slack_user_id: p for p in profiles}

    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        return self._by_id.get(user_id)


class Workspaces:
    def __init__(self, language: str) -> None:
        self.settings = WorkspaceSettings(default_language=language)

    def get(self, team_id: str) -> WorkspaceSettings:
        return self.settings

    def save(self, team_id: str, settings: WorkspaceSettings) -> None:
        self.settings = settings


class Records:
    def get(self, team_id: str, record_id: int) -> Record | None:
        return Record(
            id=record_id,
            kind=RecordKind.CONTACT,
            external_id="c1",
            name="Jan Kowalski",
            email="jan@example.pl",
            timezone="Europe/Warsaw",
        )


class Mailer:
    def __init__(self) -> None:
        self.invitations: list[tuple[Invitation, Person]] = []
        self.reminders: list[tuple[ReminderEmail, Person]] = []

    def send_invitation(self, invitation: Invitation, to: Person) -> None:
        self.invitations.append((invitation, to))

    def send_reminder(self, reminder: ReminderEmail, to: Person) -> None:
        self.reminders.append((reminder, to))

    def session(self) -> AbstractContextManager[object]:
        return contextlib.nullcontext()


PEOPLE = People(
    UserProfile(
        team_id="T1", slack_user_id="UHOST", name="Anna", email="anna@example.pl", locale="pl-PL"
    ),
    UserProfile(
        team_id="T1", slack_user_id="UOLA", name="Ola", email="ola@example.com", locale="pl-PL"
    ),
    UserProfile(
        team_id="T1", slack_user_id="USAM", name="Sam", email="sam@example.com", locale="en-US"
    ),
)


def deliveries(
    mailer: Mailer, workspace_language: str | None, invitation_language: str | None = None
) -> Deliveries:
    return Deliveries(
        OneMeeting(meeting(invitation_language=invitation_language)),  # type: ignore[arg-type]
        Records(),  # type: ignore[arg-type]
        PEOPLE,
        None,  # type: ignore[arg-type]
        FakeClock(NOW),
        mailer=mailer,
        notifier=None,
        workspaces=Workspaces(workspace_language) if workspace_language else None,
    )


def job(kind: str, email: str) -> ClaimedJob:
    payload: dict[str, Any] = {"meeting_id": 7, "email": email, "sequence": 0}
    if kind == JobKind.REMINDER_MAIL:
        payload = {
            "meeting_id": 7,
            "email": email,
            "offset_minutes": 60,
            "start": int(START.timestamp()),
        }
    return ClaimedJob(
        id=1, kind=kind, payload=payload, attempts=1, max_attempts=5, run_at=NOW, team_id="T1"
    )


def test_teammates_read_their_slack_language_contacts_the_workspace_default() -> None:
    mailer = Mailer()
    d = deliveries(mailer, "pl")
    for email in ("jan@example.pl", "ola@example.com", "sam@example.com", "anna@example.pl"):
        d.send_invitation(job(JobKind.INVITE, email))
    languages = {to.email: inv.language for inv, to in mailer.invitations}
    assert languages == {
        "jan@example.pl": "pl",
        "ola@example.com": "pl",
        "sam@example.com": "en",
        "anna@example.pl": "pl",
    }  # the host, by their own locale
    subjects = {to.email: invitation_text(inv).subject for inv, to in mailer.invitations}
    assert subjects["jan@example.pl"].startswith(
        "Zaproszenie: Demo @ czwartek, 3 grudnia 2026, 15:00"
    )
    assert subjects["sam@example.com"].startswith(
        "Invitation: Demo @ Thursday, 3 December 2026, 9:00 AM"
    )
    where = {to.email: inv.location for inv, to in mailer.invitations}
    assert where["jan@example.pl"] == "Rozmowa telefoniczna: +48 22 123 45 67"
    assert where["sam@example.com"] == "Phone call: +48 22 123 45 67"


def test_a_contact_whose_record_names_no_language_reads_the_hosts() -> None:
    mailer = Mailer()
    d = deliveries(mailer, None)  # the workspace default (English) is not the host's
    d.send_invitation(job(JobKind.INVITE, "jan@example.pl"))
    d.send_reminder_email(job(JobKind.REMINDER_MAIL, "jan@example.pl"))
    d.send_reminder_email(job(JobKind.REMINDER_MAIL, "ola@example.com"))
    assert [inv.language for inv, _ in mailer.invitations] == ["pl"]
    assert [rem.language for rem, _ in mailer.reminders] == ["pl", "pl"]
    assert reminder_text(mailer.reminders[1][0]).subject.startswith("Przypomnienie: Demo, czwartek")


def test_the_language_chosen_in_the_form_is_what_contacts_read_teammates_keep_theirs() -> None:
    mailer = Mailer()
    d = deliveries(mailer, "pl", invitation_language="en")
    for email in ("jan@example.pl", "ola@example.com", "anna@example.pl"):
        d.send_invitation(job(JobKind.INVITE, email))
    d.send_reminder_email(job(JobKind.REMINDER_MAIL, "jan@example.pl"))
    languages = {to.email: inv.language for inv, to in mailer.invitations}
    assert languages == {"jan@example.pl": "en", "ola@example.com": "pl", "anna@example.pl": "pl"}
    assert [rem.language for rem, _ in mailer.reminders] == ["en"]
