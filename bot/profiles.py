"""Slack user profiles (name, email, IANA zone, locale), cached in the database.

users.info is rate-limited (Tier 4) and adds latency before the modal can be filled, so
a profile is refreshed at most every few hours.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.notifier import ClientForTeam
from handlers.domain import UserProfile
from handlers.ports import Clock, UserRepository

log = logging.getLogger(__name__)
MAX_AGE = timedelta(hours=6)


def _valid_zone(name: str | None) -> str:
    if not name:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


class ProfileService:
    def __init__(
        self, users: UserRepository, clock: Clock, admin_ids: set[str] | None = None
    ) -> None:
        self._users = users
        self._clock = clock
        self._admin_ids = admin_ids or set()

    def get(self, client: WebClient, team_id: str, user_id: str) -> UserProfile:
        """The user's profile; a default (UTC, English, member) one when Slack cannot tell.

        Using Meetline first grants nothing: admins are Slack's owners and admins, the
        first installer (bot.app), ADMIN_SLACK_IDS, and whoever an admin or the operator
        names (handlers.policy)."""
        found = self.lookup(client, team_id, user_id)
        if found is None:
            return UserProfile(team_id=team_id, slack_user_id=user_id)
        return found

    def lookup(self, client: WebClient, team_id: str, user_id: str) -> UserProfile | None:
        """None for users Slack does not know or who are deactivated."""
        cached = self._users.get(team_id, user_id)
        now = self._clock.now()
        if cached and cached.refreshed_at and now - cached.refreshed_at < MAX_AGE:
            return None if cached.extra.get("deleted") else cached
        try:
            info = client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("users.info failed for %s: %s", user_id, error)
            if error in ("user_not_found", "user_not_visible"):
                return None
            return cached
        user = info.get("user") or {}
        if user.get("team_id") and user.get("team_id") != team_id and not cached:
            return None
        fresh = profile_from_slack(team_id, user, cached, now)
        fresh.is_admin = fresh.is_admin or user_id in self._admin_ids
        self._users.save(fresh)
        return None if user.get("deleted") else fresh


def phone_region(locale: str | None) -> str | None:
    """ "pl-PL" → "PL": the default country for numbers typed without a country code."""
    if not locale:
        return None
    parts = locale.replace("_", "-").split("-")
    return parts[1].upper() if len(parts) > 1 and len(parts[1]) == 2 else None


class TeamPeople:
    """handlers.ports.PeopleDirectory outside one request (use cases built once, jobs):
    cached profiles, refreshed from Slack through the workspace's client."""

    def __init__(
        self, profiles: ProfileService, users: UserRepository, client_for: ClientForTeam
    ) -> None:
        self._profiles = profiles
        self._users = users
        self._client_for = client_for

    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        client = self._client_for(team_id)
        if client is None:
            cached = self._users.get(team_id, user_id)
            return None if cached is None or cached.extra.get("deleted") else cached
        return self._profiles.lookup(client, team_id, user_id)


def person_name(user: dict[str, Any]) -> str:
    """The name customers read in mails, invitations and default titles: the full name
    first, since a display name or handle ("anna") means nothing outside the team."""
    profile = user.get("profile") or {}
    for value in (
        profile.get("real_name"),
        user.get("real_name"),
        profile.get("display_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def profile_from_slack(
    team_id: str, user: dict[str, Any], cached: UserProfile | None, now: datetime
) -> UserProfile:
    """Merge what users.info / users.list say into the cached profile (seat and the roles
    granted in Meetline kept; Slack's own owner/admin flags follow Slack)."""
    profile = user.get("profile") or {}
    fresh = cached or UserProfile(team_id=team_id, slack_user_id=str(user.get("id")))
    fresh.name = person_name(user) or fresh.name
    fresh.email = profile.get("email") or fresh.email
    fresh.timezone = _valid_zone(user.get("tz"))
    fresh.locale = user.get("locale") or fresh.locale
    fresh.refreshed_at = now
    slack_admin = bool(user.get("is_owner") or user.get("is_admin") or user.get("is_primary_owner"))
    fresh.extra = {
        **fresh.extra,
        "deleted": bool(user.get("deleted")),
        "is_bot": bool(user.get("is_bot")),
        "slack_admin": slack_admin and not user.get("deleted") and not user.get("is_bot"),
    }
    return fresh
