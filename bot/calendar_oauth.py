"""Connecting Google and Microsoft 365 calendars: the signed start links, the OAuth
redirects and callbacks under /oauth/, and the wiring of the calendar directory.

Flow: the App Home shows a URL button to `PUBLIC_URL/oauth/<provider>/start?s=…`, where
`s` is sealed with SECRET_KEY (its own HKDF label) and names the Slack team and user, a
random nonce and an expiry ten minutes ahead; every Home render mints a fresh one. The
start endpoint accepts a link once (the nonce is recorded), sets an HttpOnly SameSite=Lax
cookie with a random value in the browser, creates the one-time OAuth `state` and keeps
the PKCE verifier (Google) or msal's flow dict (Microsoft) plus the cookie's hash in
`calendar_oauth_flows`, then redirects to the provider. The callback takes that row
(once), refuses a browser without the matching cookie before redeeming the code, and
exchanges the code.

A link is a bearer token for whoever opens it, so the account that signed in is saved
only when its address is the Slack user's email (case-insensitive). Otherwise the tokens
are parked, encrypted, and the Slack user (not whoever holds the browser) is asked in a
DM "Connect anna@example.com?"; only their click saves it. Nothing secret ever travels
through Slack or the browser beyond the code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import os
import re
import secrets
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode

import msal
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from bot.i18n_context import browser_translator
from bot.services import SigninProviders
from bot.settings import Settings
from bot.views.calendar_views import CalendarHome, calendar_section
from handlers.i18n import Translator, translator
from handlers.ports import CalendarConnections, Clock, PendingConnection
from storage.crypto import SIGNIN_LINKS, SecretBox, SecretBoxError

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
OnConnected = Callable[[str, str, str, str | None], None]  # team, user, provider, email
LanguageOf = Callable[[str, str], str]  # team, user -> language (bot.i18n_context.language_lookup)
EmailOf = Callable[
    [str, str], str | None
]  # team, user -> the Slack user's email, None when unknown
OnPending = Callable[[PendingConnection], None]  # ask the Slack user to confirm

GOOGLE_SCOPES = [
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.freebusy",
]
GOOGLE_REQUIRED_SCOPE = "https://www.googleapis.com/auth/calendar.events"
MS_SCOPES = ["Calendars.ReadWrite", "User.Read"]  # openid/profile/offline_access are added by msal
LINK_LIFETIME = timedelta(minutes=10)
FLOW_LIFETIME = timedelta(minutes=15)
PENDING_LIFETIME = timedelta(minutes=30)
COOKIE = "meetline_signin"
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{43,128}$")
OAUTH_PROVIDERS = ("google", "microsoft")
# msal nudges towards form_post; the browser-binding cookie needs the GET answer (see _start).
warnings.filterwarnings(
    "ignore", message="response_mode='form_post' is recommended", category=UserWarning
)


# --------------------------------------------------------------------------- links


def start_link(
    settings: Settings, provider: str, team_id: str, user_id: str, now: datetime
) -> str | None:
    """A single-use, ten-minute link that starts the provider's sign-in for this Slack user,
    or None when the provider is not set up on this server (or PUBLIC_URL / SECRET_KEY is
    missing)."""
    if not settings.PUBLIC_URL or not settings.SECRET_KEY:
        return None
    if provider == "google" and not (settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET):
        return None
    if provider == "microsoft" and not (settings.MS_CLIENT_ID and settings.MS_CLIENT_SECRET):
        return None
    sealed = SecretBox(settings.SECRET_KEY, SIGNIN_LINKS).encrypt(
        json.dumps(
            {
                "t": team_id,
                "u": user_id,
                "p": provider,
                "n": secrets.token_urlsafe(18),
                "x": int((now + LINK_LIFETIME).timestamp()),
            }
        )
    )
    return f"{settings.PUBLIC_URL.rstrip('/')}/oauth/{provider}/start?{urlencode({'s': sealed})}"


def home_section(
    settings: Settings, store: CalendarConnections, clock: Clock
) -> Callable[[str, str, Translator, bool], list[dict[str, Any]]]:
    """The App Home hook (Services.home_sections): the user's calendar section, in `t`'s
    language; server settings are named to `admin`s only (members cannot change them)."""

    def section(team_id: str, user_id: str, t: Translator, admin: bool) -> list[dict[str, Any]]:
        status = store.status(team_id, user_id)
        now = clock.now()
        missing = []
        if not settings.PUBLIC_URL:
            missing.append("`PUBLIC_URL`")
        if not (settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET):
            missing.append("`GOOGLE_CLIENT_ID`/`GOOGLE_CLIENT_SECRET`")
        if not (settings.MS_CLIENT_ID and settings.MS_CLIENT_SECRET):
            missing.append("`MS_CLIENT_ID`/`MS_CLIENT_SECRET`")
        hint = (
            t.gettext(
                "Google and Microsoft 365 sign-in need {settings} set by an admin.",
                settings=", ".join(missing),
            )
            if missing
            else None
        )
        return calendar_section(
            CalendarHome(
                provider=status.provider if status else None,
                email=status.email if status else None,
                active=status.active if status else True,
                google_url=start_link(settings, "google", team_id, user_id, now),
                microsoft_url=start_link(settings, "microsoft", team_id, user_id, now),
                can_store=store.can_store_secrets,
                oauth_hint=hint,
                admin=admin,
            ),
            t=t,
        )

    return section


def _claims_of_id_token(id_token: str | None) -> dict[str, Any]:
    """The claims of an ID token received straight from the token endpoint over TLS,
    which OpenID Connect allows to trust without checking the signature (Core 3.1.3.7)."""
    if not id_token or id_token.count(".") < 2:
        return {}
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def same_address(account: str | None, slack: str | None) -> bool:
    """Whether the calendar account is the Slack user's own address (case-insensitive)."""
    return bool(account and slack and account.strip().casefold() == slack.strip().casefold())


