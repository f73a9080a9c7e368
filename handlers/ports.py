"""Ports: what the use cases need from the outside world, as Protocols.

Implementations live in `storage/` and `adapters/`; tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from handlers.crm import LoggedMeeting, RecordPage
from handlers.domain import ImportResult, Record, RecordKind, RecordRow, UserProfile
from handlers.meetings import (
    JobSpec,
    Meeting,
    MeetingUpdate,
    NewMeeting,
    TimelineEntry,
    TimelineSpec,
)
from handlers.workspace import WorkspaceRepository


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class RecordRepository(Protocol):
    def search(
        self,
        team_id: str,
        query: str,
        *,
        kinds: Sequence[RecordKind] | None = None,
        limit: int = 50,
    ) -> list[Record]:
        """Best matches first: exact name, then name prefix, then word/email/company prefix."""
        ...

    def get(self, team_id: str, record_id: int) -> Record | None:
        """The workspace's record; None for an unknown id and for another workspace's."""
        ...

    def expect(self, team_id: str, record_ids: Sequence[int]) -> None:
        """In a unit of work: `get` will be asked for these records. A repository may read
        them all at once, with a statement it runs anyway (the Save's key lookup), instead
        of one statement per `get`; or do nothing. Changes no answer of `get`."""
        ...

    def get_many(self, team_id: str, record_ids: Sequence[int]) -> dict[int, Record]:
        """The workspace's records among `record_ids`, by id, in one read (a batch of
        jobs); unknown ids and other workspaces' are left out."""
        ...

    def associations(self, team_id: str, record_id: int) -> list[Record]:
        """The record's associated records, only if the record and they are the workspace's."""
        ...

    def import_rows(self, team_id: str, rows: Sequence[RecordRow]) -> ImportResult:
        """Upsert rows by (team_id, external_id) and replace their associations, atomically."""
        ...

    def existing_external_ids(self, team_id: str, external_ids: Sequence[str]) -> set[str]: ...

    def deleted_named(self, team_id: str, query: str) -> Record | None:
        """The workspace's record deleted at its source that `query` names (its name, else
        a name starting with it): only its timeline still shows it."""
        ...

    def deleted_among(self, team_id: str, record_ids: Sequence[int]) -> dict[int, Record]:
        """The workspace's records among `record_ids` that were deleted at their source, by
        id. Only for ids a stored meeting is linked to already (its edit form names them,
        its edit keeps them): nothing may offer them for anything new."""
        ...

    def delete_external(self, team_id: str, external_ids: Sequence[str]) -> int:
        """Mark the workspace's records with these external ids deleted (gone from their
        source: a CRM's deleted records): they lose their associations and search terms
        and read as unknown (`get`, `search`), but their meetings and timeline keep them,
        until a later import of the same external id brings them back. Returns how many
        were deleted now."""
        ...

    def mirror_page(
        self,
        team_id: str,
        rows: Sequence[RecordRow],
        *,
        merged: Sequence[tuple[str, str]] = (),
        deleted: Sequence[str] = (),
        at: datetime,
    ) -> int:
        """A page of a CRM sync, in one transaction: upsert `rows`; for each (merged
        away, kept) pair of `merged` (external ids), move what the workspace has of the
        first (meetings, attendees, timeline, associations) to the second, log the
        merge on its timeline at `at`, and delete the first; then delete `deleted`.
        A pair whose records are not both the workspace's, of one kind, changes
        nothing (a merge seen twice). Returns how many records were merged away."""
        ...


class RecordSource(Protocol):
    """Where a workspace's records come from: the records CSV (`handlers/records_csv.py`)
    or a CRM (HubSpot, `adapters/hubspot.py`). Pages, so a CRM's hundred thousand
    records arrive in jobs that survive restarts and rate limits; whatever the source,
    the rows go through `RecordRepository.import_rows`, so search sees them alike.
    """

    def page(self, cursor: str | None, since: datetime | None = None) -> RecordPage:
        """The page after `cursor` (None: the first). With `since`, only records
        changed at or after it, and the ones deleted since (an incremental pull).
        Records merged away are named with the record kept, in the kept one's page.
        Raises `CrmRefused`, `CrmMissingScopes` or `CrmBusy` (`handlers/crm.py`)."""
        ...


class MeetingLog(Protocol):
    """Where booked meetings are recorded besides the meeting itself: Meetline's own
    timeline (written with the meeting, `handlers/meeting_log.py`) or a CRM's
    (HubSpot meeting engagements). Called from jobs, so it may be slow or down."""

    def write(self, meeting: LoggedMeeting, log_id: str | None) -> str:
        """Create the meeting's entry (`log_id` None) or update the one this log
        returned before; returns the entry's id, kept with the meeting so every
        later change updates the same entry. Raises `CrmBusy` to be tried again."""
        ...

    def find(self, meeting: LoggedMeeting) -> str | None:
        """The entry a first `write` made although its answer never arrived (a create
        retried after a lost response), so the retry updates it instead of adding a
        second one; None when there is none."""
        ...


