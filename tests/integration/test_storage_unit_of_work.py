"""SqlUnitOfWork on SQLite and PostgreSQL: one transaction per use case, kept only by
`commit()`; repositories inside it share that transaction (reads see its writes, row
locks hold until the commit), and a write that loses a race undoes only itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from handlers.domain import UserProfile
from handlers.meetings import (
    Attendee,
    AttendeeKind,
    JobSpec,
    Location,
    LocationKind,
    Meeting,
    NewMeeting,
    Reminder,
    TimelineSpec,
)
from handlers.records_csv import import_records
from handlers.workspace import WorkspaceSettings
from storage.db import make_engine, make_session_factory
from storage.jobs import SqlJobQueue
from storage.meetings import SqlMeetingRepository
from storage.models import JobModel
from storage.records import SqlRecordRepository
from storage.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory
from storage.users import SqlUserRepository
from storage.workspaces import SqlWorkspaceRepository

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
CSV = "type,id,name,email,phone,timezone,associations\ncontact,jane,Jane,jane@x.example,,,\n"
TEAM = "T1"


@dataclass
class Db:
    """Repositories outside any unit of work: what other requests see."""

    engine: Engine
    sessions: sessionmaker[Session]
    records: SqlRecordRepository
    meetings: SqlMeetingRepository
    users: SqlUserRepository
    workspaces: SqlWorkspaceRepository
    jobs: SqlJobQueue

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWorkFactory(self.sessions)()

    def jane(self) -> int:
        return self.records.search(TEAM, "Jane")[0].id


@pytest.fixture
def db(migrated_url: str) -> Iterator[Db]:
    engine = make_engine(migrated_url)
    sessions = make_session_factory(engine)
    try:
        repos = Db(
            engine,
            sessions,
            SqlRecordRepository(sessions),
            SqlMeetingRepository(sessions),
            SqlUserRepository(sessions),
            SqlWorkspaceRepository(sessions),
            SqlJobQueue(sessions, engine.dialect.name),
        )
        import_records(repos.records, TEAM, CSV)
        yield repos
    finally:
        engine.dispose()


def new_meeting(record_id: int, key: str = "k1") -> NewMeeting:
    return NewMeeting(
        team_id=TEAM,
        idempotency_key=key,
        uid=f"{key}@meetline",
        title="Demo",
        start_utc=T0,
        end_utc=T0 + timedelta(minutes=30),
        timezone="UTC",
        duration_minutes=30,
        location=Location(),
        host_id="UHOST",
        organizer_id="UHOST",
        record_id=record_id,
        attendees=(Attendee(AttendeeKind.CONTACT, "Jane", "jane@x.example", record_id=record_id),),
        record_ids=(record_id,),
        reminders=(),
    )


def create(meetings: SqlMeetingRepository, record_id: int, key: str = "k1") -> tuple[Meeting, bool]:
    return meetings.create(
        new_meeting(record_id, key),
        lambda mid: [JobSpec("send_reminder", {"meeting_id": mid}, T0, f"r:{key}:{mid}")],
        [TimelineSpec(record_id, "meeting_scheduled", T0, "UHOST", {"title": "Demo"})],
    )


def write_everything(uow: SqlUnitOfWork, db: Db) -> Meeting:
    """A meeting (with its job and timeline entry), its outcome, a user and settings."""
    meeting, created = create(uow.meetings, db.jane())
    assert created
    assert uow.meetings.set_outcome(TEAM, meeting.id, "COMPLETED", "UHOST", T0)
    uow.users.save(UserProfile(TEAM, "UNEW", name="New", seat="professional"))
    uow.workspaces.save(TEAM, WorkspaceSettings(default_timezone="Europe/Warsaw"))
    return meeting


def nothing_written(db: Db) -> bool:
    return (
        db.meetings.list_meetings(TEAM) == []
        and db.users.get(TEAM, "UNEW") is None
        and db.workspaces.get(TEAM).default_timezone == "UTC"
        and db.jobs.stats().get("queued", 0) == 0
        and db.meetings.timeline(TEAM, db.jane()) == []
    )


def test_one_commit_keeps_every_write_and_nothing_shows_before_it(db: Db) -> None:
    with db.uow() as uow:
        meeting = write_everything(uow, db)
        # Inside, the unit reads its own writes; outside, nobody sees them yet.
        inside = uow.meetings.get(TEAM, meeting.id)
        assert inside is not None and inside.outcome == "COMPLETED"
        assert uow.users.get(TEAM, "UNEW") is not None
        assert nothing_written(db)
        uow.commit()
    stored = db.meetings.get(TEAM, meeting.id)
    assert stored is not None and stored.outcome == "COMPLETED"
    assert db.users.get(TEAM, "UNEW") == UserProfile(TEAM, "UNEW", name="New", seat="professional")
    assert db.workspaces.get(TEAM).default_timezone == "Europe/Warsaw"
    assert db.jobs.stats().get("queued") == 1
    assert [e.kind for e in db.meetings.timeline(TEAM, db.jane())] == [
        "outcome_set",
        "meeting_scheduled",
    ]


def test_an_exception_rolls_back_everything(db: Db) -> None:
    with pytest.raises(RuntimeError, match="boom"), db.uow() as uow:
        write_everything(uow, db)
        raise RuntimeError("boom")
    assert nothing_written(db)


def test_without_commit_nothing_is_written(db: Db) -> None:
    with db.uow() as uow:
        write_everything(uow, db)
    assert nothing_written(db)


def test_an_explicit_rollback_undoes_the_writes_so_far(db: Db) -> None:
    with db.uow() as uow:
        create(uow.meetings, db.jane(), key="dropped")
        uow.rollback()
        create(uow.meetings, db.jane(), key="kept")
        uow.commit()
    assert [m.idempotency_key for m in db.meetings.list_meetings(TEAM)] == ["kept"]


def test_a_repeated_submission_inside_one_unit_undoes_only_itself(db: Db) -> None:
    """The second create hits the unique key: its SAVEPOINT is rolled back, the first
    meeting and the rest of the unit's work stay and are committed."""
    with db.uow() as uow:
        first, created = create(uow.meetings, db.jane())
        again, created_again = create(uow.meetings, db.jane())
        uow.users.save(UserProfile(TEAM, "UNEW"))
        uow.commit()
    assert created and not created_again and again.id == first.id
    assert [m.id for m in db.meetings.list_meetings(TEAM)] == [first.id]
    assert db.users.get(TEAM, "UNEW") is not None


