"""10,000 fuzzed Slack requests against one running `meetline serve` (over one keep-alive
connection), and 10,000 fuzzed CSV rows through the records import: no 5xx, no
traceback in any reply, nothing stored."""

from __future__ import annotations

import http.client
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from handlers.domain import ImportRejected
from handlers.records_csv import COLUMNS, import_records
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import (
    JobModel,
    MeetingModel,
    RecordAssociationModel,
    RecordModel,
    RecordSearchModel,
    TimelineEntryModel,
)
from storage.records import SqlRecordRepository
from tests.drills.fuzz import Fuzzer
from tests.support.server import run_cli
from tests.support.slack_requests import sign
from tests.support.stack import Stack

# Concurrent requests against one served app: locking differs on PostgreSQL.
pytestmark = pytest.mark.both_databases

SLACK_CASES = int(os.environ.get("MEETLINE_FUZZ_SLACK_CASES", "10000"))
CSV_ROWS = int(os.environ.get("MEETLINE_FUZZ_CSV_ROWS", "10000"))
CONNECTIONS = 16  # like Slack, many requests at once (and `meetline serve` has 16 threads)
SECRET = "test-signing-secret-0123456789"
DOMAIN_TABLES = (
    MeetingModel,
    JobModel,
    TimelineEntryModel,
    RecordModel,
    RecordAssociationModel,
    RecordSearchModel,
)


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                m.__tablename__: conn.execute(select(func.count()).select_from(m)).scalar_one()
                for m in DOMAIN_TABLES
            }
    finally:
        engine.dispose()


