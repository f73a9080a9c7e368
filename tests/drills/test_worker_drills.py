"""Worker drills on PostgreSQL, with real `meetline worker` processes: killed with SIGKILL
in the middle of a batch, and the database restarting under a running worker.
Afterwards every reminder mail must have arrived, and only once.

The SMTP sink acts at a precise point of the SMTP conversation (it is the one thing
the worker waits on), which makes "in the middle of a batch" exact and repeatable.
A lease left behind by a dead worker expires after 300 s; instead of waiting, a worker
in this process runs with its clock 301 s ahead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from bench.bench_jobs import worker_env
from bench.seed import expected_keys, queue_reminder_mails, seed_meetings
from bot.settings import Settings
from bot.wiring import build_services, build_worker
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import JobModel
from tests.support.clock import MutableClock
from tests.support.server import REPO, free_port
from tests.support.smtp_sink import SmtpSink

MEETINGS, ATTENDEES = 8, 10  # 80 reminder mails; the worker claims 10 at a time
KILL_AT = 25  # the 25th mail: the 5th of the 3rd batch


def statuses(url: str) -> Counter[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return Counter(
                dict(
                    conn.execute(select(JobModel.status, func.count()).group_by(JobModel.status))
                    .tuples()
                    .all()
                )
            )
    finally:
        engine.dispose()


def seeded(url: str) -> set[tuple[str, str]]:
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    meetings = seed_meetings(sessions, MEETINGS, ATTENDEES)
    queue_reminder_mails(sessions, meetings, ATTENDEES)
    engine.dispose()
    return expected_keys(meetings, ATTENDEES)


def start_worker(url: str, sink: SmtpSink, log: Path, *args: str) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker", *args],
        env=worker_env(url, sink.url),
        cwd=REPO,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    return proc


def after_lease_expiry(url: str, sink: SmtpSink) -> None:
    """A worker whose clock is past the dead worker's lease (300 s) runs what is due."""
    clock = MutableClock(datetime.now(UTC) + timedelta(seconds=301))
    services = build_services(
        Settings(DATABASE_URL=url, SMTP_URL=sink.url, MAIL_FROM="meetline@meetline.example"),
        clock=clock,
    )
    try:
        build_worker(services).run_once()
    finally:
        services.engine.dispose()


def wait_until(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return
        except OperationalError:  # our own look at the database, while it is down
            pass
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def missing_and_twice(
    sink: SmtpSink, expected: set[tuple[str, str]]
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], int]]:
    return sorted(expected - set(sink.counts)), sink.duplicates()


# ------------------------------------------------------------------ SIGKILL


def test_a_worker_killed_mid_batch_loses_no_mail_and_sends_none_twice(
    pg_url: str, tmp_path: Path
) -> None:
    expected = seeded(pg_url)
    with SmtpSink(keep=False) as sink:
        victim: list[subprocess.Popen[bytes]] = []

        def kill_before_the_server_takes_it(number: int) -> str | None:
            if number == KILL_AT:
                os.kill(victim[0].pid, signal.SIGKILL)
                return "421 4.3.2 Service shutting down"
            return None

        sink.on_mail_from = kill_before_the_server_takes_it
        victim.append(start_worker(pg_url, sink, tmp_path / "worker-1.log"))
        assert victim[0].wait(timeout=90) == -signal.SIGKILL
        mid = statuses(pg_url)
        assert mid["done"] == KILL_AT - 1 and mid["running"] > 0 and mid["queued"] > 0, (
            mid
        )  # killed mid-batch

        sink.on_mail_from = None
        second = start_worker(pg_url, sink, tmp_path / "worker-2.log", "--once")
        assert second.wait(timeout=90) == 0, (tmp_path / "worker-2.log").read_text()
        assert (
            statuses(pg_url)["running"] == mid["running"]
        )  # the dead worker's lease still holds them
        after_lease_expiry(pg_url, sink)

    assert statuses(pg_url) == Counter(done=len(expected))
    missing, twice = missing_and_twice(sink, expected)
    assert missing == [] and twice == {}
    assert sink.total == len(expected)


