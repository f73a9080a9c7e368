"""Where a meeting's outcome DMs are (bot.notifier writes, the Edit form's Save reads):
Slack gives no way to find a bot's DM again but its channel and ts."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Sessions, write_session
from storage.models import OutcomeMessageModel


class SqlOutcomeMessages:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    def remember(self, team_id: str, meeting_id: int, channel: str, ts: str) -> None:
        with write_session(self._sessions) as session:
            session.add(
                OutcomeMessageModel(meeting_id=meeting_id, team_id=team_id, channel=channel, ts=ts)
            )

    def of_meeting(self, team_id: str, meeting_id: int) -> list[tuple[str, str]]:
        """The meeting's outcome DMs, oldest first; another workspace's meeting has none."""
        with self._sessions() as session:
            rows = session.execute(
                select(OutcomeMessageModel.channel, OutcomeMessageModel.ts)
                .where(
                    OutcomeMessageModel.team_id == team_id,
                    OutcomeMessageModel.meeting_id == meeting_id,
                )
                .order_by(OutcomeMessageModel.id)
            ).all()
        return [(str(channel), str(ts)) for channel, ts in rows]