def test_a_unit_of_work_is_used_once(db: Db) -> None:
    uow = db.uow()
    with pytest.raises(RuntimeError):
        uow.commit()
    with uow:
        pass
    with pytest.raises(RuntimeError), uow:
        pass


def test_repositories_outside_a_unit_of_work_commit_each_call(db: Db) -> None:
    meeting, created = create(db.meetings, db.jane())
    assert created and db.meetings.get(TEAM, meeting.id) is not None
    assert create(db.meetings, db.jane()) == (meeting, False)


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_row_locks_taken_inside_hold_until_commit(db: Db) -> None:
    meeting, _ = create(db.meetings, db.jane())
    locked = f"SELECT id FROM meetings WHERE id = {meeting.id} FOR UPDATE NOWAIT"
    with db.uow() as uow:
        assert uow.meetings.set_outcome(TEAM, meeting.id, "COMPLETED", "UHOST", T0)
        uow.users.save(UserProfile(TEAM, "UNEW"))  # later calls do not release it
        with (
            db.engine.connect() as other,
            pytest.raises(OperationalError, match="could not obtain lock"),
        ):
            other.execute(text(locked))
        uow.commit()
    with db.engine.connect() as other:
        assert other.execute(text(locked)).scalar_one() == meeting.id


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_two_units_storing_one_submission_store_one_meeting(db: Db) -> None:
    """The second waits on the first's unique key, then reports the first's meeting."""
    jane = db.jane()
    results: list[tuple[Meeting, bool]] = []
    with db.uow() as first:
        mine = create(first.meetings, jane)

        def second() -> None:
            with db.uow() as uow:
                results.append(create(uow.meetings, jane))
                uow.commit()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # waiting for the first unit's key
        first.commit()
    thread.join(10)
    assert mine[1] and results == [(mine[0], False)]
    assert len(db.meetings.list_meetings(TEAM)) == 1


