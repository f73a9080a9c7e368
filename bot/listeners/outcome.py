"""Outcome buttons in the host's DM."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import tell_error
from bot.i18n_context import translator_for
from bot.listeners.manage import publish_home
from bot.listeners.meet import team_of, user_of
from bot.profiles import ProfileService
from bot.services import Services
from bot.views.messages import (
    digest_message,
    outcome_blocks,
    outcome_change_blocks,
    outcome_prompt_text,
)
from handlers.domain import UserProfile
from handlers.errors import DomainError, NotFound
from handlers.i18n import Translator
from handlers.meetings import Meeting

log = logging.getLogger(__name__)


def _value(body: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads((body.get("actions") or [{}])[0].get("value") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _update_quietly(client: WebClient, container: dict[str, Any], **message: Any) -> None:
    try:
        client.chat_update(
            channel=str(container.get("channel_id")), ts=str(container.get("message_ts")), **message
        )
    except SlackApiError as exc:
        log.warning("updating the outcome message failed: %s", exc.response.get("error"))


def _redraw(
    client: WebClient,
    services: Services,
    body: dict[str, Any],
    actor: UserProfile,
    meeting: Meeting,
    outcomes: tuple[str, ...],
    t: Translator,
) -> None:
    """Show the recorded outcome where it was clicked: App Home, a digest line or the prompt."""
    container = body.get("container") or {}
    block_id = str((body.get("actions") or [{}])[0].get("block_id") or "")
    if container.get("type") == "view":  # clicked in App Home
        publish_home(client, services, team_of(body), user_of(body))
    elif block_id.startswith("digest_outcome_"):  # one line of the daily digest
        waiting = services.meetings.awaiting_outcome(
            actor.team_id, actor.slack_user_id, services.clock.now(), 20
        )
        client.chat_update(
            channel=str(container.get("channel_id")),
            ts=str(container.get("message_ts")),
            **digest_message(waiting, outcomes, t),
        )
    else:
        _update_quietly(
            client,
            container,
            text=outcome_prompt_text(meeting, t=t),
            blocks=outcome_blocks(meeting, outcomes, t=t),
        )


def register(app: App, services: Services, profiles: ProfileService) -> None:
    @app.action(re.compile(r"^outcome_(?!change)[a-z0-9_]+(:\d+)?$"))
    def outcome_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        value = _value(body)
        if not isinstance(value.get("m"), int) or not isinstance(value.get("o"), str):
            return
        actor = profiles.get(client, team_of(body), user_of(body))
        ws = services.workspaces.get(actor.team_id)
        t = translator_for(actor, ws)  # the message is re-drawn for whoever clicked
        try:
            result = services.record_outcome(value["m"], value["o"], actor)
        except DomainError as error:
            tell_error(client, body, user_of(body), error, t, dm_when_no_channel=False)
            return
        _redraw(client, services, body, actor, result.meeting, ws.outcomes, t)

    @app.action(re.compile(r"^outcome_change(:\d+)?$"))
    def outcome_change(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        value = _value(body)
        if not isinstance(value.get("m"), int):
            return
        actor = profiles.get(client, team_of(body), user_of(body))
        ws = services.workspaces.get(actor.team_id)
        t = translator_for(actor, ws)
        try:
            meeting = services.record_outcome.to_change(value["m"], actor)
        except NotFound:  # the caller's workspace only: another's meeting id is like a missing one
            return
        except DomainError as error:
            tell_error(client, body, user_of(body), error, t, dm_when_no_channel=False)
            return
        container = body.get("container") or {}
        client.chat_update(
            channel=str(container.get("channel_id")),
            ts=str(container.get("message_ts")),
            text=outcome_prompt_text(meeting, t=t),
            blocks=outcome_change_blocks(meeting, ws.outcomes, t=t),
        )
