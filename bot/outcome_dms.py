"""The host's outcome DMs of a meeting, redrawn when its outcome is set outside them
(the Edit form): they show the recorded outcome with "Change", as after a click on
their own buttons, instead of offering buttons for an outcome already recorded."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n_context import cached_translator
from bot.services import Services
from bot.views.messages import outcome_blocks, outcome_prompt_text
from handlers.meetings import Meeting

log = logging.getLogger(__name__)


def show_outcome_in_dms(client: WebClient, services: Services, meeting: Meeting) -> None:
    """Each outcome DM sent for `meeting`, in its reader's (the host's) language."""
    sent = services.outcome_messages.of_meeting(meeting.team_id, meeting.id)
    if not sent:
        return
    t = cached_translator(services, meeting.team_id, meeting.host_id)
    outcomes = services.workspaces.get(meeting.team_id).outcomes
    for channel, ts in sent:
        try:
            client.chat_update(
                channel=channel,
                ts=ts,
                text=outcome_prompt_text(meeting, t=t),
                blocks=outcome_blocks(meeting, outcomes, t=t),
            )
        except SlackApiError as exc:  # deleted by the host, or Slack busy: the click still works
            log.info("updating an outcome DM failed: %s", exc.response.get("error"))