def browser_hash(value: str) -> str:
    """What the flow row keeps of the browser cookie: the value is 256 random bits, so a
    plain hash cannot be turned back into a working cookie from a database dump."""
    return hashlib.sha256(value.encode()).hexdigest()


def _cookie_from(environ: dict[str, Any]) -> str | None:
    try:
        jar = SimpleCookie(str(environ.get("HTTP_COOKIE", "")))
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and _COOKIE_VALUE.match(morsel.value) else None


# --------------------------------------------------------------------------- HTTP


class CalendarOAuth:
    """WSGI handler for `/oauth/<provider>/start` and `/oauth/<provider>/callback`."""

    def __init__(
        self,
        settings: Settings,
        store: CalendarConnections,
        signin: SigninProviders,
        clock: Clock,
        *,
        on_connected: OnConnected | None = None,
        language_of: LanguageOf | None = None,
        email_of: EmailOf | None = None,
        on_pending: OnPending | None = None,
    ) -> None:
        self._settings = settings
        self._email_of = email_of
        self._on_pending = on_pending
        self._language_of = language_of
        self._store = store
        self._clock = clock
        self._on_connected = on_connected
        self._signin = signin

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # The pages speak the browser's language until the Slack user is known, then theirs.
        t = browser_translator(str(environ.get("HTTP_ACCEPT_LANGUAGE", "")))
        parts = [p for p in str(environ.get("PATH_INFO", "")).split("/") if p]
        method = environ.get("REQUEST_METHOD", "GET")
        # Opening a link uses it up, so only a real GET starts (not a HEAD from a link checker);
        # both providers answer with a top-level GET, the only request a SameSite=Lax cookie
        # comes back with (no form_post).
        if (
            len(parts) != 3
            or parts[1] not in OAUTH_PROVIDERS
            or parts[2] not in ("start", "callback")
            or method != "GET"
        ):
            return self._page(
                start_response, 404, t.gettext("Not found"), t.gettext("There is nothing here."), t
            )
        raw = str(environ.get("QUERY_STRING", ""))
        query = {k: v[-1] for k, v in parse_qs(raw).items()}
        provider, step = parts[1], parts[2]
        if not self._settings.SECRET_KEY or not self._settings.PUBLIC_URL:
            return self._page(
                start_response,
                503,
                t.gettext("Not set up"),
                t.gettext(
                    "Calendar sign-in needs PUBLIC_URL and SECRET_KEY on this Meetline server."
                ),
                t,
            )
        try:
            if step == "start":
                return self._start(provider, query, start_response, t)
            return self._callback(provider, query, _cookie_from(environ), start_response, t)
        except (
            Exception
        ):  # a provider answering nonsense must give the user a page, not a traceback
            log.exception("calendar OAuth %s/%s failed", provider, step)
            return self._page(
                start_response,
                502,
                t.gettext("Something went wrong"),
                t.gettext(
                    "The calendar could not be connected. Start again from Meetline's Home tab in Slack."
                ),
                t,
            )

    # ------------------------------------------------------------------ steps

    def _redirect_uri(self, provider: str) -> str:
        assert self._settings.PUBLIC_URL
        return f"{self._settings.PUBLIC_URL.rstrip('/')}/oauth/{provider}/callback"

    def _user_translator(self, team_id: str, user_id: str, fallback: Translator) -> Translator:
        if self._language_of is None:
            return fallback
        try:
            return translator(self._language_of(team_id, user_id))
        except Exception:  # the page matters more than its language
            log.warning("no language for %s", user_id, exc_info=True)
            return fallback

    def _start(
        self, provider: str, query: dict[str, str], start_response: StartResponse, t: Translator
    ) -> Iterable[bytes]:
        claims = self._open_link(query.get("s", ""), provider)
        if claims is None:
            return self._page(
                start_response,
                400,
                t.gettext("Link expired"),
                t.gettext(
                    "This link has expired. Open Meetline's Home tab in Slack and click Connect again."
                ),
                t,
            )
        team_id, user_id = str(claims["t"]), str(claims["u"])
        now = self._clock.now()
        link_expires = datetime.fromtimestamp(int(claims["x"]), tz=now.tzinfo)
        if not self._store.use_link(str(claims.get("n") or ""), link_expires, now):
            return self._page(
                start_response,
                400,
                t.gettext("Link already used"),
                t.gettext(
                    "This sign-in link was already opened. Open Meetline's Home tab in Slack and click Connect again "
                    "for a new one."
                ),
                t,
            )
        t = self._user_translator(team_id, user_id, t)
        expires = now + FLOW_LIFETIME
        # Always a fresh value, never one the browser brings along: a cookie planted by
        # someone else (a sibling subdomain can set one) must not be what the flow trusts.
        cookie = secrets.token_urlsafe(32)
        bound = browser_hash(cookie)
        if provider == "google":
            flow = self._google_flow()
            url, state = flow.authorization_url(access_type="offline", prompt="consent")
            self._store.start_flow(
                state,
                team_id,
                user_id,
                "google",
                {"code_verifier": flow.code_verifier},
                expires,
                browser_hash=bound,
            )
        else:
            # The answer must be a top-level GET (response_mode=query): a SameSite=Lax cookie
            # is not sent with the cross-site POST of form_post, and the cookie is the check.
            ms_flow = self._msal_app(None).initiate_auth_code_flow(
                MS_SCOPES, redirect_uri=self._redirect_uri("microsoft"), response_mode="query"
            )
            if "error" in ms_flow:
                return self._page(
                    start_response,
                    502,
                    t.gettext("Microsoft sign-in unavailable"),
                    str(ms_flow.get("error_description") or ms_flow["error"]),
                    t,
                )
            url = str(ms_flow["auth_uri"])
            self._store.start_flow(
                str(ms_flow["state"]),
                team_id,
                user_id,
                "microsoft",
                ms_flow,
                expires,
                browser_hash=bound,
            )
        start_response(
            "302 Found",
            [
                ("Location", url),
                ("Cache-Control", "no-store"),
                ("Content-Length", "0"),
                ("Set-Cookie", self._cookie_header(provider, cookie)),
            ],
        )
        return [b""]

    def _cookie_header(self, provider: str, value: str) -> str:
        secure = "; Secure" if str(self._settings.PUBLIC_URL or "").startswith("https:") else ""
        max_age = int(FLOW_LIFETIME.total_seconds())
        return f"{COOKIE}={value}; Path=/oauth/{provider}/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"

    def _callback(
        self,
        provider: str,
        query: dict[str, str],
        cookie: str | None,
        start_response: StartResponse,
        t: Translator,
    ) -> Iterable[bytes]:
        pending = self._store.take_flow(query.get("state", ""), provider, self._clock.now())
        if pending is None:
            return self._page(
                start_response,
                400,
                t.gettext("Link expired"),
                t.gettext(
                    "This sign-in has expired or was already used. Start again from Meetline's Home tab."
                ),
                t,
            )
        if (
            cookie is None
            or pending.browser_hash is None
            or not hmac.compare_digest(browser_hash(cookie), pending.browser_hash)
        ):
            # Checked before the code is redeemed: the account is never even read.
            log.info(
                "calendar sign-in for %s/%s finished in another browser; refused",
                pending.team_id,
                pending.user_id,
            )
            return self._page(
                start_response,
                400,
                t.gettext("Another browser"),
                t.gettext(
                    "This sign-in was started in another browser. Nothing was connected. Start again from Meetline's "
                    "Home tab, and finish in the same browser."
                ),
                t,
            )
        t = self._user_translator(pending.team_id, pending.user_id, t)
        if query.get("error"):
            return self._page(
                start_response,
                400,
                t.gettext("Not connected"),
                t.gettext(
                    "The calendar was not connected. You can try again from Meetline's Home tab."
                ),
                t,
            )
        if provider == "google":
            return self._google_callback(
                pending.team_id, pending.user_id, pending.flow, query, start_response, t
            )
        return self._microsoft_callback(
            pending.team_id, pending.user_id, pending.flow, query, start_response, t
        )

    def _google_callback(
        self,
        team_id: str,
        user_id: str,
        saved: dict[str, Any],
        query: dict[str, str],
        start_response: StartResponse,
        t: Translator,
    ) -> Iterable[bytes]:
        # Google may grant fewer scopes than asked (granular consent) or name them
        # differently; oauthlib would raise on that, we check the one that matters below.
        os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
        flow = self._google_flow(state=query.get("state"), code_verifier=saved.get("code_verifier"))
        try:
            token = flow.fetch_token(code=query.get("code", ""))
        except OAuth2Error as exc:
            log.info("Google refused the code: %s", exc)
            return self._page(
                start_response,
                400,
                t.gettext("Not connected"),
                t.gettext(
                    "Google did not accept the sign-in. Start again from Meetline's Home tab."
                ),
                t,
            )
        granted = (
            set(token.get("scope") or [])
            if isinstance(token.get("scope"), list)
            else set(str(token.get("scope") or "").split())
        )
        if granted and GOOGLE_REQUIRED_SCOPE not in granted:
            return self._page(
                start_response,
                400,
                t.gettext("Calendar access missing"),
                t.gettext(
                    "Meetline needs access to your calendar's events. Start again and allow it."
                ),
                t,
            )
        credentials = flow.credentials
        claims = _claims_of_id_token(
            getattr(credentials, "id_token", None) or token.get("id_token")
        )
        email = str(claims["email"]) if claims.get("email") else None
        verified = claims.get("email_verified") in (True, "true")
        if not self._owner_matches(team_id, user_id, email if verified else None):
            return self._ask_owner(
                team_id, user_id, "google", credentials.to_json(), email, start_response, t
            )
        self._store.save_google(team_id, user_id, credentials.to_json(), email)
        self._connected(team_id, user_id, "google", email)
        return self._page(
            start_response,
            200,
            t.gettext("Google Calendar connected"),
            t.gettext(
                "Meetings you host in Meetline are now added to your Google Calendar. "
                "You can close this tab and go back to Slack."
            ),
            t,
        )

    def _microsoft_callback(
        self,
        team_id: str,
        user_id: str,
        saved: dict[str, Any],
        query: dict[str, str],
        start_response: StartResponse,
        t: Translator,
    ) -> Iterable[bytes]:
        cache = msal.SerializableTokenCache()
        result = self._msal_app(cache).acquire_token_by_auth_code_flow(
            saved, query, scopes=MS_SCOPES
        )
        if "error" in result:
            log.info(
                "Microsoft refused the code: %s", result.get("error_description") or result["error"]
            )
            return self._page(
                start_response,
                400,
                t.gettext("Not connected"),
                t.gettext(
                    "Microsoft did not accept the sign-in. Start again from Meetline's Home tab."
                ),
                t,
            )
        claims = result.get("id_token_claims") or {}
        email = claims.get("preferred_username") or claims.get("email")
        # preferred_username is the sign-in name the tenant vouches for; a bare `email` claim
        # may be unverified, so it is shown but never matched.
        signed_in = str(claims["preferred_username"]) if claims.get("preferred_username") else None
        if not self._owner_matches(team_id, user_id, signed_in):
            return self._ask_owner(
                team_id,
                user_id,
                "microsoft",
                cache.serialize(),
                str(email) if email else None,
                start_response,
                t,
            )
        self._store.save_microsoft(
            team_id, user_id, cache.serialize(), str(email) if email else None
        )
        self._connected(team_id, user_id, "microsoft", str(email) if email else None)
        return self._page(
            start_response,
            200,
            t.gettext("Microsoft 365 connected"),
            t.gettext(
                "Meetings you host in Meetline are now added to your Outlook calendar. "
                "You can close this tab and go back to Slack."
            ),
            t,
        )

    def _owner_matches(self, team_id: str, user_id: str, email: str | None) -> bool:
        if email is None or self._email_of is None:
            return False
        try:
            slack_email = self._email_of(team_id, user_id)
        except Exception:  # Slack unreachable: ask in Slack later rather than guess now
            log.warning("no Slack email for %s", user_id, exc_info=True)
            return False
        return same_address(email, slack_email)

    def _ask_owner(
        self,
        team_id: str,
        user_id: str,
        provider: str,
        secret: str,
        email: str | None,
        start_response: StartResponse,
        t: Translator,
    ) -> Iterable[bytes]:
        """Park the account and ask the Slack user the link was made for. The page says
        nothing about that user: whoever holds this browser may not be them."""
        parked = self._store.park(
            team_id, user_id, provider, secret, email, self._clock.now() + PENDING_LIFETIME
        )
        log.info(
            "calendar sign-in for %s/%s is waiting for the Slack user's confirmation",
            team_id,
            user_id,
        )
        if self._on_pending is not None:
            try:
                self._on_pending(parked)
            except Exception:
                log.warning(
                    "could not ask %s to confirm a %s connection", user_id, provider, exc_info=True
                )
        return self._page(
            start_response,
            200,
            t.gettext("Confirm in Slack"),
            t.gettext(
                "The account you signed in with is not the email address Slack has for the person this link was made "
                "for. Meetline asked them in Slack to confirm it; nothing is connected until they do. You can close "
                "this tab."
            ),
            t,
        )

    # ------------------------------------------------------------------ details

    def _open_link(self, sealed: str, provider: str) -> dict[str, Any] | None:
        assert self._settings.SECRET_KEY
        if not SecretBox.is_encrypted(sealed) or len(sealed) > 2000:
            return None
        try:
            claims = json.loads(
                SecretBox(self._settings.SECRET_KEY, SIGNIN_LINKS).decrypt(sealed) or "{}"
            )
        except (SecretBoxError, ValueError):
            return None
        if not isinstance(claims, dict):
            return None
        try:
            expiry = int(claims.get("x", 0))
        except (TypeError, ValueError):
            return None
        if (
            claims.get("p") != provider
            or expiry < self._clock.now().timestamp()
            or not claims.get("n")
            or not claims.get("t")
            or not claims.get("u")
        ):
            return None
        return claims

    def _google_flow(self, state: str | None = None, code_verifier: str | None = None) -> Any:
        return self._signin.google_flow(
            self._redirect_uri("google"), GOOGLE_SCOPES, state=state, code_verifier=code_verifier
        )

    def _msal_app(self, cache: Any) -> Any:
        return self._signin.msal_app(cache)

    def _connected(self, team_id: str, user_id: str, provider: str, email: str | None) -> None:
        if self._on_connected is None:
            return
        try:
            self._on_connected(team_id, user_id, provider, email)
        except (
            Exception
        ):  # the connection is saved; a failed DM must not turn that into an error page
            log.warning("could not tell %s that %s is connected", user_id, provider, exc_info=True)

    @staticmethod
    def _page(
        start_response: StartResponse, status: int, title: str, text: str, t: Translator
    ) -> list[bytes]:
        reason = {
            200: "OK",
            400: "Bad Request",
            404: "Not Found",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }.get(status, "")
        body = (
            f'<!doctype html><html lang="{html.escape(t.language)}"><head><meta charset="utf-8">'
            "<title>Meetline</title></head>"
            f'<body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>{html.escape(title)}</h1>'
            f"<p>{html.escape(text)}</p></body></html>"
        ).encode()
        start_response(
            f"{status} {reason}",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Cache-Control", "no-store"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]
