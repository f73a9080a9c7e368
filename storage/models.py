"""The SQLAlchemy schema. Migrations in `storage/migrations/versions` must match it.

All instants are stored as naive UTC and read back as aware UTC (`UTCDateTime`), so
SQLite (no time-zone type) and PostgreSQL give the application identical values; the
IANA zone a meeting was planned in is kept next to it, never folded into the instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL for indexing and compact storage; plain JSON text elsewhere.
JSONType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")

# The normalised name compares byte-wise on both engines: SQLite's default BINARY
# collation already does; on PostgreSQL the "C" collation makes `search_text > 'ab' AND
# search_text < 'ac'` a true prefix range served by the plain B-tree index, whatever the
# database locale.
SearchTextType: TypeEngine[str] = Text().with_variant(Text(collation="C"), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def naive_utc(value: datetime) -> datetime:
    """An aware datetime as UTCDateTime stores it (naive UTC), also for statements that
    bypass the column types; a naive one is refused (ValueError)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC)")
    return value.astimezone(UTC).replace(tzinfo=None)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC.

    Naive input is refused rather than guessed: a naive datetime in this app almost
    always means someone forgot a time zone, and storing it silently shifts meetings.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else naive_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class WorkspaceModel(Base):
    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    default_timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    default_language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    is_sandbox: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserModel(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("team_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    locale: Mapped[str] = mapped_column(String(16), default="en-US", server_default="en-US")
    # none | starter | professional | enterprise
    seat: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_sandbox: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Granted by an admin: sees the team's reports (handlers.policy). Migration 0003_roles.
    is_manager: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Whatever else users.info told us that the app wants to keep (UserProfile.extra).
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecordModel(Base):
    """A CRM record. team_id "" means shared by every workspace of this install."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("team_id", "external_id"),
        # (updated_at, id) ordering for "recently updated" without sorting the team.
        Index("ix_records_team_id_updated_at", "team_id", "updated_at", "id"),
        # The same for one kind (the attendee picker's contacts), migration 0011.
        Index("ix_records_team_id_kind_updated_at", "team_id", "kind", "updated_at", "id"),
        # Name-prefix ranking walks this per (team, kind) in name order and stops early.
        Index("ix_records_team_id_kind_search_text", "team_id", "kind", "search_text"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(16))  # contact | company | deal | ticket
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    # The normalised name (casefolded, accents stripped): exact/prefix ranking uses it.
    search_text: Mapped[str] = mapped_column(SearchTextType, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when the record's source deleted it (migration 0015_record_deleted): the row
    # stays so its meetings and timeline keep it; it has no associations nor search row,
    # its search_text starts with DELETED_MARK (storage.record_tables), so no name walk
    # reaches it, and it reads as unknown everywhere but its timeline. Cleared when the
    # source has it again.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecordAssociationModel(Base):
    """Stored in both directions so "associations of X" is one index range."""

    __tablename__ = "record_associations"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RecordSearchModel(Base):
    """The search index's source: one row per record with its normalised terms
    (storage.record_index), space-separated: `name_terms` are words of the record's
    own name (ranked above the rest), `other_terms` its email, phone and the names of
    its companies.

    Each engine indexes these two columns its own way, created by migration
    0005_search and invisible here: SQLite an FTS5 table (`record_fts`, external
    content, kept in step by triggers on this table), PostgreSQL GIN indexes on stored
    generated tsvectors of the name terms and of all terms (columns `names_tsv`,
    `terms_tsv`, migration 0016_search_vectors). team_id is copied from the
    record so the search never joins to filter by workspace.
    """

    __tablename__ = "record_search"

    record_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # The record's kind, copied like team_id: on PostgreSQL a lexeme of both GIN indexes
    # (migration 0014_search_kind), so a one-kind picker filters in the index.
    kind: Mapped[str] = mapped_column(String(16), default="", server_default="")
    name_terms: Mapped[str] = mapped_column(Text, default="", server_default="")
    other_terms: Mapped[str] = mapped_column(Text, default="", server_default="")


class MeetingModel(Base):
    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_team_id_start_at", "team_id", "start_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    # Slack retries and double clicks: the same submission must not book twice.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True)  # iCalendar UID
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    title: Mapped[str] = mapped_column(String(500))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))  # IANA
    duration_minutes: Mapped[int] = mapped_column(Integer)
    meeting_type: Mapped[str | None] = mapped_column(String(100))
    # phone | in_person | video | custom | none
    location_kind: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    location_detail: Mapped[str] = mapped_column(Text, default="", server_default="")
    video_provider: Mapped[str | None] = mapped_column(String(32))
    join_url: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(
        Text, default="", server_default=""
    )  # attendee-visible
    notes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # rich_text block, internal
    notes_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    include_description_in_reminders: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # The language contacts read ("pl", "en"), as chosen in the form; NULL: decided when
    # each mail is sent (the contact's record, else the host's language).
    invitation_language: Mapped[str | None] = mapped_column(String(16))
    # The record the meeting was booked from (also in meeting_records with the others).
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    host_user_id: Mapped[str] = mapped_column(String(32))  # Slack id ("assigned to")
    organizer_user_id: Mapped[str] = mapped_column(String(32))  # Slack id ("created by")
    status: Mapped[str] = mapped_column(
        String(16), default="scheduled", server_default="scheduled"
    )  # scheduled | cancelled
    outcome: Mapped[str] = mapped_column(
        String(64), default="SCHEDULED", server_default="SCHEDULED"
    )
    calendar_provider: Mapped[str | None] = mapped_column(String(32))
    calendar_event_id: Mapped[str | None] = mapped_column(String(1024))
    calendar_event_url: Mapped[str | None] = mapped_column(Text)  # the event's page
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    attendees: Mapped[list[MeetingAttendeeModel]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="MeetingAttendeeModel.id",
        lazy="selectin",
        passive_deletes=True,
    )
    reminders: Mapped[list[ReminderModel]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="ReminderModel.offset_minutes",
        lazy="selectin",
        passive_deletes=True,
    )


class MeetingAttendeeModel(Base):
    __tablename__ = "meeting_attendees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # contact | user | email
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("records.id", ondelete="SET NULL"), index=True
    )
    slack_user_id: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(300), default="", server_default="")
    response: Mapped[str] = mapped_column(
        String(32), default="needs-action", server_default="needs-action"
    )
    # The last iCalendar SEQUENCE sent to this attendee; None = never invited.
    invited_sequence: Mapped[int | None] = mapped_column(Integer)

    meeting: Mapped[MeetingModel] = relationship(back_populates="attendees")


class MeetingRecordModel(Base):
    __tablename__ = "meeting_records"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    record_id: Mapped[int] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OutcomeMessageModel(Base):
    """A host's outcome DM of a meeting (the prompt, the nudge): where an outcome set
    elsewhere (the Edit form) is shown, so the DM stops offering its buttons."""

    __tablename__ = "outcome_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))


class ReminderModel(Base):
    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    offset_minutes: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending"
    )  # pending | sent | dropped

    meeting: Mapped[MeetingModel] = relationship(back_populates="reminders")


class TimelineEntryModel(Base):
    __tablename__ = "timeline_entries"
    __table_args__ = (
        Index("ix_timeline_entries_record_id_occurred_at", "record_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobModel(Base):
    """The durable job queue (reminders, outcome prompts, retries); see storage.jobs."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_run_at", "status", "run_at"),
        Index("ix_jobs_meeting_id_kind", "meeting_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # queued | running | done | failed | cancelled | dropped
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Copied from payload["meeting_id"] so jobs move/cancel with their meeting cheaply.
    meeting_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProcessedEventModel(Base):
    """Keys of Slack events/submissions already handled: retries become no-ops."""

    __tablename__ = "processed_events"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = [
    "Base",
    "JobModel",
    "MeetingAttendeeModel",
    "MeetingModel",
    "MeetingRecordModel",
    "ProcessedEventModel",
    "RecordAssociationModel",
    "RecordModel",
    "RecordSearchModel",
    "ReminderModel",
    "TimelineEntryModel",
    "UTCDateTime",
    "UserModel",
    "WorkspaceModel",
]
