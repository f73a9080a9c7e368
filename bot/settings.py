"""Settings from the environment and `.env`, validated once at start-up.

Every problem becomes one line naming the variable (`SettingsError`), so an operator
never has to read a traceback to fix a deployment.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from adapters.outbound import parse_allow_hosts
from storage.crypto import parse_secret_keys

SLACK_API_DEFAULT = "https://slack.com/api/"
MS_AUTHORITY_DEFAULT = "https://login.microsoftonline.com"
HUBSPOT_API_DEFAULT = "https://api.hubapi.com"


class SettingsError(Exception):
    """A missing or malformed setting; the message is one line naming it."""


def _check_url(name: str, value: str | None, schemes: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ValueError(f"{name} must be a {'/'.join(schemes)} URL, got {value!r}")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    SLACK_SIGNING_SECRET: str | None = None
    SLACK_BOT_TOKEN: str | None = None
    SLACK_APP_TOKEN: str | None = None
    SLACK_CLIENT_ID: str | None = None
    SLACK_CLIENT_SECRET: str | None = None
    SLACK_API_URL: str = SLACK_API_DEFAULT
    DATABASE_URL: str = "sqlite:///meetline.db"
    PUBLIC_URL: str | None = None
    SECRET_KEY: str | None = None
    SMTP_URL: str | None = None
    MAIL_FROM: str | None = None
    ADMIN_SLACK_IDS: str = ""
    GOOGLE_CLIENT_ID: str | None = None
    GOOGLE_CLIENT_SECRET: str | None = None
    GOOGLE_API_URL: str | None = None
    MS_CLIENT_ID: str | None = None
    MS_CLIENT_SECRET: str | None = None
    MS_TENANT_ID: str | None = None
    # The Microsoft sign-in host, for the sign-in pages and the Graph adapter alike
    # (MS_TENANT_ID is appended). msal only speaks https to it.
    MS_AUTHORITY_URL: str = MS_AUTHORITY_DEFAULT
    GRAPH_API_URL: str | None = None
    ZOOM_ACCOUNT_ID: str | None = None
    ZOOM_CLIENT_ID: str | None = None
    ZOOM_CLIENT_SECRET: str | None = None
    ZOOM_API_URL: str | None = None
    # HubSpot's API root (tests point it at tests/support/fake_hubspot.py).
    HUBSPOT_API_URL: str = HUBSPOT_API_DEFAULT
    CALDAV_ALLOW_HOSTS: str = ""
    # Seconds a process keeps workspace settings, profiles and calendar connections it
    # read (storage.read_cache); its own writes are seen at once, another process's
    # within this time. 0 reads the database every time. 30: a /meet and its Save are
    # usually further apart than 5 s (the rep fills the form), so a shorter cache served
    # neither from the other.
    CACHE_SECONDS: str = "30"

    @field_validator("SLACK_BOT_TOKEN")
    @classmethod
    def _bot_token(cls, v: str | None) -> str | None:
        if v and not v.startswith("xoxb-"):
            raise ValueError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        return v or None

    @field_validator("SLACK_APP_TOKEN")
    @classmethod
    def _app_token(cls, v: str | None) -> str | None:
        if v and not v.startswith("xapp-"):
            raise ValueError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        return v or None

    @field_validator("SECRET_KEY")
    @classmethod
    def _secret_key(cls, v: str | None) -> str | None:
        """One key, or several separated by commas (the first encrypts, all decrypt)."""
        if not v:
            return None
        return ",".join(parse_secret_keys(v))

    @field_validator("SLACK_API_URL")
    @classmethod
    def _slack_api(cls, v: str) -> str:
        _check_url("SLACK_API_URL", v, ("http", "https"))
        return v if v.endswith("/") else v + "/"

    @field_validator("PUBLIC_URL", "GOOGLE_API_URL", "GRAPH_API_URL", "ZOOM_API_URL")
    @classmethod
    def _http_urls(cls, v: str | None, info: object) -> str | None:
        name = getattr(info, "field_name", "URL")
        return _check_url(name, v, ("http", "https"))

    @field_validator("HUBSPOT_API_URL")
    @classmethod
    def _hubspot_api(cls, v: str) -> str:
        _check_url("HUBSPOT_API_URL", v, ("http", "https"))
        return v.rstrip("/") or HUBSPOT_API_DEFAULT

    @field_validator("MS_AUTHORITY_URL")
    @classmethod
    def _ms_authority(cls, v: str) -> str:
        _check_url("MS_AUTHORITY_URL", v, ("https",))
        return v.rstrip("/") or MS_AUTHORITY_DEFAULT

    @field_validator("SMTP_URL")
    @classmethod
    def _smtp(cls, v: str | None) -> str | None:
        return _check_url("SMTP_URL", v, ("smtp", "smtps"))

    @field_validator("CALDAV_ALLOW_HOSTS")
    @classmethod
    def _caldav_allow_hosts(cls, v: str) -> str:
        try:
            parse_allow_hosts(v)
        except ValueError as exc:
            raise ValueError(f"CALDAV_ALLOW_HOSTS: {exc}") from None
        return v

    @field_validator("CACHE_SECONDS")
    @classmethod
    def _cache_seconds(cls, v: str) -> str:
        try:
            seconds = float(v)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= 3600:
            raise ValueError(f"CACHE_SECONDS must be a number of seconds from 0 to 3600, got {v!r}")
        return v

    @property
    def cache_seconds(self) -> float:
        return float(self.CACHE_SECONDS)

    @field_validator("DATABASE_URL")
    @classmethod
    def _database(cls, v: str) -> str:
        try:
            url = make_url(v)
        except ArgumentError:
            raise ValueError(f"DATABASE_URL is not a database URL: {v!r}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return v

    @property
    def caldav_allow_hosts(self) -> frozenset[tuple[str, int]]:
        """Servers user-typed CalDAV URLs may reach although they resolve to private
        addresses (plain http included): on-premise servers, the tests' Radicale."""
        return parse_allow_hosts(self.CALDAV_ALLOW_HOSTS)

    @property
    def admin_ids(self) -> set[str]:
        return {s.strip() for s in self.ADMIN_SLACK_IDS.split(",") if s.strip()}

    @property
    def slack_mode(self) -> Literal["oauth", "single", "none"]:
        if self.SLACK_CLIENT_ID and self.SLACK_CLIENT_SECRET:
            return "oauth"
        if self.SLACK_BOT_TOKEN:
            return "single"
        return "none"

    def missing_for_http(self) -> list[str]:
        """What `serve` still needs to answer Slack; empty when it can start."""
        missing = []
        if not self.SLACK_SIGNING_SECRET:
            missing.append("SLACK_SIGNING_SECRET")
        if self.slack_mode == "none":
            missing.append("SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)")
        if self.slack_mode == "oauth" and not self.SECRET_KEY:
            missing.append("SECRET_KEY (encrypts the installations' tokens)")
        return missing

    def missing_for_socket(self) -> list[str]:
        missing = []
        if not self.SLACK_APP_TOKEN:
            missing.append("SLACK_APP_TOKEN")
        if not self.SLACK_BOT_TOKEN:
            missing.append("SLACK_BOT_TOKEN")
        return missing


def load_settings() -> Settings:
    """Read and validate settings; raises SettingsError with a one-line message."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "setting"
        msg = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        if name in msg:
            raise SettingsError(msg) from None
        raise SettingsError(f"{name}: {msg}") from None