def test_a_worker_killed_after_the_server_took_the_mail_loses_none(
    pg_url: str, tmp_path: Path
) -> None:
    """The worker dies between the SMTP server's 250 and the job's completion: nothing
    is lost; the one mail in flight is sent again once its lease expires."""
    expected = seeded(pg_url)
    with SmtpSink(keep=False) as sink:
        victim: list[subprocess.Popen[bytes]] = []

        def kill_once_accepted(total: int) -> None:
            if total == KILL_AT:
                os.kill(victim[0].pid, signal.SIGKILL)

        sink.on_data = kill_once_accepted
        victim.append(start_worker(pg_url, sink, tmp_path / "worker-1.log"))
        assert victim[0].wait(timeout=90) == -signal.SIGKILL
        sink.on_data = None
        second = start_worker(pg_url, sink, tmp_path / "worker-2.log", "--once")
        assert second.wait(timeout=90) == 0
        after_lease_expiry(pg_url, sink)

    assert statuses(pg_url) == Counter(done=len(expected))
    missing, twice = missing_and_twice(sink, expected)
    assert missing == []
    assert len(twice) <= 1  # at most the one mail in flight
    if twice:
        pytest.xfail(
            f"KNOWN GAP (at-least-once): {twice} was mailed twice. The SMTP server took the mail, the "
            "worker died before complete(), the job ran again after its lease. Every retry also gets a "
            "new random Message-ID (adapters/smtp_mail.py make_msgid), so mail clients cannot "
            "de-duplicate it either; a Message-ID derived from the job's dedupe key would let them."
        )


# ------------------------------------------------------------------ the database restarts


def _postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "pg_ctl").exists():
            return candidate
    return None


class PrivatePostgres:
    """A throwaway PostgreSQL server of our own on a free port: restarting it disturbs
    nobody else's tests on a shared machine (unlike restarting the shared server)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.datadir = Path(tempfile.mkdtemp(prefix="meetline-drill-pg-"))
        self._as_postgres = os.geteuid() == 0  # the server refuses to run as root
        if self._as_postgres:
            shutil.chown(self.datadir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.datadir), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        # The server outlives pg_ctl: it must not inherit our pipes (hence -l and DEVNULL).
        subprocess.run(
            command,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-l",
            str(self.datadir / "server.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-l",
            str(self.datadir / "server.log"),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.datadir, ignore_errors=True)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    if os.environ.get("MEETLINE_DRILL_PG_RESTART") != "1":
        pytest.skip("set MEETLINE_DRILL_PG_RESTART=1 to restart PostgreSQL under a running worker")
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = PrivatePostgres(bindir)
    try:
        admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE drill"))
        admin.dispose()
        yield server
    finally:
        server.destroy()


def test_the_database_restarting_under_a_running_worker_loses_and_repeats_nothing(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    """The server restarts while the worker is in the middle of a job (talking to the
    mail server); the worker reconnects and goes on, every mail exactly once."""
    url = private_pg.url.rsplit("/", 1)[0] + "/drill"
    expected = seeded(url)
    with SmtpSink(keep=False) as sink:

        def restart_the_database(number: int) -> str | None:
            if number == 20:
                private_pg.restart()
            return None

        sink.on_mail_from = restart_the_database
        worker = start_worker(url, sink, tmp_path / "worker.log")
        try:
            wait_until(
                lambda: sink.total >= len(expected) or worker.poll() is not None, timeout=120
            )
            wait_until(lambda: statuses(url)["done"] == len(expected), timeout=30)
            assert worker.poll() is None, "the worker died with the database"
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    missing, twice = missing_and_twice(sink, expected)
    assert missing == [] and twice == {}


def test_a_database_outage_between_the_mail_and_its_completion_loses_nothing(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    """The database goes down while a mail is on its way and stays down for a few
    seconds: the worker survives, carries on when the database is back (completing the
    mail it had sent: handlers.worker retries a completion for 30 s), and the jobs it
    held come back after their lease. Nothing is lost or sent twice."""
    url = private_pg.url.rsplit("/", 1)[0] + "/drill"
    expected = seeded(url)
    with SmtpSink(keep=False) as sink:

        def outage(number: int) -> str | None:
            if number == 20:
                private_pg.stop()
                threading.Timer(3.0, private_pg.start).start()
            return None

        sink.on_mail_from = outage
        worker = start_worker(url, sink, tmp_path / "worker.log")
        try:
            wait_until(lambda: statuses(url)["queued"] == 0, timeout=120)
            wait_until(lambda: sink.total >= len(expected) - statuses(url)["running"], timeout=60)
            assert worker.poll() is None, "the worker died with the database"
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        after_lease_expiry(url, sink)
    assert statuses(url) == Counter(done=len(expected))
    missing, twice = missing_and_twice(sink, expected)
    assert missing == []
    assert len(twice) <= 1
    if twice:
        pytest.xfail(
            f"KNOWN GAP (at-least-once): {twice} was mailed twice. The database was down for "
            "longer than the worker retries a completion (30 s) after the mail was accepted; "
            "the job stayed leased and ran again."
        )
