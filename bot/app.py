"""Builds the Bolt app: single-workspace (bot token) or multi-workspace (OAuth install)."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.middleware import Middleware
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.i18n_context import browser_translator
from bot.listeners import admin, calendars, crm, home, manage, meet, outcome
from bot.services import Services
from bot.slack_clients import keep_alive_like, make_client
from handlers.i18n import Translator
from storage.crypto import SecretBox
from storage.events import remember_event
from storage.slack_stores import EncryptedInstallationStore

log = logging.getLogger(__name__)

BOT_SCOPES = [
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "users:read.email",
    "app_mentions:read",
    "files:write",  # /meet report uploads its chart and CSV to the user's DM
    "chat:write.public",  # the message shortcut answers in threads of channels Meetline is not in
]


def _first_installer_admin(services: Services, installation: Any) -> None:
    """The first person to install Meetline into a workspace administers it there.

    Only the first: anyone may start /slack/install again (Slack lets members
    re-authorize an app they can install), and a re-install must not be a way to become
    admin. Later admins come from Slack's own owner/admin flags or from an admin."""
    team_id, user_id = (
        getattr(installation, "team_id", None),
        getattr(installation, "user_id", None),
    )
    if not team_id or not user_id:
        return
    if services.users.claim_first_admin(team_id, user_id):
        log.info("first installer %s administers Meetline in %s", user_id, team_id)


def _page_translator(args: SuccessArgs | FailureArgs) -> Translator:
    """The installer's browser language (the Slack user is not known to us yet)."""
    headers = getattr(args.request, "headers", None) or {}
    values = headers.get("accept-language") or []
    return browser_translator(
        values[0] if isinstance(values, list) and values else str(values or "")
    )


def _page(t: Translator, title: str, text: str) -> str:
    return (
        f'<html lang="{html.escape(t.language)}"><head><meta charset="utf-8"></head><body>'
        f"<h1>{html.escape(title)}</h1><p>{text}</p></body></html>"
    )


def _install_success(args: SuccessArgs, services: Services) -> BoltResponse:
    _first_installer_admin(services, args.installation)
    t = _page_translator(args)
    return BoltResponse(
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=_page(
            t,
            t.gettext("Meetline is installed."),
            t.gettext("Go back to Slack and type {command}.", command="<code>/meet</code>"),
        ),
    )


def _install_failure(args: FailureArgs) -> BoltResponse:
    t = _page_translator(args)
    return BoltResponse(
        status=args.suggested_status_code,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=_page(
            t,
            t.gettext("Meetline could not be installed."),
            t.gettext(
                "{reason}. Please start the installation again.",
                reason=html.escape(str(args.reason)),
            ),
        ),
    )


class PerRequest(Middleware):
    """What every request needs before its listener: a re-delivered event dropped (Slack
    sends again an event it thinks we missed; each event_id runs once) and the pooled
    Slack client in place of the plain one Bolt builds per request.

    One class, not two function middlewares: Bolt builds a function middleware's
    arguments (some twenty helpers: say, respond, the payload views...) on every call:
    0.08 of the 0.49 ms Bolt itself took per Save (bench.request_cpu, A/B three times)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],  # noqa: A002 - Bolt's keyword
    ) -> BoltResponse | None:
        body = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not remember_event(self._services.sessions, f"event:{event_id}"):
            return BoltResponse(status=200, body="")
        req.context["client"] = keep_alive_like(req.context.client)
        return next()


def build_app(services: Services) -> App:
    settings = services.settings
    client = make_client(settings.SLACK_API_URL, settings.SLACK_BOT_TOKEN)
    kwargs: dict[str, Any] = {
        "signing_secret": settings.SLACK_SIGNING_SECRET or "",
        "client": client,
        # The listener runs in the HTTP thread and its return is the answer: an ack never
        # waits for a free listener thread (nor polls for one). Listeners hand what follows
        # the ack to bounded pools (bot.after_ack), the trigger-bound views.open first.
        "process_before_response": True,
        "listener_executor": ThreadPoolExecutor(max_workers=4, thread_name_prefix="bolt-lazy"),
        "ignoring_self_events_enabled": True,
        # bot.web checks every request's signature before Bolt sees it, then hands Bolt
        # the body it parsed (a dict), no longer the bytes Slack signed.
        "request_verification_enabled": False,
    }
    if settings.slack_mode == "oauth":
        assert settings.SLACK_CLIENT_ID and settings.SLACK_CLIENT_SECRET and settings.SECRET_KEY
        installs = EncryptedInstallationStore(
            client_id=settings.SLACK_CLIENT_ID,
            engine=services.engine,
            box=SecretBox(settings.SECRET_KEY),
        )
        states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=services.engine)
        redirect = (
            f"{settings.PUBLIC_URL.rstrip('/')}/slack/oauth_redirect"
            if settings.PUBLIC_URL
            else None
        )
        kwargs.update(
            installation_store=installs,
            authorize=InstallationStoreAuthorize(
                installation_store=installs,
                client_id=settings.SLACK_CLIENT_ID,
                client_secret=settings.SLACK_CLIENT_SECRET,
                logger=log,
                cache_enabled=True,
            ),
            oauth_settings=OAuthSettings(
                client_id=settings.SLACK_CLIENT_ID,
                client_secret=settings.SLACK_CLIENT_SECRET,
                scopes=BOT_SCOPES,
                redirect_uri=redirect,
                installation_store=installs,
                state_store=states,
                callback_options=CallbackOptions(
                    success=lambda args: _install_success(args, services),
                    failure=_install_failure,
                ),
            ),
        )
    else:
        kwargs.update(token=settings.SLACK_BOT_TOKEN, token_verification_enabled=False)
    app = App(**kwargs)
    if settings.slack_mode == "oauth":
        app.enable_token_revocation_listeners()

    app.use(PerRequest(services))

    profiles = services.profiles
    meet.register(app, services, profiles)
    home.register(app, services, profiles)
    outcome.register(app, services, profiles)
    manage.register(app, services, profiles)
    admin.register(app, services, profiles)
    calendars.register(app, services, profiles)
    crm.register(app, services, profiles)
    return app