class KeepAlive:
    """One HTTP/1.1 connection, reopened only when the server closes it."""

    def __init__(self, base_url: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self._address = (host, int(port))
        self._conn: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in range(2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(*self._address, timeout=30)
                self.reconnects += 1
            try:
                self._conn.request("POST", "/slack/events", body=body, headers=headers)
                resp = self._conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                self._conn.close()
                self._conn = None
                if attempt:
                    raise
                continue
            if resp.getheader("Connection", "").lower() == "close":
                self._conn.close()
                self._conn = None
            return resp.status, data
        raise AssertionError("unreachable")


@dataclass
class FuzzRun:
    cases: int
    seconds: float
    statuses: Counter[int]
    tracebacks: list[tuple[int, int, bytes, bytes]]
    server_errors: list[tuple[int, int, bytes, bytes]]
    slow: list[tuple[int, int, float, bytes]]
    before: dict[str, int]
    after: dict[str, int]
    server_alive: bool


@pytest.fixture(scope="module")
def fuzz_run(drill_stack: Stack) -> FuzzRun:
    """Post every fuzzed request once (over CONNECTIONS keep-alive connections, as Slack
    sends concurrently), and keep what each test below checks."""
    url = drill_stack.env["DATABASE_URL"]
    before = counts(url)
    fuzz = Fuzzer(seed=20260808)
    cases = [fuzz.request() for _ in range(SLACK_CASES)]
    results: list[tuple[int, bytes, float]] = [(0, b"", 0.0)] * len(cases)

    def worker(offset: int) -> None:
        client = KeepAlive(drill_stack.serve.url)
        for case in range(offset, len(cases), CONNECTIONS):
            body, content_type = cases[case]
            headers = {"Content-Type": content_type, **sign(SECRET, body)}
            if case % 20 == 0:  # now and then a broken signature on top
                headers["X-Slack-Signature"] = headers["X-Slack-Signature"][:-4] + "beef"
            t0 = time.monotonic()
            status, reply = client.post(body, headers)
            results[case] = (status, reply, time.monotonic() - t0)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    time.sleep(1)  # listeners run on after the ack
    run = FuzzRun(
        cases=len(cases),
        seconds=seconds,
        statuses=Counter(status for status, _, _ in results),
        tracebacks=[
            (i, s, cases[i][0][:300], r[:300])
            for i, (s, r, _) in enumerate(results)
            if b"Traceback" in r or b'File "' in r
        ],
        server_errors=[
            (i, s, cases[i][0][:300], r[:300]) for i, (s, r, _) in enumerate(results) if s >= 500
        ],
        slow=[
            (i, s, round(t, 2), cases[i][0][:300])
            for i, (s, _, t) in enumerate(results)
            if t >= 2.9
        ],
        before=before,
        after=counts(url),
        server_alive=drill_stack.serve.proc.poll() is None,
    )
    print(
        f"\n{run.cases} fuzzed requests in {run.seconds:.1f} s: {dict(run.statuses)}; "
        f"{len(run.server_errors)} 5xx, {len(run.slow)} answered after 3 s"
    )
    return run


def test_fuzzed_slack_requests_store_nothing_and_never_show_a_traceback(fuzz_run: FuzzRun) -> None:
    assert fuzz_run.statuses.get(0, 0) == 0, "some requests got no answer"
    assert fuzz_run.tracebacks == [], fuzz_run.tracebacks[:5]
    assert fuzz_run.server_alive
    assert fuzz_run.after == fuzz_run.before


def test_fuzzed_slack_requests_get_no_5xx(fuzz_run: FuzzRun) -> None:
    assert fuzz_run.server_errors == [], (len(fuzz_run.server_errors), fuzz_run.server_errors[:5])


def test_fuzzed_slack_requests_are_answered_within_3_seconds(fuzz_run: FuzzRun) -> None:
    assert fuzz_run.slow == [], (len(fuzz_run.slow), fuzz_run.slow[:5])


def _csv_files(fuzz: Fuzzer, rows: int) -> list[tuple[str, int]]:
    """(file text, rows in it): each file holds at least one row that must be refused."""
    files = []
    left = rows
    while left > 0:
        n = min(left, fuzz.rng.randint(1, 40))
        taken: set[str] = set()
        lines = [",".join(COLUMNS)]
        bad_at = fuzz.rng.randrange(n)
        for i in range(n):
            lines.append(
                fuzz.bad_csv_row(taken)
                if i == bad_at or fuzz.rng.random() < 0.3
                else fuzz.random_csv_row(taken)
            )
        files.append(("\r\n".join(lines) + fuzz.rng.choice(["", "\n", "\r\n"]), n))
        left -= n
    return files


def test_fuzzed_csv_rows_are_refused_by_line_and_import_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fuzz-import.db'}"
    upgrade(url)
    engine = make_engine(url)
    repo = SqlRecordRepository(make_session_factory(engine))
    import_records(
        repo, "T1", "type,id,name,email,phone,timezone,associations\ncompany,acme,Acme,,,,\n"
    )
    before = counts(url)
    fuzz = Fuzzer(seed=5150)
    files = _csv_files(fuzz, CSV_ROWS)
    assert sum(n for _, n in files) == CSV_ROWS
    for text, _ in files:
        lines = text.count("\n") + text.count("\r") - text.count("\r\n") + 1
        with pytest.raises(ImportRejected) as refused:
            import_records(repo, "T1", text)
        assert refused.value.errors, text
        assert all(1 < e.line <= lines + 1 for e in refused.value.errors), (
            refused.value.errors,
            text,
        )
    assert counts(url) == before
    engine.dispose()


def test_fuzzed_csv_files_through_the_command_line_exit_2_with_one_line_reasons(
    drill_stack: Stack, tmp_path: Path
) -> None:
    url = drill_stack.env["DATABASE_URL"]
    before = counts(url)
    fuzz = Fuzzer(seed=77)
    for i, (text, _) in enumerate(_csv_files(fuzz, 60)[:3]):
        path = tmp_path / f"fuzz-{i}.csv"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = run_cli(["import", str(path)], drill_stack.env, drill_stack.workdir)
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("meetline: ")
    assert counts(url) == before
