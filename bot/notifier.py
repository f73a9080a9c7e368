"""Slack DMs sent from background jobs (no incoming request, so no Bolt context).

Each DM is in its recipient's language: `language_of(team_id, user_id)` (wired in
bot.wiring from the stored profile's Slack locale and the workspace default)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.views.calendar_views import reconnect_blocks, reconnect_text
from bot.views.messages import (
    digest_blocks,
    digest_text,
    mention_blocks,
    mention_text,
    outcome_blocks,
    outcome_nudge_block,
    outcome_nudge_text,
    outcome_prompt_text,
)
from bot.views.text import escape_mrkdwn
from handlers.domain import Record
from handlers.i18n import DEFAULT_LANGUAGE, Translator, translator
from handlers.meetings import DEFAULT_OUTCOMES, Meeting
from handlers.worker import RetryLater

log = logging.getLogger(__name__)

ClientForTeam = Callable[[str], WebClient | None]
LanguageOf = Callable[[str, str], str]  # (team_id, user_id) -> a supported language
OutcomesOf = Callable[[str], tuple[str, ...]]  # team_id -> the outcomes it offers


class OutcomeMessages(Protocol):
    """Where each meeting's outcome DMs are (storage.outcome_messages)."""

    def remember(self, team_id: str, meeting_id: int, channel: str, ts: str) -> None: ...

    def of_meeting(self, team_id: str, meeting_id: int) -> list[tuple[str, str]]: ...


RETRYABLE = {
    "ratelimited",
    "service_unavailable",
    "request_timeout",
    "internal_error",
    "fatal_error",
}


class SlackNotifier:
    def __init__(
        self,
        client_for: ClientForTeam,
        language_of: LanguageOf | None = None,
        outcomes_of: OutcomesOf | None = None,
        outcome_messages: OutcomeMessages | None = None,
    ) -> None:
        self._client_for = client_for
        self._language_of = language_of
        self._outcomes_of = outcomes_of
        self._outcome_messages = outcome_messages

    def _outcomes(self, team_id: str) -> tuple[str, ...]:
        """The built-in outcomes and the ones the workspace's admins added."""
        return self._outcomes_of(team_id) if self._outcomes_of is not None else DEFAULT_OUTCOMES

    def _t(self, team_id: str, user_id: str) -> Translator:
        """The recipient's language; English when it cannot be told."""
        if self._language_of is None:
            return translator(DEFAULT_LANGUAGE)
        try:
            return translator(self._language_of(team_id, user_id))
        except Exception:  # a DM in English beats no DM
            log.warning("no language for %s; writing in English", user_id, exc_info=True)
            return translator(DEFAULT_LANGUAGE)

    def _post(
        self, team_id: str, user_id: str, text: str, blocks: list[dict[str, object]] | None = None
    ) -> dict[str, Any] | None:
        """Slack's answer (its `channel` and `ts` find the message again); None when
        nothing was posted."""
        client = self._client_for(team_id)
        if client is None:
            log.warning(
                "no Slack installation for team %s; message to %s dropped", team_id, user_id
            )
            return None
        try:
            answer = client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error in RETRYABLE or exc.response.status_code >= 500:
                raise RetryLater(f"Slack answered {error}") from exc
            log.warning("DM to %s failed: %s", user_id, error)
            return None
        return answer.data if isinstance(answer.data, dict) else None

    def notify_user(self, team_id: str, user_id: str, text: str) -> None:
        """A plain sentence (callers fill in titles, addresses, errors): sent escaped, so
        nothing in it becomes a mention or a link in Slack's mrkdwn."""
        self._post(team_id, user_id, escape_mrkdwn(text))

    def mention(self, meeting: Meeting, user_id: str, record: Record | None) -> None:
        t = self._t(meeting.team_id, user_id)
        self._post(
            meeting.team_id,
            user_id,
            mention_text(meeting, record, t=t),
            mention_blocks(meeting, record, t=t),
        )

    def outcome_prompt(self, meeting: Meeting, nudge: bool = False) -> None:
        t = self._t(meeting.team_id, meeting.host_id)
        text = outcome_prompt_text(meeting, t=t)
        blocks = outcome_blocks(meeting, self._outcomes(meeting.team_id), t=t)
        if nudge:
            text = outcome_nudge_text(meeting, t=t)
            blocks = [outcome_nudge_block(t=t), *blocks]
        answer = self._post(meeting.team_id, meeting.host_id, text, blocks)
        if answer is not None and self._outcome_messages is not None:
            self._remember(meeting, answer)

    def _remember(self, meeting: Meeting, answer: dict[str, Any]) -> None:
        """Kept so the Edit form's outcome can update the DM; a failure here must not
        make the job retry (the host would get the DM twice), so it only logs."""
        channel, ts = answer.get("channel"), answer.get("ts")
        if not (isinstance(channel, str) and isinstance(ts, str)) or self._outcome_messages is None:
            return
        try:
            self._outcome_messages.remember(meeting.team_id, meeting.id, channel, ts)
        except Exception:
            log.warning("could not keep the outcome DM of meeting %s", meeting.id, exc_info=True)

    def outcome_digest(self, team_id: str, user_id: str, meetings: Sequence[Meeting]) -> None:
        t = self._t(team_id, user_id)
        blocks = digest_blocks(meetings, self._outcomes(team_id), t=t)
        self._post(team_id, user_id, digest_text(len(meetings), t=t), blocks)

    def calendar_disconnected(self, team_id: str, user_id: str, provider: str) -> None:
        """The host's calendar refused Meetline: say so, with a button to reconnect."""
        t = self._t(team_id, user_id)
        self._post(team_id, user_id, reconnect_text(provider, t=t), reconnect_blocks(provider, t=t))

    def language_of(self, team_id: str, user_id: str) -> str:
        """The recipient's language, for texts built by the caller (notify_user)."""
        return self._t(team_id, user_id).language
