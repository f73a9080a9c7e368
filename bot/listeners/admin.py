"""Admin settings from App Home: workspace settings and seats/roles."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.errors import modal_errors
from bot.i18n_context import translator_for
from bot.listeners.manage import publish_home
from bot.listeners.meet import team_of, user_of
from bot.profiles import ProfileService
from bot.services import Services
from bot.views.admin_views import (
    ADMIN_CALLBACK,
    SEAT_CALLBACK,
    admin_settings_view,
    read_seat_form,
    seat_view,
)
from bot.views.settings_form import read_settings_form
from handlers.domain import UserProfile
from handlers.errors import DomainError, Field
from handlers.i18n import Translator
from handlers.policy import can_change_settings


def register(app: App, services: Services, profiles: ProfileService) -> None:
    def actor(client: WebClient, body: dict[str, Any]) -> tuple[UserProfile, Translator]:
        """Who acts, and the language they read."""
        profile = profiles.get(client, team_of(body), user_of(body))
        return profile, translator_for(profile, services.workspaces.get(team_of(body)))

    @app.action("admin_open")
    def open_settings(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        profile, t = actor(client, body)
        if not can_change_settings(profile, team_of(body)):
            client.chat_postMessage(
                channel=user_of(body),
                text=t.gettext("Only Meetline admins can change its settings."),
            )
            return
        client.views_open(
            trigger_id=body["trigger_id"],
            view=admin_settings_view(services.workspaces.get(team_of(body)), t=t),
        )

    @app.action("admin_open_seats")
    def open_seats(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        profile, t = actor(client, body)
        if can_change_settings(profile, team_of(body)):
            client.views_push(trigger_id=body["trigger_id"], view=seat_view(t=t))

    @app.view(ADMIN_CALLBACK)
    def save_settings(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        profile, t = actor(client, body)
        try:
            services.change_settings(profile, read_settings_form(view), t)
        except DomainError as error:
            ack(
                response_action="errors",
                errors=modal_errors(error, view, t, fallback=Field.DURATIONS),
            )
            return
        ack()
        publish_home(client, services, team_of(body), user_of(body))

    @app.view(SEAT_CALLBACK)
    def save_seat(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        profile, t = actor(client, body)
        try:
            services.change_seat(profile, read_seat_form(view), t)
        except DomainError as error:
            ack(response_action="errors", errors=modal_errors(error, view, t, fallback=Field.USER))
            return
        ack()