class UserRepository(Protocol):
    def get(self, team_id: str, slack_user_id: str) -> UserProfile | None: ...

    def save(self, profile: UserProfile) -> None: ...

    def has_admin(self, team_id: str) -> bool: ...

    def claim_first_admin(self, team_id: str, slack_user_id: str) -> bool:
        """Make the user admin if the workspace has none yet; True if they became it."""
        ...

    def teams(self) -> list[str]: ...

    def list_users(self, team_id: str | None = None) -> list[UserProfile]: ...

    def search(self, team_id: str, query: str, limit: int = 20) -> list[UserProfile]: ...


class PeopleDirectory(Protocol):
    """Slack teammates as the use cases need them (name, email, zone, seat)."""

    def user(self, team_id: str, user_id: str) -> UserProfile | None: ...


class MeetingRepository(Protocol):
    def by_idempotency_key(self, team_id: str, key: str) -> Meeting | None: ...

    def get(self, team_id: str, meeting_id: int) -> Meeting | None:
        """The workspace's meeting; None for an unknown id and for another workspace's."""
        ...

    def get_many(self, team_id: str, meeting_ids: Sequence[int]) -> dict[int, Meeting]:
        """The workspace's meetings among `meeting_ids`, by id, in one read (a batch of
        jobs); unknown ids and other workspaces' are left out."""
        ...

    def create(
        self,
        new: NewMeeting,
        jobs: Callable[[int], Sequence[JobSpec]],
        timeline: Sequence[TimelineSpec],
    ) -> tuple[Meeting, bool]:
        """Store the meeting, its jobs and timeline entries in one transaction.

        Returns the stored meeting and True, or the meeting already stored under the
        same idempotency key and False (then nothing else is written). Raises LookupError
        when the key is taken by another workspace's meeting."""
        ...

    def mark_invited(self, team_id: str, meeting_id: int, email: str, sequence: int) -> None: ...

    def set_reminder_status(
        self, team_id: str, meeting_id: int, offset_minutes: int, status: str
    ) -> None:
        """Record what became of a reminder: "sent", or "dropped" (too late to be true)."""
        ...

    def set_calendar_event(
        self,
        team_id: str,
        meeting_id: int,
        provider: str | None,
        event_id: str | None,
        join_url: str | None,
        event_url: str | None = None,
    ) -> None:
        """Remember where the meeting lives in the host's calendar, its video link and
        the event's page (None: the same event keeps the page it had)."""
        ...

    def set_outcome(
        self,
        team_id: str,
        meeting_id: int,
        outcome: str,
        actor_id: str,
        now: datetime,
        jobs: Sequence[JobSpec] = (),
    ) -> bool:
        """Record the outcome, a timeline entry on every record and queue `jobs` (the
        CRM's copy), all in one transaction; False if unchanged (or not the workspace's
        meeting), and then nothing is queued."""
        ...

    def list_meetings(self, team_id: str, limit: int = 1000) -> list[Meeting]: ...

    def list_every_team(self, limit: int = 1000) -> list[Meeting]:
        """The operator's view (command line only): meetings of every workspace."""
        ...

    def update(
        self,
        change: MeetingUpdate,
        jobs: Sequence[JobSpec],
        cancel_kinds: Sequence[str],
        timeline: Sequence[TimelineSpec],
    ) -> Meeting:
        """Apply an edit, cancel the meeting's queued jobs of `cancel_kinds` except those
        `jobs` names by dedupe key (they stay queued; one cancelled earlier is queued
        again), queue the rest of `jobs` and write `timeline`, in one transaction. A kept
        reminder (same offset and time) keeps its status. The meeting must belong to
        `change.fields.team_id` (LookupError otherwise)."""
        ...

    def upcoming_for(
        self, team_id: str, user_id: str, now: datetime, limit: int = 10
    ) -> list[Meeting]:
        """Scheduled meetings not yet ended where the user is host or organizer."""
        ...

    def awaiting_outcome(
        self, team_id: str, user_id: str, now: datetime, limit: int = 10
    ) -> list[Meeting]:
        """Ended, not cancelled, outcome still SCHEDULED, hosted by the user."""
        ...

    def timeline(self, team_id: str, record_id: int, limit: int = 50) -> list[TimelineEntry]:
        """Entries of the workspace's record about the workspace's meetings, newest first."""
        ...


class Notifier(Protocol):
    """Messages to Slack users from background work (DMs)."""

    def notify_user(self, team_id: str, user_id: str, text: str) -> None: ...

    def mention(self, meeting: Meeting, user_id: str, record: Record | None) -> None: ...

    def outcome_prompt(self, meeting: Meeting, nudge: bool = False) -> None: ...

    def outcome_digest(self, team_id: str, user_id: str, meetings: Sequence[Meeting]) -> None: ...


