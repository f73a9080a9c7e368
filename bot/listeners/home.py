"""App Home, mentions and the Home tab's schedule button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.i18n_context import cached_translator
from bot.listeners.meet import help_text, open_form_or_apologise
from bot.profiles import ProfileService
from bot.services import Services


def register(app: App, services: Services, profiles: ProfileService) -> None:
    @app.event("app_mention")
    def mentioned(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        # In a channel, in the language of whoever mentioned Meetline.
        channel = event.get("channel")
        if not isinstance(channel, str) or not channel:
            return  # not a real mention: nowhere to answer
        t = cached_translator(
            services, str(body.get("team_id") or ""), str(event.get("user") or "")
        )
        thread = event.get("thread_ts") or event.get("ts")
        client.chat_postMessage(
            channel=channel,
            text=help_text(t),
            thread_ts=thread if isinstance(thread, str) else None,
        )

    @app.action("home_schedule")
    def home_schedule(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        services.after_ack.open(open_form_or_apologise, client, services, profiles, body, "")
