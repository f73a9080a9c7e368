"""Who may do what: the one authorization policy every listener and use case asks.

Roles (DESIGN "Trust"): a member works with their own meetings and sees their own
numbers; a manager (granted by an admin) also sees the team's reports; an admin
changes settings and seats, grants roles and may act on any meeting of the
workspace. Admin comes from Slack's own owner/admin flags, from the first installer,
from another admin, or from the operator (`meetline users set --admin`,
ADMIN_SLACK_IDS) — never from merely using or re-installing the app.

Every check that names a meeting or a user also requires the same workspace as the
actor. Repositories are team-scoped as well; this is the second lock on the door, so a
foreign id that slipped through a lookup still opens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handlers.domain import UserProfile
from handlers.meetings import Meeting
from handlers.ports import CalendarConnectionInfo
from handlers.team_rules import on_behalf_problem


class Role(StrEnum):
    MEMBER = "member"
    MANAGER = "manager"
    ADMIN = "admin"


class ReportScope(StrEnum):
    TEAM = "team"  # every meeting of the workspace
    OWN = "own"  # meetings the reader organized or hosts


@dataclass(frozen=True)
class Actor:
    """Whoever asks, as the policy needs them: workspace, user, role, and the seat and
    sandbox facts the team rules read."""

    team_id: str
    user_id: str
    role: Role = Role.MEMBER
    seat: str = "none"
    is_sandbox: bool = False

    @classmethod
    def of(cls, profile: UserProfile) -> Actor:
        if profile.is_admin or profile.is_slack_admin:
            role = Role.ADMIN
        elif profile.is_manager:
            role = Role.MANAGER
        else:
            role = Role.MEMBER
        return cls(profile.team_id, profile.slack_user_id, role, profile.seat, profile.is_sandbox)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def _actor(who: Actor | UserProfile) -> Actor:
    return who if isinstance(who, Actor) else Actor.of(who)


def _same_team(actor: Actor, team_id: str) -> bool:
    return bool(actor.team_id) and actor.team_id == team_id


def _runs(actor: Actor, meeting: Meeting) -> bool:
    """Host (assigned to) or organizer (created by)."""
    return actor.user_id in (meeting.host_id, meeting.organizer_id)


def can_view_meeting(who: Actor | UserProfile, meeting: Meeting) -> bool:
    """Its details (notes, attendees, phone): the people running or attending it, and the
    workspace's managers and admins."""
    actor = _actor(who)
    if not _same_team(actor, meeting.team_id):
        return False
    attends = any(a.slack_user_id == actor.user_id for a in meeting.attendees if a.slack_user_id)
    return _runs(actor, meeting) or attends or actor.role in (Role.MANAGER, Role.ADMIN)


def can_edit_meeting(who: Actor | UserProfile, meeting: Meeting) -> bool:
    """Host, organizer, or an admin of the meeting's workspace."""
    actor = _actor(who)
    return _same_team(actor, meeting.team_id) and (_runs(actor, meeting) or actor.is_admin)


def can_cancel_meeting(who: Actor | UserProfile, meeting: Meeting) -> bool:
    """As editing: whoever may move a meeting may also call it off."""
    return can_edit_meeting(who, meeting)


def can_set_outcome(who: Actor | UserProfile, meeting: Meeting) -> bool:
    """The host (who was there) or an admin; setting and changing are the same right."""
    actor = _actor(who)
    return _same_team(actor, meeting.team_id) and (
        actor.user_id == meeting.host_id or actor.is_admin
    )


def can_book_on_behalf(
    organizer: UserProfile,
    host: UserProfile | None,
    host_calendar: CalendarConnectionInfo | None,
    language: str = "en",
) -> str | None:
    """None when `organizer` may book for `host`, else the reason in `language`. Seats,
    calendar, sync and the workspace are the team rules' (handlers.team_rules), which the
    scheduling use case applies when the host is not the organizer."""
    return on_behalf_problem(organizer, host, host_calendar, language)


def can_change_settings(who: Actor | UserProfile, team_id: str) -> bool:
    actor = _actor(who)
    return _same_team(actor, team_id) and actor.is_admin


def can_grant_roles(who: Actor | UserProfile, target: UserProfile) -> bool:
    """Seats and roles (admin, manager, sandbox): admins, for people of their own workspace."""
    actor = _actor(who)
    return _same_team(actor, target.team_id) and actor.is_admin


def report_scope(who: Actor | UserProfile) -> ReportScope:
    return ReportScope.TEAM if _actor(who).role in (Role.MANAGER, Role.ADMIN) else ReportScope.OWN


def in_report(who: Actor | UserProfile, meeting: Meeting) -> bool:
    """Whether `meeting` counts in `who`'s report: any of the workspace's for managers and
    admins, only the ones they organized or host for members."""
    actor = _actor(who)
    if not _same_team(actor, meeting.team_id):
        return False
    return report_scope(actor) is ReportScope.TEAM or _runs(actor, meeting)
