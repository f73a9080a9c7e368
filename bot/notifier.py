"""Slack DMs sent from background jobs (no incoming request, so no Bolt context)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.views.calendar_views import reconnect_blocks, reconnect_text
from bot.views.messages import (
    digest_blocks,
    mention_blocks,
    mention_text,
    outcome_blocks,
    outcome_prompt_text,
)
from handlers.domain import Record
from handlers.meetings import Meeting
from handlers.worker import RetryLater

log = logging.getLogger(__name__)

ClientForTeam = Callable[[str], WebClient | None]
RETRYABLE = {"ratelimited", "service_unavailable", "request_timeout", "internal_error", "fatal_error"}


class SlackNotifier:
    def __init__(self, client_for: ClientForTeam) -> None:
        self._client_for = client_for

    def _post(self, team_id: str, user_id: str, text: str, blocks: list[dict[str, object]] | None = None) -> None:
        client = self._client_for(team_id)
        if client is None:
            log.warning("no Slack installation for team %s; message to %s dropped", team_id, user_id)
            return
        try:
            client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error in RETRYABLE or exc.response.status_code >= 500:
                raise RetryLater(f"Slack answered {error}") from exc
            log.warning("DM to %s failed: %s", user_id, error)

    def notify_user(self, team_id: str, user_id: str, text: str) -> None:
        self._post(team_id, user_id, text)

    def mention(self, meeting: Meeting, user_id: str, record: Record | None) -> None:
        self._post(meeting.team_id, user_id, mention_text(meeting, record), mention_blocks(meeting, record))

    def outcome_prompt(self, meeting: Meeting, nudge: bool = False) -> None:
        text = outcome_prompt_text(meeting)
        blocks = outcome_blocks(meeting)
        if nudge:
            text = "Reminder: " + text
            blocks = [{"type": "context", "block_id": "nudge",
                       "elements": [{"type": "mrkdwn", "text": ":wave: A gentle reminder: no outcome yet."}]}, *blocks]
        self._post(meeting.team_id, meeting.host_id, text, blocks)

    def outcome_digest(self, team_id: str, user_id: str, meetings: Sequence[Meeting]) -> None:
        self._post(team_id, user_id, f"{len(meetings)} meeting(s) still need an outcome.", digest_blocks(meetings))

    def calendar_disconnected(self, team_id: str, user_id: str, provider: str) -> None:
        """The host's calendar refused Meetline: say so, with a button to reconnect."""
        self._post(team_id, user_id, reconnect_text(provider), reconnect_blocks(provider))