def test_the_meeting_create_returns_is_the_one_a_later_read_finds(db: Db) -> None:
    """`create` builds its answer from what it wrote; a read from the database agrees."""
    jane = db.jane()
    import_records(db.records, TEAM, CSV.replace("jane", "joe").replace("Jane", "Joe"))
    joe = db.records.search(TEAM, "Joe")[0].id
    new = replace(
        new_meeting(jane, "k-full"),
        title="Pricing",
        location=Location(LocationKind.VIDEO, "", "zoom"),
        attendees=(
            Attendee(AttendeeKind.CONTACT, "Jane " + "x" * 400, "jane@x.example", record_id=jane),
            Attendee(AttendeeKind.USER, "Ann", None, slack_user_id="UANN"),
        ),
        record_ids=(jane, joe, jane),
        reminders=(Reminder(60, T0 - timedelta(hours=1)), Reminder(15, T0 - timedelta(minutes=15))),
        notes={"type": "rich_text", "elements": []},
        notes_text="agenda",
        description="Prices",
        meeting_type="demo",
        invitation_language="pl",
    )
    with db.uow() as uow:
        assert uow.records.get(TEAM, jane) is not None  # read by the checks first
        meeting, created = uow.meetings.create(new, lambda mid: [], [])
        uow.commit()
    assert created
    assert meeting == db.meetings.get(TEAM, meeting.id)
    assert [r.offset_minutes for r in meeting.reminders] == [15, 60]
    assert meeting.record_ids == [jane, joe] and len(meeting.attendees[0].name) == 300


def test_a_record_of_another_workspace_is_refused_even_after_a_read(db: Db) -> None:
    import_records(db.records, "T2", CSV)
    theirs = db.records.search("T2", "Jane")[0].id
    with db.uow() as uow:
        assert uow.records.get(TEAM, theirs) is None
        assert uow.records.get("T2", theirs) is not None  # known as T2's, not as ours
        with pytest.raises(LookupError):
            uow.meetings.create(
                replace(new_meeting(db.jane(), "k-theirs"), record_ids=(db.jane(), theirs)),
                lambda mid: [],
                [],
            )
    assert db.meetings.list_meetings(TEAM) == []


def test_a_new_meetings_jobs_and_timeline_are_queued_as_one_at_a_time_would(db: Db) -> None:
    """On PostgreSQL the children go in one statement: the jobs' dedupe keys behave as
    one INSERT per job does (the first of a key wins; a cancelled job is queued again
    with its new time and payload; a queued one is left alone)."""
    db.jobs.enqueue("kept", {"n": 0}, T0, "k-queued")
    db.jobs.enqueue("revived", {"meeting_id": 999_999, "n": 0}, T0, "k-cancelled")
    assert db.jobs.cancel_where(None, 999_999) == 1
    later = T0 + timedelta(hours=2)
    jane = db.jane()
    with db.uow() as uow:
        meeting, _ = uow.meetings.create(
            new_meeting(jane, "k-jobs"),
            lambda mid: [
                JobSpec("first", {"meeting_id": mid, "n": 1}, later, "k-new"),
                JobSpec("second", {"meeting_id": mid, "n": 2}, later, "k-new"),
                JobSpec("kept", {"n": 3}, later, "k-queued"),
                JobSpec("revived", {"meeting_id": 999_999, "n": 4}, later, "k-cancelled"),
                JobSpec("free", {"meeting_id": mid, "n": 5, "ż": "ó"}, later),
                JobSpec("free", {"meeting_id": mid, "n": 6}, later),
            ],
            [
                TimelineSpec(jane, "meeting_scheduled", T0, "UHOST", {"title": "Żółć"}),
                TimelineSpec(jane, "note", later, "UOTHER", {}),
            ],
        )
        uow.commit()
    j = JobModel.__table__.c
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(j.kind, j.payload, j.run_at, j.status, j.dedupe_key, j.meeting_id).order_by(j.id)
        ).all()
    mid = meeting.id
    assert [tuple(r) for r in rows] == [
        ("kept", {"n": 0}, T0, "queued", "k-queued", None),
        ("revived", {"meeting_id": 999_999, "n": 4}, later, "queued", "k-cancelled", 999_999),
        ("first", {"meeting_id": mid, "n": 1}, later, "queued", "k-new", mid),
        ("free", {"meeting_id": mid, "n": 5, "ż": "ó"}, later, "queued", None, mid),
        ("free", {"meeting_id": mid, "n": 6}, later, "queued", None, mid),
    ]
    assert [
        (e.kind, e.occurred_at, e.actor_user_id, e.data) for e in db.meetings.timeline(TEAM, jane)
    ] == [
        ("note", later, "UOTHER", {}),
        ("meeting_scheduled", T0, "UHOST", {"title": "Żółć"}),
    ]


