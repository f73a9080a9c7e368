"""Which language a Slack surface speaks: its reader's.

A Slack user reads their Slack locale's language (users.info with include_locale,
cached in their profile), else the workspace default, else English. Listeners get a
`Translator` here and pass it to the view builders as `t=`:

    t = translator_for(profile, services.workspaces.get(team_id))   # profile at hand
    t = user_translator(client, services, profiles, team_id, user_id) # may ask Slack
    t = cached_translator(services, team_id, user_id)                 # never asks Slack
    t = browser_translator(accept_language)                          # web pages: the browser's

`cached_translator` reads the stored profile only, for answers due within Slack's 3
seconds (acks, option lists, the first modal view) and for App Home; a user never seen
before reads the workspace default there until their profile is fetched. The /meet form
keeps its language in private_metadata ("lang", bot.views.meet_state), so its updates
need no lookup at all.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot.profiles import ProfileService
from bot.services import Services
from handlers.domain import UserProfile
from handlers.i18n import DEFAULT_LANGUAGE, Translator, language_for, translator
from handlers.workspace import WorkspaceSettings


def language_of_profile(profile: UserProfile | None, ws: WorkspaceSettings | None) -> str:
    """The supported language for a Slack user: their locale, else the workspace default."""
    default = ws.default_language if ws is not None else DEFAULT_LANGUAGE
    return language_for(profile.locale if profile is not None else None, default)


def translator_for(profile: UserProfile | None, ws: WorkspaceSettings | None) -> Translator:
    return translator(language_of_profile(profile, ws))


def cached_translator(services: Services, team_id: str, user_id: str) -> Translator:
    """From the stored profile and the workspace default: no Slack call."""
    profile = services.users.get(team_id, user_id) if user_id else None
    return translator_for(profile, services.workspaces.get(team_id))


def user_translator(
    client: WebClient, services: Services, profiles: ProfileService, team_id: str, user_id: str
) -> Translator:
    """From the user's profile, refreshed from Slack when it is stale."""
    return translator_for(profiles.get(client, team_id, user_id), services.workspaces.get(team_id))


def language_lookup(services: Services) -> Callable[[str, str], str]:
    """`(team_id, user_id) -> language` for background DMs (bot.notifier): the recipient's
    stored profile and their workspace's default."""

    def language_of(team_id: str, user_id: str) -> str:
        return language_of_profile(
            services.users.get(team_id, user_id), services.workspaces.get(team_id)
        )

    return language_of


def browser_translator(accept_language: str) -> Translator:
    """The first supported language of an Accept-Language header ("pl-PL,pl;q=0.9,en;q=0.8");
    English otherwise."""
    tags: list[tuple[float, int, str]] = []
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        try:
            weight = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            weight = 0.0
        if tag and tag != "*" and weight > 0:
            tags.append((-weight, len(tags), tag))
    for _, _, tag in sorted(tags):
        language = language_for(tag)
        if language != DEFAULT_LANGUAGE or tag.lower().split("-")[0] == DEFAULT_LANGUAGE:
            return translator(language)  # a language we speak, not the fallback
    return translator(DEFAULT_LANGUAGE)