@dataclass(frozen=True)
class CalendarConnectionInfo:
    """The host's connected calendar, as scheduling rules need to know it."""

    provider: str  # "google" | "microsoft" | "caldav"
    sends_invitations: bool  # the provider mails attendees itself (Google, Graph)
    email: str | None = None
    sync_enabled: bool = True
    active: bool = True  # False once a token was revoked or expired


class CalendarDirectory(Protocol):
    def connection_for(self, team_id: str, user_id: str) -> CalendarConnectionInfo | None: ...

    def zoom_available(self) -> bool:
        """Zoom is configured (ZOOM_* settings), so Zoom links can be created."""
        ...


@dataclass(frozen=True)
class ConnectionStatus:
    """A user's calendar choice as the App Home shows it (email-only included)."""

    provider: str  # google | microsoft | caldav | email
    email: str | None
    active: bool
    calendar_id: str | None = None


@dataclass(frozen=True)
class PendingFlow:
    """A started OAuth sign-in: who started it and the provider library's saved state."""

    team_id: str
    user_id: str
    provider: str
    flow: dict[str, Any]
    browser_hash: str | None = None  # what the callback's cookie must hash to


@dataclass(frozen=True)
class PendingConnection:
    """A signed-in account waiting for the Slack user's "Connect …?" answer."""

    id: str
    team_id: str
    user_id: str
    provider: str
    email: str | None


class CalendarConnections(Protocol):
    """Connecting calendars: what the sign-in pages and the calendar listeners store.

    Separate from `CalendarAccounts` (what background work uses) because connecting is
    about secrets and one-time flows, never about adapters."""

    @property
    def can_store_secrets(self) -> bool:
        """False without SECRET_KEY: nothing secret can be saved then."""
        ...

    def status(self, team_id: str, user_id: str) -> ConnectionStatus | None: ...

    def save_google(
        self, team_id: str, user_id: str, credentials_json: str, email: str | None
    ) -> None: ...

    def save_microsoft(
        self, team_id: str, user_id: str, token_cache: str, email: str | None
    ) -> None: ...

    def save_caldav(
        self,
        team_id: str,
        user_id: str,
        *,
        url: str,
        username: str,
        password: str,
        calendar: str | None,
        email: str | None,
    ) -> None: ...

    def choose_email_only(self, team_id: str, user_id: str) -> None: ...

    def disconnect(self, team_id: str, user_id: str) -> bool: ...

    def use_link(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Record that a sign-in link was opened; False when it already was."""
        ...

    def start_flow(
        self,
        state: str,
        team_id: str,
        user_id: str,
        provider: str,
        flow: dict[str, Any],
        expires_at: datetime,
        browser_hash: str | None = None,
    ) -> None: ...

    def take_flow(self, state: str, provider: str, now: datetime) -> PendingFlow | None:
        """The flow for `state`, once."""
        ...

    def park(
        self,
        team_id: str,
        user_id: str,
        provider: str,
        secret: str,
        email: str | None,
        expires_at: datetime,
    ) -> PendingConnection: ...

    def confirm_pending(
        self, pending_id: str, team_id: str, user_id: str, now: datetime
    ) -> PendingConnection | None: ...

    def cancel_pending(self, pending_id: str, team_id: str, user_id: str) -> bool: ...


class CalendarSecrets(Protocol):
    """A stored connection's credentials, for the adapter factory: read them, and write
    back what a provider refreshed (Google tokens, an msal cache)."""

    def secret(self, account_id: int) -> str: ...

    def store_secret(self, account_id: int, value: str) -> None: ...

    def calendar_id(self, account_id: int) -> str | None: ...


class UnitOfWork(Protocol):
    """One use case's transaction: every read and write through these repositories
    happens in it, and nothing is kept unless `commit()` is called before the `with`
    block ends (an exception, or no commit, rolls everything back).

        with self._uow() as uow:
            meeting = uow.meetings.get(team_id, meeting_id)
            ...
            uow.commit()

    Talk to the outside world (Slack, calendars, mail) before or after it, never
    inside: the transaction holds locks (SQLite's one write lock among them) meanwhile.
    """

    @property
    def meetings(self) -> MeetingRepository: ...

    @property
    def records(self) -> RecordRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def workspaces(self) -> WorkspaceRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """A fresh unit of work per use case call (a use case object lives longer than one).

    `single_write=True` promises that the unit writes through one repository call at
    most, whose write is atomic on its own (`MeetingRepository.create`), after its
    reads: the unit may then skip the transaction around it (on PostgreSQL the BEGIN
    and COMMIT round trips of a booking). Its reads see committed data, as in any
    transaction at read committed; `commit()` is still called to keep the write."""

    def __call__(self, *, single_write: bool = False) -> UnitOfWork: ...
