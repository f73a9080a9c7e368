"""Start-up settings (`bot.settings.load_settings`): a bad deployment gets one line naming
the variable to fix, never a traceback; what each mode still needs is listed.

Each test runs in an empty directory (no `.env`) with every Meetline variable unset.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings
from tests.support.server import OTHER_SECRET_KEY, SECRET_KEY


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def refused(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    with pytest.raises(SettingsError) as caught:
        load(monkeypatch, **env)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_nothing_set_starts_on_sqlite_without_slack(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch)
    assert settings.DATABASE_URL == "sqlite:///meetline.db"
    assert settings.slack_mode == "none"
    assert settings.missing_for_http() == [
        "SLACK_SIGNING_SECRET",
        "SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)",
    ]
    assert settings.missing_for_socket() == ["SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"]
    assert settings.admin_ids == set() and settings.caldav_allow_hosts == frozenset()


def test_a_single_workspace_needs_a_bot_token_and_the_signing_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load(monkeypatch, SLACK_BOT_TOKEN="xoxb-1-2", SLACK_SIGNING_SECRET="s")
    assert settings.slack_mode == "single" and settings.missing_for_http() == []
    assert settings.missing_for_socket() == ["SLACK_APP_TOKEN"]


def test_oauth_installs_need_a_secret_key_for_the_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(
        monkeypatch, SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="c", SLACK_SIGNING_SECRET="s"
    )
    assert settings.slack_mode == "oauth"
    assert settings.missing_for_http() == ["SECRET_KEY (encrypts the installations' tokens)"]
    with_key = load(monkeypatch, SECRET_KEY=f" {SECRET_KEY} , {OTHER_SECRET_KEY}")
    assert with_key.missing_for_http() == []
    both = f"{SECRET_KEY},{OTHER_SECRET_KEY}"  # spaces trimmed, the first key still first
    assert both == with_key.SECRET_KEY


def test_urls_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(
        monkeypatch,
        SLACK_API_URL="http://127.0.0.1:9000/api",
        MS_AUTHORITY_URL="https://login.example.test/",
        ADMIN_SLACK_IDS=" U1, ,U2 ",
        CALDAV_ALLOW_HOSTS="dav.internal:5232",
        DATABASE_URL="postgresql+psycopg://meetline@db/meetline",
        SMTP_URL="smtps://user:pass@mail.example:465",
    )
    assert settings.SLACK_API_URL == "http://127.0.0.1:9000/api/"
    assert settings.MS_AUTHORITY_URL == "https://login.example.test"
    assert settings.admin_ids == {"U1", "U2"}
    assert settings.caldav_allow_hosts == frozenset({("dav.internal", 5232)})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"SLACK_BOT_TOKEN": "xoxp-user"},
            "SLACK_BOT_TOKEN must be a bot token starting with xoxb-",
        ),
        (
            {"SLACK_APP_TOKEN": "xoxb-1"},
            "SLACK_APP_TOKEN must be an app-level token starting with xapp-",
        ),
        (
            {"PUBLIC_URL": "meetline.example.com"},
            "PUBLIC_URL must be a http/https URL, got 'meetline.example.com'",
        ),
        ({"GOOGLE_API_URL": "ftp://x"}, "GOOGLE_API_URL must be a http/https URL, got 'ftp://x'"),
        (
            {"SLACK_API_URL": "slack.com/api"},
            "SLACK_API_URL must be a http/https URL, got 'slack.com/api'",
        ),
        ({"MS_AUTHORITY_URL": "http://login.example"}, "MS_AUTHORITY_URL must be a https URL"),
        (
            {"SMTP_URL": "mail.example:25"},
            "SMTP_URL must be a smtp/smtps URL, got 'mail.example:25'",
        ),
        (
            {"DATABASE_URL": "mysql://db/meetline"},
            "DATABASE_URL must be a sqlite:// or postgresql:// URL",
        ),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL: 'not a url'"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 random bytes"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    text = refused(monkeypatch, **env)
    assert text.startswith(message)  # the variable's name comes first, once


def test_a_bad_caldav_allow_list_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    text = refused(monkeypatch, CALDAV_ALLOW_HOSTS="dav.internal:notaport")
    assert text.startswith("CALDAV_ALLOW_HOSTS: ")


def test_the_env_file_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-file\nMAIL_FROM=meetline@example.com\n"
    )
    settings = load(monkeypatch, MAIL_FROM="ops@example.com")
    assert (settings.SLACK_BOT_TOKEN, settings.MAIL_FROM) == ("xoxb-from-file", "ops@example.com")
