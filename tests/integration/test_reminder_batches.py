"""Reminder mails run in batches (Worker's batch scope, Deliveries.batch): each batch's
meetings are read together and its mails share one connection to the mail server,
and still every reminder arrives exactly once, worded for its own meeting."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from bench.seed import expected_keys, queue_reminder_mails, seed_meetings
from bot.settings import Settings
from bot.wiring import build_services, build_worker
from storage.db import make_engine, make_session_factory
from storage.models import JobModel
from tests.support.smtp_sink import SmtpSink

MEETINGS, ATTENDEES = 3, 10  # 30 mails: a batch of 25, then one of 5


def test_reminder_mails_go_out_once_each_over_one_connection_per_batch(
    migrated_url: str,
) -> None:
    engine = make_engine(migrated_url)
    sessions = make_session_factory(engine)
    meetings = seed_meetings(sessions, MEETINGS, ATTENDEES)
    queue_reminder_mails(sessions, meetings, ATTENDEES)
    with SmtpSink(keep=False) as sink:
        services = build_services(
            Settings(
                DATABASE_URL=migrated_url,
                SMTP_URL=sink.url,
                MAIL_FROM="meetline@meetline.example",
            )
        )
        try:
            stats = build_worker(services).run_once()
        finally:
            services.engine.dispose()
    assert stats.done == MEETINGS * ATTENDEES
    assert set(sink.counts) == expected_keys(meetings, ATTENDEES) and sink.duplicates() == {}
    assert sink.connections == 2  # one per batch, not one per mail
    with sessions() as session:
        rows = session.execute(select(JobModel.status, func.count()).group_by(JobModel.status))
        statuses = Counter(dict(rows.tuples().all()))
    engine.dispose()
    assert statuses == Counter(done=MEETINGS * ATTENDEES)
