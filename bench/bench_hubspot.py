"""The record picker over records synced from HubSpot, against the same records imported
from a CSV (the baseline), on SQLite; and how fast the first sync brings them.

A `FakeHubSpot` on loopback holds a CRM of 10,000 contacts with their companies, deals
and tickets (`bench.dataset`, associations included). The first sync runs as it does in
production: `CRM_SYNC` jobs on the SQL job queue, run by a `Worker`, through
`adapters/hubspot.py` over real HTTP into `SqlRecordRepository`. Then the record picker
(`records.search(team, q, limit=50)`) answers the same queries over the synced
database and over one where the same rows were imported as a CSV, interleaved; the
target is a p99 within 1.25x of the imported records' (HubSpot's records are searched
locally, so they should be as fast as local ones).
"""

from __future__ import annotations

import logging
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.hubspot import HubSpotClient, HubSpotRecordSource
from bench.common import Row, percentile
from bench.dataset import Sizes, build, queries
from handlers.clock import SystemClock
from handlers.crm_sync import CrmSyncQueue, SyncRecords
from handlers.domain import RecordKind, RecordRow
from handlers.i18n import Translator, translator
from handlers.jobs import JobKind
from handlers.worker import Worker
from storage.crm_connections import SqlCrmConnections
from storage.crypto import SecretBox
from storage.db import make_engine, make_session_factory
from storage.jobs import SqlJobQueue
from storage.migrate import upgrade
from storage.records import SqlRecordRepository
from tests.support.fake_hubspot import FakeHubSpot

TEAM = "T0001"
TOKEN = "pat-bench"
FULL_SIZES = Sizes(10_000, 2_000, 2_000, 1_000)
QUICK_SIZES = Sizes(2_000, 400, 400, 200)
RATIO_TARGET = 1.25
BENCH_KEY = "bench-only-key-Zq8vN3xK7pL2mR5tW9yB4cF6hJ1dG0sA"
log = logging.getLogger(__name__)

PLURAL = {
    RecordKind.CONTACT: "contacts",
    RecordKind.COMPANY: "companies",
    RecordKind.DEAL: "deals",
    RecordKind.TICKET: "tickets",
}


def _properties(row: RecordRow) -> dict[str, str]:
    if row.kind is RecordKind.CONTACT:
        first, _, last = row.name.partition(" ")
        props = {"firstname": first, "lastname": last}
        if row.timezone:
            props["hs_timezone"] = row.timezone.lower().replace("/", "_slash_")
    elif row.kind is RecordKind.COMPANY:
        props = {"name": row.name}
    elif row.kind is RecordKind.DEAL:
        props = {"dealname": row.name}
    else:
        props = {"subject": row.name}
    if row.email:
        props["email"] = row.email
    if row.phone:
        props["phone"] = row.phone
    return props


def _fill(fake: FakeHubSpot, rows: list[RecordRow]) -> None:
    at = datetime.now(UTC) - timedelta(days=1)
    ids = {r.external_id: fake.put(PLURAL[r.kind], _properties(r), at=at) for r in rows}
    kinds = {r.external_id: r.kind for r in rows}
    for r in rows:
        for other in r.associations:
            fake.associate(PLURAL[r.kind], ids[r.external_id], PLURAL[kinds[other]], ids[other])


class _Silent:
    def notify_user(self, team_id: str, user_id: str, text: str) -> None:
        pass


def _sync(url: str, fake: FakeHubSpot) -> tuple[SqlRecordRepository, float, int]:
    """The first sync as production runs it; (repository, seconds, pages)."""
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    clock = SystemClock()
    records = SqlRecordRepository(sessions)
    crm = SqlCrmConnections(sessions, SecretBox(BENCH_KEY))
    crm.save(TEAM, "hubspot", TOKEN, "U1", clock.now())
    jobs = SqlJobQueue(sessions, engine.dialect.name)

    def t_for(team_id: str, user_id: str) -> Translator:
        return translator("en")

    sync = SyncRecords(
        records,
        lambda team: HubSpotRecordSource(HubSpotClient(TOKEN, fake.url)),
        crm,
        jobs,
        clock,
        _Silent(),
        t_for,
    )
    worker = Worker(jobs, {JobKind.CRM_SYNC: sync.run}, clock)
    started = time.perf_counter()
    CrmSyncQueue(jobs, crm, clock).start(TEAM, "U1")
    pages = 0
    while (stats := worker.run_once()).total:
        pages += stats.done
    return records, time.perf_counter() - started, pages


def run(quick: bool = False) -> dict[str, Any]:
    sizes = QUICK_SIZES if quick else FULL_SIZES
    rows = build(sizes)
    qs = queries(rows, 150 if quick else 400)
    out: dict[str, Any] = {"records": sizes.total, "queries": len(qs)}
    with tempfile.TemporaryDirectory(prefix="meetline-bench-") as tmp, FakeHubSpot() as fake:
        fake.grant(TOKEN)
        _fill(fake, rows)
        synced, seconds, pages = _sync(f"sqlite:///{Path(tmp) / 'synced.db'}", fake)
        local_url = f"sqlite:///{Path(tmp) / 'local.db'}"
        upgrade(local_url)
        local = SqlRecordRepository(make_session_factory(make_engine(local_url)))
        local.import_rows(TEAM, rows)
        for _, q in qs[:20]:  # warm both, as a running server is
            synced.search(TEAM, q, limit=50)
            local.search(TEAM, q, limit=50)
        times: dict[str, list[float]] = {"synced": [], "local": []}
        for _, q in qs:  # interleaved: load on the machine hits both alike
            for name, repo in (("synced", synced), ("local", local)):
                t0 = time.perf_counter()
                repo.search(TEAM, q[:200], limit=50)
                times[name].append((time.perf_counter() - t0) * 1000)
    p99 = {name: round(percentile(t, 99), 2) for name, t in times.items()}
    out |= {
        "sync_seconds": round(seconds, 1),
        "sync_pages": pages,
        "records_per_second": round(sizes.total / seconds, 1),
        "p99_ms": p99,
        "p50_ms": {name: round(percentile(t, 50), 2) for name, t in times.items()},
    }
    log.info("hubspot: %s", out)
    out["rows"] = [
        Row(
            metric=f"Record picker p99 over HubSpot-synced records, sqlite ({sizes.total:,})",
            value=p99["synced"],
            unit="ms",
            baseline=p99["local"],
            baseline_name="same records imported from CSV",
            target=f"<= {RATIO_TARGET:.2f}x imported",
            passed=p99["synced"] <= RATIO_TARGET * p99["local"],
        ).as_dict(),
        Row(
            metric=f"HubSpot first sync, records a second ({sizes.total:,}, fake HubSpot)",
            value=round(sizes.total / seconds, 1),
            unit="records/s",
        ).as_dict(),
    ]
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
