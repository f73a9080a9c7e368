"""The whole app as a user meets it: `meetline serve` over HTTP, a fake Slack, a real
SMTP server, and a database; plus the worker run in-process under a test clock."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.services import Services
from bot.settings import Settings
from bot.wiring import build_services, build_worker
from handlers.worker import RunStats
from tests.support.clock import MutableClock
from tests.support.fake_slack import FakeSlack
from tests.support.server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    ServeProcess,
    clean_env,
    run_cli,
)
from tests.support.slack_requests import SlackClientSim
from tests.support.smtp_sink import SmtpSink

RECORDS_CSV = """type,id,name,email,phone,timezone,associations,language
company,acme,Acme Sp. z o.o.,,+48 22 123 45 67,Europe/Warsaw,,
contact,jane,Jane Doe,jane@acme.example,,America/New_York,acme,
contact,john,John Nomail,,+48 600 100 200,Europe/Warsaw,acme,
contact,zofia,Zofia Żółć,zofia@acme.example,,Europe/Warsaw,acme,pl
deal,d1,Acme renewal 2027,,,,acme;jane;john,
ticket,t1,Login problem,,,,jane,
"""

TEAM = "T0001"  # FakeSlack's workspace
HOST = "U1"
TEAMMATE = "U2"
GONE = "U3"


@dataclass
class Stack:
    slack: FakeSlack
    smtp: SmtpSink
    serve: ServeProcess
    client: SlackClientSim
    services: Services
    clock: MutableClock
    env: dict[str, str]
    workdir: Path

    def run_worker(self) -> RunStats:
        """Run due jobs at the test clock's time (never before the real now: the serving
        process stamps new jobs with its real clock)."""
        self.clock.set(max(self.clock.now(), datetime.now(UTC)))
        return build_worker(self.services).run_once()

    def cli(self, *args: str) -> Any:
        """`meetline ARGS` as the operator would run it next to the served app."""
        return run_cli(list(args), self.env, self.workdir)

    def meetings_json(self) -> list[dict[str, Any]]:
        result = self.cli("meetings", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    def record_id(self, name: str) -> int:
        found = self.services.records.search("T0001", name, limit=1)
        assert found, name
        return found[0].id

    def wait_until(self, predicate: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError("condition not met in time")


def seed_records(database_url: str, workdir: Path) -> None:
    """Migrate and import RECORDS_CSV for TEAM with `meetline import`, as an operator would."""
    csv_path = workdir / "records.csv"
    csv_path.write_text(RECORDS_CSV, encoding="utf-8")
    imported = run_cli(
        ["import", str(csv_path), "--team", TEAM],
        clean_env({"DATABASE_URL": database_url}),
        workdir,
    )
    assert imported.returncode == 0, imported.stderr


@contextmanager
def running_stack(
    database_url: str,
    workdir: Path,
    extra: Mapping[str, str] | None = None,
    *,
    seeded: bool = False,
) -> Iterator[Stack]:
    """`extra`: more settings for both the served app and the in-process services.
    `seeded`: the database already holds RECORDS_CSV (conftest's `seeded_url`); else it
    is migrated and seeded here."""
    extra = dict(extra or {})
    with FakeSlack() as slack, SmtpSink() as smtp:
        slack.add_user(
            HOST,
            name="anna",
            real_name="Anna Host",
            email="anna@meetline.example",
            tz="Europe/Warsaw",
        )
        slack.add_user(
            TEAMMATE,
            name="bob",
            real_name="Bob Mate",
            email="bob@meetline.example",
            tz="Europe/London",
        )
        slack.add_user(
            GONE, name="gone", real_name="Gone User", email="gone@meetline.example", deleted=True
        )
        env = clean_env(
            {
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_API_URL": slack.url,
                "DATABASE_URL": database_url,
                "SMTP_URL": smtp.url,
                "MAIL_FROM": "Meetline <meetline@meetline.example>",
                **extra,
            }
        )
        if not seeded:
            seed_records(database_url, workdir)
        clock = MutableClock()
        settings = Settings(
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_API_URL=slack.url,
            DATABASE_URL=database_url,
            SMTP_URL=smtp.url,
            MAIL_FROM="meetline@meetline.example",
            **extra,
        )
        services = build_services(settings, clock=clock)
        with ServeProcess(env, workdir, ["--no-worker"]) as serve:
            try:
                yield Stack(
                    slack,
                    smtp,
                    serve,
                    SlackClientSim(serve.url, SIGNING_SECRET),
                    services,
                    clock,
                    env,
                    workdir,
                )
            finally:
                services.engine.dispose()
