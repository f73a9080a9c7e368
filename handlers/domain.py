"""Domain types shared by the use cases; free of Slack, SQL and vendor SDKs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class RecordKind(StrEnum):
    CONTACT = "contact"
    COMPANY = "company"
    DEAL = "deal"
    TICKET = "ticket"


@dataclass(frozen=True)
class Record:
    """A CRM record. `id` is the database id; `external_id` is the id from the CRM/CSV."""

    id: int
    kind: RecordKind
    external_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    company: str | None = None  # name of an associated company, for display and search
    language: str | None = None  # for the mails Meetline sends this contact


@dataclass(frozen=True)
class RecordRow:
    """One parsed row of the records CSV, before it is stored."""

    line: int
    kind: RecordKind
    external_id: str
    name: str
    email: str | None
    phone: str | None
    timezone: str | None
    associations: tuple[str, ...] = ()
    language: str | None = None


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    associations: int


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(Exception):
    """The whole file is refused; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:20]))


@dataclass
class UserProfile:
    """What Meetline knows of a Slack user (cached from users.info)."""

    team_id: str
    slack_user_id: str
    name: str = ""
    email: str | None = None
    timezone: str = "UTC"
    locale: str = "en-US"
    seat: str = "none"
    is_admin: bool = False  # granted in Meetline (first installer, an admin, the operator)
    is_sandbox: bool = False
    refreshed_at: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)
    is_manager: bool = False  # granted by an admin: sees the team's reports

    @property
    def is_slack_admin(self) -> bool:
        """Slack's own owner/admin flags as users.info last said (refreshed with the
        profile), so losing them in Slack loses them here too."""
        return bool(self.extra.get("slack_admin"))
