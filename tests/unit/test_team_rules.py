"""Team rules: booking on behalf of a teammate and booking in a sandbox workspace.

Each refusal is shown to the organizer next to the host or attendees field, so the test
pins the exact sentence (English and Polish) and which condition wins when several fail.
"""

from __future__ import annotations

import pytest

from handlers.domain import UserProfile
from handlers.meetings import Attendee, AttendeeKind
from handlers.ports import CalendarConnectionInfo
from handlers.team_rules import ON_BEHALF_SEATS, SEATS, on_behalf_problem, sandbox_problem

TEAM = "T1"
CALENDAR = CalendarConnectionInfo(
    provider="google", sends_invitations=True, email="ann@example.com"
)


def person(
    user_id: str,
    seat: str = "professional",
    *,
    name: str = "",
    team: str = TEAM,
    sandbox: bool = False,
) -> UserProfile:
    return UserProfile(
        team_id=team, slack_user_id=user_id, name=name, seat=seat, is_sandbox=sandbox
    )


ORGANIZER = person("U1", "enterprise", name="Olga")
HOST = person("U2", "professional", name="Ann Host")


def test_paid_seats_for_both_and_a_synced_calendar_allow_booking_on_behalf() -> None:
    assert on_behalf_problem(ORGANIZER, HOST, CALENDAR) is None


def test_booking_for_yourself_needs_no_seat_or_calendar() -> None:
    me = person("U1", "none")
    assert on_behalf_problem(me, me, None) is None


def test_a_host_from_another_workspace_is_not_a_member() -> None:
    stranger = person("U2", "enterprise", team="T2")
    assert (
        on_behalf_problem(ORGANIZER, stranger, CALENDAR)
        == "This person is not an active member of this workspace."
    )


def test_an_unknown_host_is_not_a_member_even_for_the_organizer_themselves() -> None:
    assert (
        on_behalf_problem(ORGANIZER, None, CALENDAR)
        == "This person is not an active member of this workspace."
    )


@pytest.mark.parametrize("seat", ["none", "starter"])
def test_the_organizer_needs_a_paid_seat_and_is_told_their_own(seat: str) -> None:
    organizer = person("U1", seat)
    assert on_behalf_problem(organizer, HOST, CALENDAR) == (
        f"Booking for someone else needs a Professional or Enterprise seat; yours is {seat.title()}."
    )


def test_the_host_needs_a_paid_seat_named_by_their_name() -> None:
    host = person("U2", "starter", name="Ann Host")
    assert on_behalf_problem(ORGANIZER, host, CALENDAR) == (
        "Ann Host needs a Professional or Enterprise seat to be booked by others."
    )


def test_a_host_without_a_name_is_named_by_their_slack_id() -> None:
    host = person("U2", "none")
    assert on_behalf_problem(ORGANIZER, host, CALENDAR) == (
        "U2 needs a Professional or Enterprise seat to be booked by others."
    )


def test_the_organizers_seat_is_checked_before_the_hosts() -> None:
    problem = on_behalf_problem(person("U1", "starter"), person("U2", "none"), None)
    assert problem is not None and problem.startswith("Booking for someone else")


def test_the_host_needs_a_connected_calendar() -> None:
    assert on_behalf_problem(ORGANIZER, HOST, None) == (
        "Ann Host has no connected calendar. They can connect one from Meetline's Home tab."
    )


def test_a_revoked_calendar_counts_as_not_connected() -> None:
    revoked = CalendarConnectionInfo(provider="microsoft", sends_invitations=True, active=False)
    assert on_behalf_problem(ORGANIZER, HOST, revoked) == (
        "Ann Host has no connected calendar. They can connect one from Meetline's Home tab."
    )


def test_the_hosts_calendar_sync_must_be_on() -> None:
    paused = CalendarConnectionInfo(provider="caldav", sends_invitations=False, sync_enabled=False)
    assert on_behalf_problem(ORGANIZER, HOST, paused) == "Ann Host has calendar sync turned off."


def test_on_behalf_refusals_are_in_the_organizers_language() -> None:
    assert on_behalf_problem(person("U1", "starter"), HOST, CALENDAR, "pl") == (
        "Rezerwacja w imieniu innej osoby wymaga licencji Professional lub Enterprise; Twoja to Starter."
    )
    assert on_behalf_problem(ORGANIZER, HOST, None, "pl-PL") == (
        "Ann Host nie ma połączonego kalendarza. Można go połączyć na karcie Home w Meetline."
    )
    assert on_behalf_problem(ORGANIZER, None, None, "pl") == (
        "Ta osoba nie jest aktywnym członkiem tego obszaru roboczego."
    )


def test_the_paid_seats_are_the_two_highest_seats() -> None:
    assert SEATS[-len(ON_BEHALF_SEATS) :] == ON_BEHALF_SEATS


# --------------------------------------------------------------------------- sandbox


def teammate(user_id: str, name: str) -> Attendee:
    return Attendee(kind=AttendeeKind.USER, name=name, email=None, slack_user_id=user_id)


def test_a_sandbox_booking_of_sandbox_users_only_is_allowed() -> None:
    profiles: dict[str, UserProfile | None] = {"U2": person("U2", sandbox=True)}
    assert sandbox_problem([teammate("U2", "Ann")], profiles) is None
    assert sandbox_problem([], {}) is None


def test_a_sandbox_booking_names_every_attendee_to_remove() -> None:
    contact = Attendee(kind=AttendeeKind.CONTACT, name="", email="jane@example.com", record_id=7)
    anonymous = Attendee(kind=AttendeeKind.CONTACT, name="", email=None, record_id=8)
    profiles: dict[str, UserProfile | None] = {
        "U2": person("U2", sandbox=True),
        "U3": person("U3", sandbox=False),
        "U4": None,
    }
    attendees = [
        teammate("U2", "Ann"),
        teammate("U3", "Bob"),
        teammate("U4", "Gone"),
        teammate("U5", "Eve"),
        contact,
        anonymous,
    ]
    assert sandbox_problem(attendees, profiles) == (
        "This is a sandbox workspace: only its sandbox users can be booked. "
        "Remove Bob, Gone, Eve, jane@example.com, ?."
    )


def test_a_sandbox_refusal_lists_at_most_ten_names() -> None:
    attendees = [teammate(f"U{i}", f"P{i}") for i in range(12)]
    problem = sandbox_problem(attendees, {})
    assert problem is not None
    assert problem.endswith("Remove P0, P1, P2, P3, P4, P5, P6, P7, P8, P9.")


def test_a_sandbox_refusal_in_polish() -> None:
    problem = sandbox_problem([teammate("U3", "Bob")], {}, "pl")
    assert problem == (
        "To testowy obszar roboczy (sandbox): można zapraszać tylko jego użytkowników testowych. Usuń: Bob."
    )
