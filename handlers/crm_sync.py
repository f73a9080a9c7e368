"""Mirror a workspace's CRM records (HubSpot) into its own records, through the job queue.

A sync is a chain of `CRM_SYNC` jobs, one page each: a restart, a 429 or an outage
only delays the page it hit (the queue retries it), and a worker that dies mid-page
lets another redo that page (rows are upserted, the next page's job has a dedupe key).
Rows go through `RecordRepository.import_rows` like a CSV's, so search indexes stay in
step. The first sync reads everything and tells the admin how it goes; later ones
(every few minutes, queued by the worker) read what changed since the last one began,
and mark deleted what the CRM deleted (kept for its meetings and timeline; the same id
seen again brings it back). A record merged into another in the CRM is not simply
deleted: its meetings, timeline and associations move to the record kept first, in the
same transaction as the page that names the merge (`RecordRepository.mirror_page`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from handlers.connect_crm import CrmConnection
from handlers.crm import CrmBusy, CrmMissingScopes, CrmOwner, CrmRefused
from handlers.domain import RecordRow, UserProfile
from handlers.errors import NotAllowed, NotFound, Reason
from handlers.i18n import Translator, translator
from handlers.jobs import ClaimedJob, JobKind, JobQueue
from handlers.policy import can_change_settings
from handlers.ports import Clock, RecordRepository, RecordSource
from handlers.worker import Dropped, GiveUp, RetryLater

SYNC_MINUTES = 5
# HubSpot's search index trails its writes by seconds: the next pull overlaps a little.
OVERLAP = timedelta(minutes=1)
PROGRESS_EVERY = 10  # pages between progress DMs of a first sync
# A page is tried for about a day (the queue's backoff tops out at an hour), so a
# HubSpot daily limit, which resets at midnight, delays a sync without ending it.
SYNC_ATTEMPTS = 30


class SyncState(Protocol):
    """The slice of the CRM connections a sync reads and advances."""

    def get(self, team_id: str) -> CrmConnection | None: ...

    def connected(self) -> list[CrmConnection]: ...

    def set_synced_up_to(self, team_id: str, at: datetime) -> None: ...

    def set_owners(self, team_id: str, owners: Sequence[tuple[str, str | None]]) -> None:
        """The CRM's owners by e-mail and their Slack users (None: no match)."""
        ...


class KnownUsers(Protocol):
    def list_users(self, team_id: str | None = None) -> list[UserProfile]: ...


class Tell(Protocol):
    def notify_user(self, team_id: str, user_id: str, text: str) -> None: ...


class CrmSyncQueue:
    """Queues syncs: the first one when an admin connects, then one every few minutes."""

    def __init__(self, jobs: JobQueue, state: SyncState, clock: Clock) -> None:
        self._jobs = jobs
        self._state = state
        self._clock = clock
        self._scheduled: str | None = None

    def start(self, team_id: str, user_id: str) -> None:
        """A full sync now, reported to `user_id` (the admin who connected)."""
        self._first_page(team_id, user_id, None, f"crm-sync:{team_id}:{uuid.uuid4().hex}")

    def sync_now(self, actor: UserProfile, t: Translator | None = None) -> CrmConnection:
        """An admin's "Sync now": what changed since the last sync (everything if the
        first one has not finished), without waiting for the next round."""
        if not can_change_settings(actor, actor.team_id):
            raise NotAllowed(Reason.CHANGE_SETTINGS)
        connection = self._state.get(actor.team_id)
        if connection is None:
            raise NotFound((t or translator("en")).gettext("HubSpot is not connected."))
        run = f"crm-sync:{actor.team_id}:{uuid.uuid4().hex}"
        self._first_page(actor.team_id, actor.slack_user_id, connection.synced_up_to, run)
        return connection

    def schedule_due(self) -> int:
        """This time bucket's incremental sync of every workspace whose first sync is
        done (once per bucket however many workers ask: dedupe keys)."""
        now = self._clock.now()
        bucket = now.strftime("%Y%m%d%H") + f"{now.minute // SYNC_MINUTES:02d}"
        if bucket == self._scheduled:
            return 0
        connected = [c for c in self._state.connected() if c.synced_up_to is not None]
        for connection in connected:
            self._first_page(
                connection.team_id,
                connection.connected_by,
                connection.synced_up_to,
                f"crm-sync:{connection.team_id}:{bucket}",
            )
        self._scheduled = bucket
        return len(connected)

    def _first_page(self, team_id: str, user_id: str, since: datetime | None, run: str) -> None:
        now = self._clock.now()
        self._jobs.enqueue(
            JobKind.CRM_SYNC,
            {
                "team_id": team_id,
                "user_id": user_id,
                "run": run,
                "page": 0,
                "cursor": None,
                "since": since.isoformat() if since is not None else None,
                "started": now.isoformat(),
                "count": 0,
            },
            now,
            dedupe_key=f"{run}:0",
            max_attempts=SYNC_ATTEMPTS,
        )


