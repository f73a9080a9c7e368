"""What a CRM gives Meetline (records) and takes from it (meetings), in plain values.

The ports themselves (`RecordSource`, `MeetingLog`) are in `handlers/ports.py`; this
module holds what travels through them and the few errors a CRM answers with that
the use cases treat differently: a token the CRM refuses, scopes it lacks, and "busy"
(rate limits, outages), which only delays a job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.domain import Record, RecordRow
from handlers.errors import DomainError


@dataclass(frozen=True)
class RecordPage:
    """One page of a source's records.

    `rows` are upserted like a CSV's rows (their associations name other rows'
    external ids); `deleted` are external ids the source no longer has.
    `next_cursor` is opaque to everyone but the source; None means "nothing more for
    now". `modified_up_to` is the newest change the page saw: the next incremental
    pull starts there. `merged` pairs a record merged away in the source with the one
    it was merged into (external ids, same kind; the kept one is among `rows`): what
    Meetline holds of the first (meetings, timeline) moves to the second before the
    first is deleted, so a merge never loses history the way a deletion does.
    """

    rows: tuple[RecordRow, ...]
    deleted: tuple[str, ...] = ()
    next_cursor: str | None = None
    modified_up_to: datetime | None = None
    merged: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LoggedMeeting:
    """A meeting as a meeting log writes it.

    `records` are the meeting's records as Meetline stores them: a log keeps those
    it knows (a CRM: the ones it mirrored, by external id) and leaves out the rest.
    `outcome` is one of Meetline's outcomes (SCHEDULED, COMPLETED, RESCHEDULED,
    NO_SHOW, CANCELED, or the workspace's own). `link` is the meeting's link people
    open: its event's page in the host's calendar, else its video call's join URL;
    None when it has neither.
    """

    meeting_id: int
    team_id: str
    title: str
    description: str
    internal_notes: str
    location: str
    start_utc: datetime
    end_utc: datetime
    outcome: str
    host_email: str | None
    records: tuple[Record, ...]
    link: str | None = None


@dataclass(frozen=True)
class CrmOwner:
    """A CRM user who can own records and meetings (HubSpot: an owner)."""

    id: str
    email: str


class CrmRefused(DomainError):
    """The CRM refused the token (revoked, mistyped, another account's)."""


class CrmMissingScopes(DomainError):
    """The token works but lacks scopes Meetline needs; `scopes` names them."""

    def __init__(self, scopes: tuple[str, ...], message: str = "") -> None:
        self.scopes = scopes
        super().__init__(message or "missing scopes: " + ", ".join(scopes))


class CrmBusy(Exception):
    """Rate limited or unavailable: try again later (`retry_after` seconds if the CRM
    said). Not a DomainError: no user did anything wrong, a job simply waits."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(reason)
