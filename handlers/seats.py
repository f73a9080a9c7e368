"""Use case: an admin gives a teammate a seat and roles (admin, manager, sandbox).

The seat rules live here, not in the listener: only an admin of the same workspace may
change seats, the teammate must be an active member of it, the seat one of SEATS, and
nobody removes their own admin role (a workspace must never lock itself out).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from handlers.domain import UserProfile
from handlers.errors import Field, ValidationFailed
from handlers.i18n import Translator, language_for, translator
from handlers.policy import can_change_settings, can_grant_roles
from handlers.ports import PeopleDirectory, UnitOfWorkFactory
from handlers.team_rules import SEATS

ROLES = ("admin", "manager", "sandbox")


@dataclass(frozen=True)
class SeatChange:
    """What the seat form asks for; `user_id` is empty when no teammate was picked."""

    user_id: str
    seat: str
    roles: Set[str]


class ChangeSeat:
    """The teammate is looked up first (Slack may be asked, and the answer cached); then
    one unit of work reads their stored profile, applies the seat and roles, saves it and
    commits, so a profile refresh in between is kept and never half a change is stored."""

    def __init__(self, uow: UnitOfWorkFactory, people: PeopleDirectory) -> None:
        self._uow = uow
        self._people = people

    def __call__(
        self, actor: UserProfile, change: SeatChange, t: Translator | None = None
    ) -> UserProfile:
        """The teammate as saved. Raises ValidationFailed with the field to show it at."""
        t = t or translator(language_for(actor.locale))
        if not can_change_settings(actor, actor.team_id):
            raise ValidationFailed(
                {Field.USER: t.gettext("Only Meetline admins can change seats.")}
            )
        target = self._people.user(actor.team_id, change.user_id) if change.user_id else None
        if target is None or not can_grant_roles(actor, target):
            raise ValidationFailed(
                {Field.USER: t.gettext("Pick an active member of this workspace.")}
            )
        if change.seat not in SEATS:
            raise ValidationFailed({Field.SEAT: t.gettext("Pick a seat.")})
        if target.slack_user_id == actor.slack_user_id and "admin" not in change.roles:
            raise ValidationFailed(
                {Field.ROLES: t.gettext("You cannot remove your own admin role.")}
            )
        with self._uow() as uow:
            profile = uow.users.get(target.team_id, target.slack_user_id) or target
            profile.seat = change.seat
            profile.is_admin = "admin" in change.roles
            profile.is_manager = "manager" in change.roles
            profile.is_sandbox = "sandbox" in change.roles
            uow.users.save(profile)
            uow.commit()
        return profile
