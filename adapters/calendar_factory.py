"""Stored calendar connections turned into adapters: the one place that knows how a
connection's secret (Google credentials JSON, an msal token cache, CalDAV credentials)
becomes a `CalendarPort`, and how refreshed tokens get written back.

It reads and writes the secrets through `CalendarSecrets` (storage implements it), so
`storage/` never imports an adapter and use cases only ever see ports.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from adapters.endpoints import GRAPH_URL, MS_AUTHORITY_URL
from adapters.http_retry import RetryPolicy, Sleep
from adapters.outbound import OutboundPolicy
from adapters.zoom import ZOOM_API_URL, ZOOM_OAUTH_URL, ZoomConferencing
from handlers.calendar_booking import CalendarAccount
from handlers.calendars import CalendarError, CalendarPort
from handlers.ports import CalendarConnectionInfo, CalendarSecrets

if TYPE_CHECKING:
    from adapters.calendar_changes import CalDavCalendarSync
    from adapters.graph_calendar import MsalTokenProvider

# The calendar SDKs (googleapiclient, google-auth, msal, caldav/niquests) are imported on
# first use below, not at start: most processes never build a calendar adapter (every
# `meetline` command but serve/worker, a workspace without connected calendars), and
# importing them cost ~0.3 s of every start (python -X importtime, bot.cli).

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
INTERACTIVE_POLICY = RetryPolicy(max_attempts=1)


@dataclass(frozen=True)
class CalendarConfig:
    """What building adapters needs from the settings (plus test seams: the msal HTTP
    client, the retry policy and the sleep the adapters use between retries)."""

    google_client_id: str | None = None
    google_client_secret: str | None = None
    google_api_url: str | None = None  # a fake's root in tests; moves the OAuth endpoints too
    ms_client_id: str | None = None
    ms_client_secret: str | None = None
    ms_tenant_id: str = "common"
    ms_authority_url: str = (
        MS_AUTHORITY_URL  # the sign-in host (MS_AUTHORITY_URL); the tenant is appended
    )
    graph_api_url: str | None = None
    msal_http_client: Any = None
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: str | None = None
    zoom_api_url: str | None = None
    policy: RetryPolicy | None = None
    sleep: Sleep = time.sleep
    timeout: float = 30.0
    interactive_timeout: float = 3.0
    # What user-typed CalDAV URLs may reach (CALDAV_ALLOW_HOSTS); the probe and the worker
    # both build their adapter with it.
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)

    @property
    def google_token_uri(self) -> str:
        return (
            f"{self.google_api_url.rstrip('/')}/token" if self.google_api_url else GOOGLE_TOKEN_URI
        )

    @property
    def google_auth_uri(self) -> str:
        return (
            f"{self.google_api_url.rstrip('/')}/o/oauth2/auth"
            if self.google_api_url
            else GOOGLE_AUTH_URI
        )

    @property
    def google_ready(self) -> bool:
        return bool(self.google_client_id and self.google_client_secret)

    @property
    def microsoft_ready(self) -> bool:
        return bool(self.ms_client_id and self.ms_client_secret)

    @property
    def zoom_ready(self) -> bool:
        return bool(self.zoom_account_id and self.zoom_client_id and self.zoom_client_secret)


class StoredCalendarAccounts(CalendarSecrets, Protocol):
    """The storage side of `CalendarAccounts`: everything but the adapter."""

    def connection_for(self, team_id: str, user_id: str) -> CalendarConnectionInfo | None: ...

    def account(self, team_id: str, user_id: str) -> CalendarAccount | None: ...

    def account_by_id(self, account_id: int) -> CalendarAccount | None: ...

    def mark_revoked(self, account_id: int) -> bool: ...

    def save_sync_state(self, account_id: int, state: dict[str, Any] | None) -> None: ...

    def syncable(self) -> list[CalendarAccount]: ...


class ConnectedCalendars:
    """handlers.calendar_booking.CalendarAccounts: stored connections plus their adapters.

    One msal token provider per Microsoft connection lives as long as this object: its
    msal application fetched the tenant's metadata once and is reused by every calendar
    call. `config` may be replaced (tests point it at other fakes); that starts afresh."""

    def __init__(self, store: StoredCalendarAccounts, config: CalendarConfig | None = None) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._tokens: dict[tuple[int, str | None], MsalTokenProvider] = {}
        self.config = config or CalendarConfig()

    @property
    def config(self) -> CalendarConfig:
        return self._config

    @config.setter
    def config(self, value: CalendarConfig) -> None:
        with self._lock:
            self._config = value
            self._tokens.clear()

    # ------------------------------------------------------------------ stored side

    def connection_for(self, team_id: str, user_id: str) -> CalendarConnectionInfo | None:
        return self._store.connection_for(team_id, user_id)

    def account(self, team_id: str, user_id: str) -> CalendarAccount | None:
        return self._store.account(team_id, user_id)

    def account_by_id(self, account_id: int) -> CalendarAccount | None:
        return self._store.account_by_id(account_id)

    def mark_revoked(self, account_id: int) -> bool:
        return self._store.mark_revoked(account_id)

    def save_sync_state(self, account_id: int, state: dict[str, Any] | None) -> None:
        self._store.save_sync_state(account_id, state)

    def syncable(self) -> list[CalendarAccount]:
        return self._store.syncable()

    # ------------------------------------------------------------------ adapters

    def zoom_available(self) -> bool:
        return self.config.zoom_ready

    def conferencing(self) -> ZoomConferencing | None:
        cfg = self.config
        if not cfg.zoom_ready:
            return None
        assert cfg.zoom_account_id and cfg.zoom_client_id and cfg.zoom_client_secret
        api_url, oauth_url = ZOOM_API_URL, ZOOM_OAUTH_URL
        if cfg.zoom_api_url:
            # A stand-in (tests, a proxy) serves the token endpoint next to the API.
            api_url = cfg.zoom_api_url.rstrip("/")
            parts = urlsplit(api_url)
            oauth_url = f"{parts.scheme}://{parts.netloc}/oauth/token"
        return ZoomConferencing(
            cfg.zoom_account_id,
            cfg.zoom_client_id,
            cfg.zoom_client_secret,
            api_url=api_url,
            oauth_url=oauth_url,
            sleep=cfg.sleep,
            policy=cfg.policy,
            timeout=cfg.timeout,
        )

    def calendar(self, account: CalendarAccount, *, interactive: bool = False) -> CalendarPort:
        cfg = self.config
        policy = INTERACTIVE_POLICY if interactive else cfg.policy
        timeout = cfg.interactive_timeout if interactive else cfg.timeout
        store = self._store
        secret = store.secret(account.id)
        if account.provider == "google":
            if not cfg.google_ready:
                raise CalendarError(
                    "Google Calendar is not configured (GOOGLE_CLIENT_ID/SECRET)", transient=False
                )
            from adapters.calendar_changes import GoogleCalendarSync

            return GoogleCalendarSync.from_authorized_user_info(
                secret,
                calendar_id=store.calendar_id(account.id) or "primary",
                api_url=cfg.google_api_url,
                token_uri=cfg.google_token_uri,
                policy=policy,
                sleep=cfg.sleep,
                timeout=timeout,
                on_credentials_changed=lambda blob: store.store_secret(account.id, blob),
            )
        if account.provider == "microsoft":
            if not cfg.microsoft_ready:
                raise CalendarError(
                    "Microsoft 365 is not configured (MS_CLIENT_ID/SECRET)", transient=False
                )
            from adapters.calendar_changes import GraphCalendarSync

            return GraphCalendarSync(
                self._msal_tokens(account),
                api_url=cfg.graph_api_url or GRAPH_URL,
                sleep=cfg.sleep,
                policy=policy,
                timeout=timeout,
            )
        if account.provider == "caldav":
            from adapters.calendar_changes import CalDavCalendarSync

            data = json.loads(secret)
            return CalDavCalendarSync(
                str(data["url"]),
                str(data["username"]),
                str(data["password"]),
                data.get("calendar") or None,
                email=account.email,
                timeout=timeout,
                policy=cfg.outbound,
            )
        raise CalendarError(f"unknown calendar provider {account.provider!r}", transient=False)

    # ------------------------------------------------------------------ sign-in

    def google_flow(
        self,
        redirect_uri: str,
        scopes: list[str],
        state: str | None = None,
        code_verifier: str | None = None,
    ) -> Any:
        """google_auth_oauthlib's Flow for this server's Google client (PKCE)."""
        cfg = self.config
        client = {
            "web": {
                "client_id": cfg.google_client_id,
                "client_secret": cfg.google_client_secret,
                "auth_uri": cfg.google_auth_uri,
                "token_uri": cfg.google_token_uri,
                "redirect_uris": [redirect_uri],
            }
        }
        kwargs: dict[str, Any] = {"redirect_uri": redirect_uri}
        if state:
            kwargs["state"] = state
        if code_verifier:
            kwargs["code_verifier"] = code_verifier
        from google_auth_oauthlib.flow import Flow

        return Flow.from_client_config(client, scopes=scopes, **kwargs)

    def msal_app(self, cache: Any = None) -> Any:
        """An msal application for the sign-in pages (with `cache` to capture the tokens)."""
        cfg = self.config
        assert cfg.ms_client_id and cfg.ms_client_secret
        from adapters.graph_calendar import msal_application

        return msal_application(
            cfg.ms_client_id,
            cfg.ms_client_secret,
            authority_url=cfg.ms_authority_url,
            tenant_id=cfg.ms_tenant_id,
            token_cache=cache,
            http_client=cfg.msal_http_client,
        )

    def _msal_tokens(self, account: CalendarAccount) -> MsalTokenProvider:
        """The connection's token provider, made on its first use (keyed by the account's
        address too: a reconnect with another account gets a fresh one)."""
        store = self._store
        with self._lock:
            cfg = self._config
            key = (account.id, account.email)
            tokens = self._tokens.get(key)
            if tokens is None:
                assert cfg.ms_client_id and cfg.ms_client_secret
                from adapters.graph_calendar import MsalTokenProvider

                tokens = MsalTokenProvider(
                    cfg.ms_client_id,
                    cfg.ms_client_secret,
                    tenant_id=cfg.ms_tenant_id or "common",
                    username=account.email,
                    load_cache=lambda: store.secret(account.id),
                    save_cache=lambda blob: store.store_secret(account.id, blob),
                    authority_url=cfg.ms_authority_url,
                    http_client=cfg.msal_http_client,
                )
                self._tokens[key] = tokens
            return tokens

    def caldav_probe(
        self,
        url: str,
        username: str,
        password: str,
        calendar: str | None = None,
        email: str | None = None,
    ) -> CalDavCalendarSync:
        """An adapter for credentials not saved yet, to check them first."""
        from adapters.calendar_changes import CalDavCalendarSync

        return CalDavCalendarSync(
            url,
            username,
            password,
            calendar,
            email=email,
            timeout=self.config.interactive_timeout,
            policy=self.config.outbound,
        )