def test_a_single_write_unit_keeps_its_write_and_gives_its_connection_back_as_it_came(
    db: Db,
) -> None:
    """`single_write` (the Save's booking): on PostgreSQL its one statement commits itself.
    The pooled connection goes back transactional, so a later unit on it (the pool has
    one idle connection here) still undoes what it does not commit, whether the single
    write was committed or left by an exception."""
    single = SqlUnitOfWorkFactory(db.sessions)(single_write=True)
    with single as uow:
        kept, created = create(uow.meetings, db.jane(), key="single")
        uow.commit()
    assert created and db.meetings.get(TEAM, kept.id) is not None
    with pytest.raises(RuntimeError, match="boom"), db.uow() as uow:
        write_everything(uow, db)
        raise RuntimeError("boom")
    left = SqlUnitOfWorkFactory(db.sessions)(single_write=True)
    with pytest.raises(RuntimeError, match="boom"), left as uow:
        create(uow.meetings, db.jane(), key="left")
        raise RuntimeError("boom")
    with db.uow() as uow:
        write_everything(uow, db)  # not committed
    keys = sorted(str(m.idempotency_key) for m in db.meetings.list_meetings(TEAM))
    on_postgres = db.engine.dialect.name == "postgresql"
    assert keys == (["left", "single"] if on_postgres else ["single"])
    assert db.users.get(TEAM, "UNEW") is None
    assert db.workspaces.get(TEAM).default_timezone == "UTC"


