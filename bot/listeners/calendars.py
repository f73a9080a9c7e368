"""Connecting a calendar from Slack: the App Home buttons, the CalDAV modal, email-only,
disconnect, and the reconnect button of the "your calendar stopped working" DM.

Google and Microsoft 365 sign in through URL buttons (bot.calendar_oauth); Slack still
posts a block action for those clicks, which only needs an ack.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.calendar_oauth import start_link
from bot.errors import modal_errors
from bot.i18n_context import translator_for, user_translator
from bot.listeners.manage import publish_home
from bot.listeners.meet import team_of, user_of
from bot.profiles import ProfileService
from bot.services import Services
from bot.views.calendar_views import (
    CALDAV_CALLBACK,
    PENDING_CANCEL,
    PENDING_CONNECT,
    caldav_modal,
    connect_link_modal,
    connect_modal,
    connected_text,
    pending_answer_text,
    read_caldav_modal,
)
from bot.views.fields import CALENDAR_CONNECT_ACTION
from handlers.connect_calendar import PendingOutcome
from handlers.errors import DomainError, Field
from handlers.i18n import Translator

log = logging.getLogger(__name__)


def _post(client: WebClient, channel: str, text: str, what: str) -> None:
    try:
        client.chat_postMessage(channel=channel, text=text)
    except SlackApiError as exc:
        log.warning("%s failed: %s", what, exc.response.get("error"))


def _refresh_home(client: WebClient, services: Services, team_id: str, user_id: str) -> None:
    try:
        publish_home(client, services, team_id, user_id)
    except SlackApiError as exc:
        log.warning("App Home refresh failed: %s", exc.response.get("error"))


def open_or_push(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """A modal over a modal when the click came from one (views.open refuses then), else
    a new one (from a message, or from App Home, whose view is no modal)."""
    view_from = body.get("view")
    if isinstance(view_from, dict) and view_from.get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def register(app: App, services: Services, profiles: ProfileService) -> None:
    @app.action("calendar_connect_google")
    @app.action("calendar_connect_microsoft")
    @app.action("calendar_connect_link")
    def sign_in_link_clicked(ack: Ack) -> None:
        ack()  # a URL button: the browser does the rest

    def reader(client: WebClient, body: dict[str, Any]) -> Translator:
        return user_translator(client, services, profiles, team_of(body), user_of(body))

    @app.action("calendar_connect_caldav")
    def caldav_open(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        open_or_push(client, body, caldav_modal(t=reader(client, body)))

    @app.action(CALENDAR_CONNECT_ACTION)
    def connect_prompt(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The /meet form's and the confirmation's Connect: the App Home's choices."""
        ack()
        t = reader(client, body)
        # What the user can do; set-up hints stay on the admins' App Home.
        section = services.home_sections(team_of(body), user_of(body), t, False)
        open_or_push(client, body, connect_modal(section, t=t))

    @app.action("calendar_reconnect")
    def reconnect(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        provider = str((body.get("actions") or [{}])[0].get("value") or "")
        t = reader(client, body)
        if provider == "caldav":
            client.views_open(trigger_id=body["trigger_id"], view=caldav_modal(t=t))
            return
        url = start_link(
            services.settings, provider, team_of(body), user_of(body), services.clock.now()
        )
        client.views_open(
            trigger_id=body["trigger_id"], view=connect_link_modal(provider, url, t=t)
        )

    @app.action(PENDING_CONNECT)
    @app.action(PENDING_CANCEL)
    def pending_answered(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """ "Connect anna@example.com?": anyone else's click changes nothing."""
        ack()
        action = (body.get("actions") or [{}])[0]
        team_id, user_id = team_of(body), user_of(body)
        answer = services.answer_pending(
            team_id,
            user_id,
            str(action.get("value") or "")[:64],
            connect=action.get("action_id") == PENDING_CONNECT,
        )
        found, t = answer.connection, reader(client, body)
        text = pending_answer_text(
            answer.outcome, found.provider if found else "", found.email if found else None, t=t
        )
        if answer.outcome is PendingOutcome.REFUSED:  # tell the clicker only, touch nothing
            log.info("calendar confirmation refused for %s", user_id)
            _post(client, user_id, text, "refusal DM")
            return
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        if channel and ts:
            try:
                client.chat_update(channel=channel, ts=ts, text=text, blocks=[])
            except SlackApiError as exc:
                log.warning("confirmation update failed: %s", exc.response.get("error"))
        if found is not None:
            _refresh_home(client, services, team_id, user_id)

    @app.action("calendar_email_only")
    def email_only(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        services.connections.choose_email_only(team_of(body), user_of(body))
        _refresh_home(client, services, team_of(body), user_of(body))

    @app.action("calendar_disconnect")
    def disconnect(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        services.connections.disconnect(team_of(body), user_of(body))
        _refresh_home(client, services, team_of(body), user_of(body))

    @app.view(CALDAV_CALLBACK)
    def caldav_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        team_id, user_id = team_of(body), user_of(body)
        profile = profiles.get(client, team_id, user_id)
        t = translator_for(profile, services.workspaces.get(team_id))
        try:
            email = services.connect_caldav(profile, read_caldav_modal(view), t)
        except DomainError as error:
            ack(
                response_action="errors",
                errors=modal_errors(error, view, t, fallback=Field.CALDAV_URL),
            )
            return
        ack()
        _post(client, user_id, connected_text("caldav", email, t=t), "connected DM")
        _refresh_home(client, services, team_id, user_id)
