"""The workspace's member directory, so the attendee picker can offer every teammate.

users.list is Tier 2 (about 20 calls a minute), so it is synced at most hourly per
workspace and per process, in the background, never while Slack waits for an answer.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.profiles import profile_from_slack
from handlers.ports import Clock, UserRepository

log = logging.getLogger(__name__)
SYNC_EVERY = 3600.0


class DirectorySync:
    def __init__(self, users: UserRepository, clock: Clock) -> None:
        self._users = users
        self._clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def maybe_start(self, client: WebClient, team_id: str) -> None:
        with self._lock:
            last = self._last.get(team_id)
            if last is not None and time.monotonic() - last < SYNC_EVERY:
                return
            self._last[team_id] = time.monotonic()
        threading.Thread(
            target=self.sync, args=(client, team_id), name="directory-sync", daemon=True
        ).start()

    def sync(self, client: WebClient, team_id: str) -> int:
        saved = 0
        cursor: str | None = None
        try:
            while True:
                page: Any = client.users_list(limit=200, cursor=cursor, include_locale=True)
                for member in page.get("members") or []:
                    if member.get("is_bot") or member.get("id") == "USLACKBOT":
                        continue
                    existing = self._users.get(team_id, member["id"])
                    self._users.save(
                        profile_from_slack(team_id, member, existing, self._clock.now())
                    )
                    saved += 1
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    return saved
        except SlackApiError as exc:
            log.warning("users.list failed for %s: %s", team_id, exc.response.get("error"))
            with self._lock:
                self._last.pop(team_id, None)
            return saved
