"""A small world of in-memory ports (tests.fakes) for the use case unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from handlers.domain import Record, UserProfile
from handlers.meetings import AttendeeKind, AttendeeRef, MeetingRequest, ReminderSpec, ReminderUnit
from handlers.ports import CalendarConnectionInfo
from tests.fakes import FakeCalendars, FakePeople, InMemoryUnitOfWorkFactory
from tests.support.clock import MutableClock

TEAM = "T1"
HOST = "UHOST"
NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # a Monday


class WatchfulPeople(FakePeople):
    """Fails the test when asked inside a unit of work: a Slack lookup (and the profile
    cache it writes) must not run inside the use case's transaction."""

    def __init__(self, uow: InMemoryUnitOfWorkFactory, *profiles: UserProfile) -> None:
        super().__init__(*profiles)
        self._uow = uow

    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        assert self._uow.open == 0, "the people directory was asked inside a unit of work"
        return super().user(team_id, user_id)


@dataclass
class World:
    uow: InMemoryUnitOfWorkFactory = field(default_factory=InMemoryUnitOfWorkFactory)
    clock: MutableClock = field(default_factory=lambda: MutableClock(NOW))
    calendars: FakeCalendars = field(default_factory=FakeCalendars)
    people: WatchfulPeople = field(init=False)
    jane: Record = field(init=False)
    nomail: Record = field(init=False)

    def __post_init__(self) -> None:
        host = UserProfile(
            TEAM, HOST, name="Hanna Host", email="hanna@meetline.example", seat="professional"
        )
        self.people = WatchfulPeople(self.uow, host)
        self.uow.users.save(host)
        self.jane = self.uow.records.add(TEAM, "Jane Doe", "jane@acme.example")
        self.nomail = self.uow.records.add(TEAM, "John Nomail")

    def teammate(self, user_id: str, **profile: Any) -> UserProfile:
        person = UserProfile(TEAM, user_id, name=profile.pop("name", user_id), **profile)
        self.people.profiles[(TEAM, user_id)] = person
        self.uow.users.save(person)
        return person

    def connect(
        self, user_id: str, provider: str = "google", sends_invitations: bool = True
    ) -> None:
        self.calendars.connections[(TEAM, user_id)] = CalendarConnectionInfo(
            provider, sends_invitations
        )

    def request(self, key: str = "k1", **changes: Any) -> MeetingRequest:
        req = MeetingRequest(
            idempotency_key=key,
            team_id=TEAM,
            organizer_id=HOST,
            host_id=HOST,
            timezone="UTC",
            record_id=self.jane.id,
            title="Demo",
            day=date(2030, 1, 10),
            start_time=time(10, 0),
            duration_minutes=30,
            attendees=(
                AttendeeRef(AttendeeKind.CONTACT, str(self.jane.id)),
                AttendeeRef(AttendeeKind.CONTACT, str(self.nomail.id)),
            ),
            reminders=(ReminderSpec(1, ReminderUnit.HOURS, "1"),),
        )
        return replace(req, **changes)
