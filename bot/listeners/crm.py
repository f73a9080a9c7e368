"""The workspace's CRM from App Home: an admin connects HubSpot with a token."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.errors import modal_errors, tell_error
from bot.i18n_context import translator_for
from bot.listeners.manage import publish_home
from bot.listeners.meet import team_of, user_of
from bot.profiles import ProfileService
from bot.services import Services
from bot.views.crm_views import (
    HUBSPOT_CALLBACK,
    HUBSPOT_OPEN,
    HUBSPOT_SYNC,
    OPEN_IN_CRM,
    hubspot_connected_view,
    hubspot_token_view,
    read_token,
    sync_queued_text,
)
from handlers.errors import DomainError, Field
from handlers.policy import can_change_settings


def register(app: App, services: Services, profiles: ProfileService) -> None:
    @app.action(HUBSPOT_OPEN)
    def open_hubspot(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        profile = profiles.get(client, team_of(body), user_of(body))
        t = translator_for(profile, services.workspaces.get(team_of(body)))
        if not can_change_settings(profile, team_of(body)):
            client.chat_postMessage(
                channel=user_of(body),
                text=t.gettext("Only Meetline admins can change its settings."),
            )
            return
        client.views_open(trigger_id=body["trigger_id"], view=hubspot_token_view(t=t))

    @app.view(HUBSPOT_CALLBACK)
    def connect_hubspot(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        profile = profiles.get(client, team_of(body), user_of(body))
        t = translator_for(profile, services.workspaces.get(team_of(body)))
        try:
            services.connect_crm(profile, read_token(view), t)
        except DomainError as error:
            errors = modal_errors(error, view, t, fallback=Field.CRM_TOKEN)
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=hubspot_connected_view(t=t))
        publish_home(client, services, team_of(body), user_of(body))

    @app.action(HUBSPOT_SYNC)
    def sync_hubspot(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        profile = profiles.get(client, team_of(body), user_of(body))
        t = translator_for(profile, services.workspaces.get(team_of(body)))
        try:
            services.crm_sync.sync_now(profile, t)
        except DomainError as error:
            tell_error(client, body, user_of(body), error, t)
            return
        client.chat_postMessage(channel=user_of(body), text=sync_queued_text(t=t))

    @app.action(OPEN_IN_CRM)
    def open_in_crm(ack: Ack) -> None:
        ack()  # a link button: Slack opens the page, Meetline has nothing to do