class SyncRecords:
    """The `CRM_SYNC` job: one page of the workspace's source into its records."""

    def __init__(
        self,
        records: RecordRepository,
        sources: Callable[[str], RecordSource | None],
        state: SyncState,
        jobs: JobQueue,
        clock: Clock,
        tell: Tell,
        translator_for: Callable[[str, str], Translator],
        owners: Callable[[str], list[CrmOwner] | None] | None = None,
        users: KnownUsers | None = None,
    ) -> None:
        self._records = records
        self._sources = sources
        self._state = state
        self._jobs = jobs
        self._clock = clock
        self._tell = tell
        self._t = translator_for
        self._owners = owners  # team -> the CRM's owners (None: not connected)
        self._users = users

    def run(self, job: ClaimedJob) -> None:
        p = job.payload
        team_id, user_id = str(p["team_id"]), str(p["user_id"])
        source = self._sources(team_id)
        if source is None:
            raise Dropped("no CRM connected")
        since = datetime.fromisoformat(p["since"]) if p.get("since") else None
        try:
            page = source.page(p.get("cursor"), since)
        except CrmBusy as busy:
            raise RetryLater(f"CRM busy: {type(busy).__name__}") from None
        except (CrmRefused, CrmMissingScopes) as refused:
            t = self._t(team_id, user_id)
            self._tell.notify_user(
                team_id,
                user_id,
                t.gettext(
                    "HubSpot stopped accepting Meetline's token, so records are not "
                    "synced. Paste a new token in Meetline's settings (App Home)."
                ),
            )
            raise GiveUp(f"CRM refused the token: {type(refused).__name__}") from None
        rows = self._known_associations(team_id, page.rows)
        if rows or page.merged or page.deleted:
            # The kept record of a merge is among the rows: stored before the move.
            self._records.mirror_page(
                team_id, rows, merged=page.merged, deleted=page.deleted, at=self._clock.now()
            )
        count = int(p.get("count") or 0) + len(rows)
        number = int(p["page"]) + 1
        first = since is None
        if page.next_cursor is not None:
            self._jobs.enqueue(
                JobKind.CRM_SYNC,
                {**p, "page": number, "cursor": page.next_cursor, "count": count},
                self._clock.now(),
                dedupe_key=f"{p['run']}:{number}",
                max_attempts=SYNC_ATTEMPTS,
            )
            if first and number % PROGRESS_EVERY == 0:
                t = self._t(team_id, user_id)
                self._tell.notify_user(
                    team_id,
                    user_id,
                    t.gettext("HubSpot sync: {count} records so far…", count=count),
                )
            return
        started = datetime.fromisoformat(p["started"])
        self._match_owners(team_id)
        self._state.set_synced_up_to(team_id, started - OVERLAP)
        if first:
            t = self._t(team_id, user_id)
            self._tell.notify_user(
                team_id,
                user_id,
                t.gettext(
                    "HubSpot sync done: {count} records are in Meetline. Changes in "
                    "HubSpot follow every {minutes} minutes.",
                    count=count,
                    minutes=SYNC_MINUTES,
                ),
            )

    def _match_owners(self, team_id: str) -> None:
        """The CRM's owners matched to the workspace's Slack users by e-mail, for the
        admin's settings (a meeting's host is matched again when it is logged)."""
        if self._owners is None or self._users is None:
            return
        try:
            owners = self._owners(team_id)
        except CrmBusy as busy:
            raise RetryLater(f"CRM busy: {type(busy).__name__}") from None
        if owners is None:
            return
        slack = {
            u.email.lower(): u.slack_user_id
            for u in self._users.list_users(team_id)
            if u.email and not u.extra.get("deleted")
        }
        matched = sorted({(o.email.lower(), slack.get(o.email.lower())) for o in owners})
        self._state.set_owners(team_id, matched)

    def _known_associations(self, team_id: str, rows: Sequence[RecordRow]) -> list[RecordRow]:
        """Rows whose associations name only records of this page or already stored:
        the others arrive with their own kind's pages and associate from there."""
        here = {r.external_id for r in rows}
        wanted = sorted({a for r in rows for a in r.associations} - here)
        known = here | (self._records.existing_external_ids(team_id, wanted) if wanted else set())
        return [
            r
            if all(a in known for a in r.associations)
            else replace(r, associations=tuple(a for a in r.associations if a in known))
            for r in rows
        ]
