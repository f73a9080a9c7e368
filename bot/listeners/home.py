"""App Home, mentions and the Home tab's schedule button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Say
from slack_sdk import WebClient

from bot.i18n_context import cached_translator
from bot.listeners.meet import help_text, open_meet_modal, team_of, user_of
from bot.profiles import ProfileService
from bot.services import Services


def register(app: App, services: Services, profiles: ProfileService) -> None:
    @app.event("app_mention")
    def mentioned(event: dict[str, Any], body: dict[str, Any], say: Say) -> None:
        # In a channel, in the language of whoever mentioned Meetline.
        if not isinstance(event.get("channel"), str):
            return  # not a real mention: nowhere to answer
        t = cached_translator(services, str(body.get("team_id") or ""), str(event.get("user") or ""))
        say(text=help_text(t), thread_ts=event.get("thread_ts") or event.get("ts"))

    @app.action("home_schedule")
    def home_schedule(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        open_meet_modal(
            client,
            services,
            profiles,
            trigger_id=body["trigger_id"],
            team_id=team_of(body),
            user_id=user_of(body),
        )
