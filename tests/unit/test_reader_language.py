"""Which language each reader gets (`bot.i18n_context`): a Slack user their Slack locale's,
else the workspace default, else English; a browser (the calendar sign-in pages) the first
language of its Accept-Language header that Meetline speaks."""

from __future__ import annotations

import pytest

from bot.i18n_context import browser_translator, language_of_profile, translator_for
from handlers.domain import UserProfile
from handlers.workspace import WorkspaceSettings

POLISH_WORKSPACE = WorkspaceSettings(default_language="pl")


def person(locale: str) -> UserProfile:
    return UserProfile(team_id="T1", slack_user_id="U1", locale=locale)


@pytest.mark.parametrize(
    ("profile", "workspace", "language"),
    [
        (person("pl-PL"), None, "pl"),
        (person("en-GB"), POLISH_WORKSPACE, "en"),  # the user's own Slack language wins
        (person("de-DE"), POLISH_WORKSPACE, "pl"),  # not spoken: the workspace default
        (person("de-DE"), None, "en"),
        (None, POLISH_WORKSPACE, "pl"),  # never seen: the workspace default
        (None, None, "en"),
        (person(""), WorkspaceSettings(), "en"),
    ],
)
def test_a_slack_user_reads_their_locale_else_the_workspace_default(
    profile: UserProfile | None, workspace: WorkspaceSettings | None, language: str
) -> None:
    assert language_of_profile(profile, workspace) == language
    assert translator_for(profile, workspace).language == language


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("pl-PL,pl;q=0.9,en;q=0.8", "pl"),
        ("de-DE,de;q=0.9,pl;q=0.5,en;q=0.4", "pl"),  # the first one we speak, by weight
        ("en;q=0.5,pl;q=0.8", "pl"),
        ("en-GB,pl;q=0.9", "en"),
        ("fr-FR, *;q=0.5", "en"),
        ("pl;q=0, en;q=0.1", "en"),  # q=0 means "not this one"
        ("pl;q=abc,en-US", "en"),  # an unreadable weight counts as 0
        ("", "en"),
        ("PL", "pl"),
    ],
)
def test_a_browser_reads_the_first_language_we_speak(header: str, language: str) -> None:
    assert browser_translator(header).language == language
