"""The authorization policy as a table: role x relation to the meeting x action."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.domain import UserProfile
from handlers.meetings import Attendee, AttendeeKind, Location, Meeting
from handlers.policy import (
    Actor,
    ReportScope,
    Role,
    can_book_on_behalf,
    can_cancel_meeting,
    can_change_settings,
    can_edit_meeting,
    can_grant_roles,
    can_set_outcome,
    can_view_meeting,
    in_report,
    report_scope,
)
from handlers.ports import CalendarConnectionInfo

TEAM, OTHER_TEAM = "T1", "T2"
START = datetime(2026, 12, 7, 10, tzinfo=UTC)


def meeting(
    team: str = TEAM, host: str = "UHOST", organizer: str = "UORG", guest: str | None = "UGUEST"
) -> Meeting:
    attendees = [Attendee(AttendeeKind.USER, "Guest", None, slack_user_id=guest)] if guest else []
    return Meeting(
        id=1,
        team_id=team,
        uid="u",
        sequence=0,
        title="Demo",
        start_utc=START,
        end_utc=START + timedelta(minutes=30),
        timezone="UTC",
        duration_minutes=30,
        location=Location(),
        host_id=host,
        organizer_id=organizer,
        attendees=attendees,
    )


def actor(user: str, role: Role = Role.MEMBER, team: str = TEAM) -> Actor:
    return Actor(team, user, role)


Check = Callable[[Actor, Meeting], bool]
ACTIONS: dict[str, Check] = {
    "view": can_view_meeting,
    "edit": can_edit_meeting,
    "cancel": can_cancel_meeting,
    "outcome": can_set_outcome,
}

# (who, role) -> the actions they may take on meeting() of their own workspace.
TABLE: list[tuple[str, Role, set[str]]] = [
    ("UHOST", Role.MEMBER, {"view", "edit", "cancel", "outcome"}),
    ("UORG", Role.MEMBER, {"view", "edit", "cancel"}),  # the organizer did not attend: no outcome
    ("UGUEST", Role.MEMBER, {"view"}),
    ("USTRANGER", Role.MEMBER, set()),
    ("USTRANGER", Role.MANAGER, {"view"}),
    ("USTRANGER", Role.ADMIN, {"view", "edit", "cancel", "outcome"}),
]


@pytest.mark.parametrize(("user", "role", "allowed"), TABLE)
def test_role_by_action_on_a_meeting_of_the_same_workspace(
    user: str, role: Role, allowed: set[str]
) -> None:
    granted = {name for name, check in ACTIONS.items() if check(actor(user, role), meeting())}
    assert granted == allowed


@pytest.mark.parametrize(("user", "role", "allowed"), TABLE)
def test_nothing_is_allowed_on_another_workspace_s_meeting(
    user: str, role: Role, allowed: set[str]
) -> None:
    assert not any(check(actor(user, role), meeting(team=OTHER_TEAM)) for check in ACTIONS.values())
    assert not in_report(actor(user, role), meeting(team=OTHER_TEAM))


def test_an_empty_team_matches_nothing() -> None:
    assert not can_edit_meeting(Actor("", "UHOST", Role.ADMIN), meeting(team=""))
    assert not can_change_settings(Actor("", "U1", Role.ADMIN), "")


@pytest.mark.parametrize(
    ("role", "settings"), [(Role.MEMBER, False), (Role.MANAGER, False), (Role.ADMIN, True)]
)
def test_only_admins_change_settings_and_grant_roles_in_their_own_workspace(
    role: Role, settings: bool
) -> None:
    me = actor("U1", role)
    assert can_change_settings(me, TEAM) is settings
    assert can_grant_roles(me, UserProfile(TEAM, "U2")) is settings
    assert not can_change_settings(me, OTHER_TEAM)
    assert not can_grant_roles(me, UserProfile(OTHER_TEAM, "U2"))


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.MEMBER, ReportScope.OWN),
        (Role.MANAGER, ReportScope.TEAM),
        (Role.ADMIN, ReportScope.TEAM),
    ],
)
def test_report_scope_by_role(role: Role, scope: ReportScope) -> None:
    me = actor("UME", role)
    assert report_scope(me) is scope
    colleagues = meeting(
        host="UOTHER", organizer="UOTHER2", guest="UME"
    )  # attending is not running
    assert in_report(me, colleagues) is (scope is ReportScope.TEAM)
    assert in_report(me, meeting(host="UME", organizer="UOTHER"))
    assert in_report(me, meeting(host="UOTHER", organizer="UME"))


@pytest.mark.parametrize(
    ("profile", "role"),
    [
        (UserProfile(TEAM, "U1"), Role.MEMBER),
        (UserProfile(TEAM, "U1", is_manager=True), Role.MANAGER),
        (UserProfile(TEAM, "U1", is_admin=True), Role.ADMIN),
        (UserProfile(TEAM, "U1", is_admin=True, is_manager=True), Role.ADMIN),
        (
            UserProfile(TEAM, "U1", extra={"slack_admin": True}),
            Role.ADMIN,
        ),  # Slack's owner/admin flags
        (UserProfile(TEAM, "U1", extra={"slack_admin": False}), Role.MEMBER),
    ],
)
def test_actor_role_comes_from_the_profile(profile: UserProfile, role: Role) -> None:
    assert Actor.of(profile).role is role
    assert can_change_settings(profile, TEAM) is (
        role is Role.ADMIN
    )  # profiles are accepted as they are


def _calendar(**kw: Any) -> CalendarConnectionInfo:
    return CalendarConnectionInfo("google", sends_invitations=True, **kw)


def test_booking_on_behalf_follows_the_team_rules_and_stays_in_the_workspace() -> None:
    pro = UserProfile(TEAM, "U1", seat="professional")
    host = UserProfile(TEAM, "U2", name="Bob", seat="enterprise")
    assert can_book_on_behalf(pro, host, _calendar()) is None
    assert can_book_on_behalf(pro, pro, None) is None  # booking for yourself needs nothing
    assert "seat" in str(can_book_on_behalf(UserProfile(TEAM, "U1"), host, _calendar()))
    assert "no connected calendar" in str(can_book_on_behalf(pro, host, None))
    assert "sync turned off" in str(can_book_on_behalf(pro, host, _calendar(sync_enabled=False)))
    foreign = UserProfile(OTHER_TEAM, "U2", name="Bob", seat="enterprise")
    assert "not an active member of this workspace" in str(
        can_book_on_behalf(pro, foreign, _calendar())
    )


class _Source:
    def __init__(self, meetings: list[Meeting]) -> None:
        self.meetings = meetings
        self.asked: list[str | None] = []

    def meetings_between(
        self, team_id: str | None, start_utc: datetime, end_utc: datetime
    ) -> list[Meeting]:
        self.asked.append(team_id)
        return [m for m in self.meetings if team_id is None or m.team_id == team_id]


class _Users:
    def get(self, team_id: str, slack_user_id: str) -> UserProfile | None:
        return UserProfile(team_id, slack_user_id, name=f"Name of {slack_user_id}")

    def save(self, profile: UserProfile) -> None:
        raise AssertionError("a report writes nothing")

    def has_admin(self, team_id: str) -> bool:
        return False

    def claim_first_admin(self, team_id: str, slack_user_id: str) -> bool:
        raise AssertionError("a report writes nothing")

    def teams(self) -> list[str]:
        return [TEAM]

    def list_users(self, team_id: str | None = None) -> list[UserProfile]:
        return []

    def search(self, team_id: str, query: str, limit: int = 20) -> list[UserProfile]:
        return []


class _Clock:
    def now(self) -> datetime:
        return START


def test_a_member_s_report_counts_and_names_only_their_own_meetings() -> None:
    from handlers.reports import MeetingReport

    source = _Source(
        [
            meeting(host="UME", organizer="UME"),
            meeting(host="UBOSS", organizer="UME"),
            meeting(host="UBOSS", organizer="UBOSS", guest="UME"),
            meeting(team=OTHER_TEAM, host="UME"),
        ]
    )
    use_case = MeetingReport(source, _Users(), _Clock())
    period = use_case.period("this week", "UTC")
    mine = use_case(
        OTHER_TEAM, period, reader=actor("UME")
    )  # the team asked for is the reader's own
    assert source.asked[-1] == TEAM
    assert mine.scope is ReportScope.OWN and mine.reader == "UME" and mine.total == 2
    assert {c.key for c in mine.by_organizer} == {"UME"} and {
        c.key: c.count for c in mine.by_host
    } == {"UME": 1, "UBOSS": 1}  # UBOSS hosts a meeting UME organized: that one is UME's too
    team = use_case(TEAM, period, reader=actor("UMGR", Role.MANAGER))
    assert team.scope is ReportScope.TEAM and team.total == 3
    operator = use_case(None, period)  # the command line: every workspace
    assert operator.scope is ReportScope.TEAM and operator.total == 4 and operator.reader is None
