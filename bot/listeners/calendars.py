"""Connecting a calendar from Slack: the App Home buttons, the CalDAV modal, email-only,
disconnect, and the reconnect button of the "your calendar stopped working" DM.

Google and Microsoft 365 sign in through URL buttons (bot.calendar_oauth); Slack still
posts a block action for those clicks, which only needs an ack.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.calendar_oauth import start_link
from bot.i18n_context import translator_for, user_translator
from bot.listeners.manage import publish_home
from bot.listeners.meet import team_of, user_of
from bot.profiles import ProfileService
from bot.services import Services
from bot.views.calendar_views import (
    CALDAV_CALLBACK,
    F_CALDAV_CALENDAR,
    F_CALDAV_PASSWORD,
    F_CALDAV_URL,
    F_CALDAV_USER,
    PENDING_CANCEL,
    PENDING_CONNECT,
    caldav_modal,
    connect_link_modal,
    connected_text,
    pending_answer_text,
    read_caldav_modal,
)
from handlers.calendars import CalendarAuthError, CalendarError
from handlers.i18n import Translator
from handlers.ports import CalendarConnections

log = logging.getLogger(__name__)


def _origin_for_log(url: str) -> str:
    """Scheme, host and port only: paths often carry the user's email address."""
    parts = urlsplit(url)
    try:
        return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"
    except ValueError:
        return "(malformed URL)"


def calendar_store(services: Services) -> CalendarConnections | None:
    return services.connections


def _refresh_home(client: WebClient, services: Services, team_id: str, user_id: str) -> None:
    try:
        publish_home(client, services, team_id, user_id)
    except SlackApiError as exc:
        log.warning("App Home refresh failed: %s", exc.response.get("error"))


def caldav_errors(fields: dict[str, str], t: Translator) -> dict[str, str]:
    """What can be told without asking the server."""
    errors: dict[str, str] = {}
    parts = urlsplit(fields["url"])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors[F_CALDAV_URL] = t.gettext("Enter the server's address, starting with https://")
    if not fields["username"]:
        errors[F_CALDAV_USER] = t.gettext("Enter your username.")
    if not fields["password"]:
        errors[F_CALDAV_PASSWORD] = t.gettext("Enter an app password.")
    return errors


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
        client.views_open(trigger_id=body["trigger_id"], view=caldav_modal(t=reader(client, body)))

    @app.action("calendar_reconnect")
    def reconnect(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        provider = str((body.get("actions") or [{}])[0].get("value") or "")
        t = reader(client, body)
        if provider == "caldav":
            client.views_open(trigger_id=body["trigger_id"], view=caldav_modal(t=t))
            return
        url = start_link(services.settings, provider, team_of(body), user_of(body), services.clock.now())
        client.views_open(trigger_id=body["trigger_id"], view=connect_link_modal(provider, url, t=t))

    @app.action(PENDING_CONNECT)
    @app.action(PENDING_CANCEL)
    def pending_answered(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """"Connect anna@example.com?": only the Slack user the sign-in link was made for,
        in that workspace, can answer; anyone else's click changes nothing."""
        ack()
        store = calendar_store(services)
        action = (body.get("actions") or [{}])[0]
        pending_id = str(action.get("value") or "")[:64]
        team_id, user_id = team_of(body), user_of(body)
        t = reader(client, body)
        if store is None:
            return
        if action.get("action_id") == PENDING_CONNECT:
            found = store.confirm_pending(pending_id, team_id, user_id, services.clock.now())
            outcome = "connected" if found is not None else "refused"
        else:
            found = None
            outcome = "cancelled" if store.cancel_pending(pending_id, team_id, user_id) else "refused"
        if outcome == "refused":
            # Not theirs, expired or already answered: tell the clicker only, touch nothing.
            log.info("calendar confirmation refused for %s", user_id)
            try:
                client.chat_postMessage(channel=user_id, text=pending_answer_text("refused", "", None, t=t))
            except SlackApiError as exc:
                log.warning("refusal DM failed: %s", exc.response.get("error"))
            return
        text = pending_answer_text(outcome, found.provider if found else "", found.email if found else None, t=t)
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
        store = calendar_store(services)
        if store is not None:
            store.choose_email_only(team_of(body), user_of(body))
        _refresh_home(client, services, team_of(body), user_of(body))

    @app.action("calendar_disconnect")
    def disconnect(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        store = calendar_store(services)
        if store is not None:
            store.disconnect(team_of(body), user_of(body))
        _refresh_home(client, services, team_of(body), user_of(body))

    @app.view(CALDAV_CALLBACK)
    def caldav_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = team_of(body), user_of(body)
        profile = profiles.get(client, team_id, user_id)
        t = translator_for(profile, services.workspaces.get(team_id))
        fields = read_caldav_modal(view)
        errors = caldav_errors(fields, t)
        store = calendar_store(services)
        if store is None or not store.can_store_secrets:
            errors[F_CALDAV_URL] = t.gettext("This Meetline server cannot store passwords yet: an admin must set "
                                             "SECRET_KEY.")
        if errors or store is None:
            ack(response_action="errors", errors=errors)
            return
        email = fields["username"] if "@" in fields["username"] else profile.email
        probe = services.caldav_probe(fields["url"], fields["username"], fields["password"],
                                   fields["calendar"] or None, email=email)
        try:
            probe.check_connection()
        except CalendarAuthError:
            ack(response_action="errors", errors={
                F_CALDAV_PASSWORD: t.gettext("The server refused this username and password. Check them, or create "
                                             "a new app password.")})
            return
        except CalendarError as exc:
            if fields["calendar"] and "no calendar named" in str(exc):
                ack(response_action="errors", errors={F_CALDAV_CALENDAR: t.gettext(
                    "There is no calendar called “{name}” in this account.", name=fields["calendar"])})
                return
            # One sentence for every other failure (refused address, closed port, timeout,
            # not a CalDAV answer): the form must not tell an internal network's story.
            log.warning("CalDAV connect check failed for %s/%s at %s: %s", team_id, user_id,
                        _origin_for_log(fields["url"]), exc)
            ack(response_action="errors",
                errors={F_CALDAV_URL: t.gettext("Could not reach a CalDAV server at that address.")})
            return
        finally:
            probe.close()
        store.save_caldav(team_id, user_id, url=fields["url"], username=fields["username"],
                          password=fields["password"], calendar=fields["calendar"] or None, email=email)
        ack()
        try:
            client.chat_postMessage(channel=user_id, text=connected_text("caldav", email, t=t))
        except SlackApiError as exc:
            log.warning("connected DM failed: %s", exc.response.get("error"))
        _refresh_home(client, services, team_id, user_id)