def test_a_second_write_in_a_single_write_unit_fails_on_postgresql(db: Db) -> None:
    """The promise `single_write` makes is checked where it matters: a unit that writes
    twice without a transaction around it would keep half its work."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps its transaction for a single write")
    with SqlUnitOfWorkFactory(db.sessions)(single_write=True) as uow:
        create(uow.meetings, db.jane(), key="one")
        with pytest.raises(Exception, match="SAVEPOINT"):
            uow.users.save(UserProfile(TEAM, "UNEW"))


def test_a_single_write_unit_books_as_the_save_does(db: Db) -> None:
    """The Save's unit (`single_write`; on PostgreSQL its statements run on psycopg's
    connection, a session opened only when needed): the key lookup, the record read and
    the booking. The same form saved again finds its meeting by the key; a Save whose key
    another stored between its lookup and its write gets that meeting back; a record of
    another workspace is refused and nothing is written."""

    def single() -> SqlUnitOfWork:
        return SqlUnitOfWorkFactory(db.sessions)(single_write=True)

    jane = db.jane()
    with single() as uow:
        assert uow.meetings.by_idempotency_key(TEAM, "k-save") is None
        assert uow.records.get(TEAM, jane) is not None
        meeting, created = create(uow.meetings, jane, key="k-save")
        uow.commit()
    assert created and meeting == db.meetings.get(TEAM, meeting.id)
    with single() as uow:
        assert uow.meetings.by_idempotency_key(TEAM, "k-save") == meeting
    # The race needs PostgreSQL: on SQLite the unit holds the write lock from its start.
    on_postgres = db.engine.dialect.name == "postgresql"
    if on_postgres:
        with single() as uow:
            assert uow.meetings.by_idempotency_key(TEAM, "k-race") is None
            with db.uow() as other:
                first, _ = create(other.meetings, jane, key="k-race")
                other.commit()
            again, created = create(uow.meetings, jane, key="k-race")
            uow.commit()
        assert not created and again == first
    import_records(db.records, "T2", CSV)
    theirs = db.records.search("T2", "Jane")[0].id
    with single() as uow, pytest.raises(LookupError):
        uow.meetings.create(
            replace(new_meeting(jane, "k-theirs"), record_ids=(jane, theirs)), lambda mid: [], []
        )
    booked = ["k-race", "k-save"] if on_postgres else ["k-save"]
    assert sorted(str(m.idempotency_key) for m in db.meetings.list_meetings(TEAM)) == booked
    assert db.jobs.stats().get("queued") == len(booked)  # each booking's one reminder job


def test_expected_records_read_as_get_reads_them_and_only_the_workspaces(db: Db) -> None:
    """`expect` (the Save names the records its checks will read) changes no answer: the
    workspace's records with their companies, None for another workspace's id, an unknown
    one or junk, whether the key's lookup read them or the first `get` did."""
    import_records(
        db.records,
        TEAM,
        "type,id,name,email,phone,timezone,associations\n"
        "company,acme,Acme,,,,\ncontact,joe,Joe,joe@x.example,,,acme\n",
    )
    import_records(db.records, "T2", CSV)
    jane, theirs = db.jane(), db.records.search("T2", "Jane")[0].id
    joe = db.records.search(TEAM, "Joe")[0].id
    plain = {rid: db.records.get(TEAM, rid) for rid in (jane, joe, theirs, 999_999)}
    joes = plain[joe]
    assert joes is not None and joes.company == "Acme"
    assert plain[theirs] is None and plain[999_999] is None
    for lookup_first in (True, False):
        with SqlUnitOfWorkFactory(db.sessions)(single_write=True) as uow:
            uow.records.expect(TEAM, [jane, joe, theirs, 999_999, jane])
            if lookup_first:
                assert uow.meetings.by_idempotency_key(TEAM, f"k-expect-{lookup_first}") is None
            assert {rid: uow.records.get(TEAM, rid) for rid in plain} == plain
            assert uow.records.get("T2", theirs) is not None  # T2's, asked as T2
            meeting, created = create(uow.meetings, joe, key=f"k-expect-{lookup_first}")
            uow.commit()
        assert created and meeting.record_ids == [joe]


def test_a_save_on_postgresql_takes_two_round_trips(migrated_url: str) -> None:
    """The Save's unit: its key lookup carries the records it expects (one round trip),
    the checks read them from there, and the booking is one statement: two in all,
    counted on the wire (bench.pg_proxy), after a first Save has warmed the pool."""
    from bench.pg_proxy import RoundTripProxy

    if not migrated_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's statements on the wire")
    with RoundTripProxy(migrated_url) as proxy:
        engine = make_engine(proxy.url)
        sessions = make_session_factory(engine)
        try:
            records = SqlRecordRepository(sessions)
            import_records(records, TEAM, CSV)
            jane = records.search(TEAM, "Jane")[0].id

            def save(key: str) -> None:
                with SqlUnitOfWorkFactory(sessions)(single_write=True) as uow:
                    uow.records.expect(TEAM, [jane, jane])
                    assert uow.meetings.by_idempotency_key(TEAM, key) is None
                    assert uow.records.get(TEAM, jane) is not None
                    _, created = create(uow.meetings, jane, key=key)
                    uow.commit()
                assert created

            save("k-warm")
            before = proxy.round_trips
            save("k-counted")
            assert proxy.round_trips - before == 2
        finally:
            engine.dispose()
