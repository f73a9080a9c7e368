"""Slack latency and memory: concurrent users running `/meet` and saving the modal
against `meetline serve` (PostgreSQL, `--no-worker`, the fake Slack Web API
answering), against a bare Bolt app served the same way (bench.bare_app).

Each user, in each round: sends a signed `/meet` (all users at once: a burst), and we
time the HTTP ack and the moment the fake Slack receives views.open for that
trigger_id; then the user submits the form (for Meetline a complete, valid booking
of a meeting) and we time that ack. After the load, the peak RSS (VmHWM) of both
serving processes.

The load generator, the fake Slack and the SMTP-less app share the machine; the bare
app runs under identical conditions, rounds interleaved, so the ratio holds when the
absolute numbers move with the machine's load.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import Row, cpu_seconds, percentile, postgres_available, scratch_postgres, vm_kib
from tests.e2e.forms import meet_values
from tests.support.fake_slack import FakeSlack
from tests.support.server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    ServeProcess,
    clean_env,
)
from tests.support.slack_requests import (
    FORM,
    SlackClientSim,
    interactive_body,
    new_trigger_id,
    slash_command_body,
    view_submission,
)
from tests.support.stack import seed_records

REPO = Path(__file__).resolve().parents[1]
USERS = 50
ACK_RATIO_TARGET = 1.5
SLACK_LIMIT_S = 3.0
RSS_TARGET_MIB = 256
log = logging.getLogger(__name__)


class IndexedSlack(FakeSlack):
    """The fake Slack, plus an index of views.open by trigger_id and views.update by
    view id with arrival times, so fifty waiting users do not rescan every call."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: dict[str, tuple[float, str]] = {}
        self.updated: dict[str, dict[str, Any]] = {}
        self._seen = threading.Condition()

    def _dispatch(self, method: str, args: dict[str, Any], headers: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super()._dispatch(method, args, headers)
        if payload.get("ok"):
            with self._seen:
                if method == "views.open":
                    self.opened[str(args.get("trigger_id"))] = (time.time(), payload["view"]["id"])
                elif method == "views.update" and isinstance(args.get("view"), dict):
                    self.updated[str(args.get("view_id"))] = args["view"]
                self._seen.notify_all()
        return payload

    def wait(self, lookup: Callable[[], Any], timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._seen:
            while (found := lookup()) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the fake Slack did not see the expected call")
                self._seen.wait(min(left, 0.1))
            return found


def _round(
    name: str,
    client: SlackClientSim,
    slack: IndexedSlack,
    users: list[str],
    samples: dict[str, list[float]],
    errors: list[str],
    form: Callable[[str], dict[str, Any]] | None,
) -> None:
    barrier = threading.Barrier(len(users))

    def user(user_id: str, n: int) -> None:
        trigger = new_trigger_id()
        text = "Jane Doe tomorrow 3pm 45m Demo" if n % 2 else ""
        barrier.wait()
        sent = time.time()
        resp = client.post(slash_command_body(text=text, user_id=user_id, trigger_id=trigger), FORM)
        if resp.status != 200:
            errors.append(f"{name} /meet {resp.status}")
            return
        samples["ack"].append(resp.elapsed)
        opened_at, view_id = slack.wait(lambda: slack.opened.get(trigger))
        samples["open"].append(opened_at - sent)
        view: dict[str, Any] = {}
        values: dict[str, Any] = {
            "title": {"title_input": {"type": "plain_text_input", "value": "Demo"}}
        }
        if form is not None:
            view = slack.wait(lambda: slack.updated.get(view_id)) | {"id": view_id}
            values = form(user_id)
        payload = view_submission(
            view_id,
            "meet_form",
            values,
            private_metadata=view.get("private_metadata", ""),
            view=view or None,
            user_id=user_id,
        )
        done = client.post(interactive_body(payload), FORM)
        body = done.json() if done.status == 200 else None
        if (
            done.status != 200
            or not isinstance(body, dict)
            or body.get("response_action") != "update"
        ):
            errors.append(f"{name} submission {done.status} {done.text[:200]}")
            return
        samples["submit"].append(done.elapsed)

    threads = [threading.Thread(target=user, args=(u, i)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)


def run(quick: bool = False) -> dict[str, Any]:
    rounds = 1 if quick else 4
    results: dict[str, Any] = {"users": USERS, "rounds": rounds}
    if not postgres_available():
        results["skipped"] = "no PostgreSQL server (set BENCH_DATABASE_URL)"
        results["rows"] = []
        return results
    users = [f"U{100 + i}" for i in range(USERS)]
    with (
        scratch_postgres("slack") as url,
        IndexedSlack() as slack,
        tempfile.TemporaryDirectory(prefix="meetline-bench-slack-") as tmp,
    ):
        workdir = Path(tmp)
        for i, u in enumerate(users):
            slack.add_user(
                u,
                name=f"user{i}",
                real_name=f"User {i}",
                email=f"user{i}@meetline.example",
                tz="Europe/Warsaw",
            )
        env = clean_env(
            {
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_API_URL": slack.url,
                "DATABASE_URL": url,
            }
        )
        seed_records(url, workdir)
        serve = ServeProcess(env, workdir, ["--no-worker"], fresh=True)
        # The bare app is served the same way; it lives in bench/, not in the package.
        bare = ServeProcess(
            {**env, "PYTHONPATH": str(REPO)},
            workdir,
            command=[sys.executable, "-m", "bench.bare_app"],
        )
        try:
            from sqlalchemy import create_engine, text

            engine = create_engine(url)
            with engine.connect() as conn:
                jane = conn.execute(
                    text("SELECT id FROM records WHERE external_id = 'jane'")
                ).scalar_one()
            engine.dispose()
            day = (datetime.now(ZoneInfo("Europe/Warsaw")) + timedelta(days=3)).date()

            def form(user_id: str) -> dict[str, Any]:
                return meet_values(
                    record=(f"r:{jane}", "Contact: Jane Doe"),
                    day=day,
                    at="10:30",
                    duration="45",
                    title=f"Demo {user_id} {time.time_ns()}",
                    attendees=[(f"c:{jane}", "Jane Doe")],
                    reminders=[("1", "days")],
                )

            samples: dict[str, dict[str, list[float]]] = {
                app: {"ack": [], "open": [], "submit": []} for app in ("meetline", "bare")
            }
            errors: list[str] = []
            clients = {
                "meetline": SlackClientSim(serve.url, SIGNING_SECRET),
                "bare": SlackClientSim(bare.url, SIGNING_SECRET),
            }
            # One warm-up round each (imports, pools, caches), not measured.
            _round(
                "bare",
                clients["bare"],
                slack,
                users[:5],
                {"ack": [], "open": [], "submit": []},
                [],
                None,
            )
            _round(
                "meetline",
                clients["meetline"],
                slack,
                users[:5],
                {"ack": [], "open": [], "submit": []},
                [],
                form,
            )
            cpu_before = {
                "meetline": cpu_seconds(serve.proc.pid),
                "bare": cpu_seconds(bare.proc.pid),
            }
            for _ in range(rounds):
                _round("bare", clients["bare"], slack, users, samples["bare"], errors, None)
                _round(
                    "meetline", clients["meetline"], slack, users, samples["meetline"], errors, form
                )
            cpu = {
                app: round(
                    ((cpu_seconds(proc.pid) or 0) - (cpu_before[app] or 0))
                    * 1000
                    / (rounds * USERS),
                    1,
                )
                for app, proc in (("meetline", serve.proc), ("bare", bare.proc))
            }
            memory = {
                "meetline_vmhwm_kib": vm_kib(serve.proc.pid, "VmHWM"),
                "meetline_vmrss_kib": vm_kib(serve.proc.pid, "VmRSS"),
                "bare_vmhwm_kib": vm_kib(bare.proc.pid, "VmHWM"),
            }
        finally:
            serve.stop()
            bare.stop()
    stats = {
        app: {
            kind: {
                "n": len(v),
                "p50_ms": round(percentile(v, 50) * 1000, 1),
                "p99_ms": round(percentile(v, 99) * 1000, 1),
            }
            for kind, v in kinds.items()
        }
        for app, kinds in samples.items()
    }
    results |= {
        "latency": stats,
        "errors": errors[:20],
        "error_count": len(errors),
        "memory": memory,
        "server_cpu_ms_per_user_round": cpu,
    }
    m, b = stats["meetline"], stats["bare"]
    label = f"@{USERS} concurrent users"
    table = [
        Row(
            f"/meet ack p50 {label}", m["ack"]["p50_ms"], "ms", b["ack"]["p50_ms"], "bare Bolt app"
        ),
        Row(
            f"/meet ack p99 {label}",
            m["ack"]["p99_ms"],
            "ms",
            b["ack"]["p99_ms"],
            "bare Bolt app",
            f"<= {ACK_RATIO_TARGET}x bare and < 3 s",
            m["ack"]["p99_ms"] <= ACK_RATIO_TARGET * b["ack"]["p99_ms"]
            and m["ack"]["p99_ms"] < SLACK_LIMIT_S * 1000,
        ),
        Row(
            f"views.open p50 {label}",
            m["open"]["p50_ms"],
            "ms",
            b["open"]["p50_ms"],
            "bare Bolt app",
        ),
        Row(
            f"views.open p99 {label}",
            m["open"]["p99_ms"],
            "ms",
            b["open"]["p99_ms"],
            "bare Bolt app",
            "< 3 s (trigger_id lifetime)",
            m["open"]["p99_ms"] < SLACK_LIMIT_S * 1000,
        ),
        Row(
            f"Save (view_submission) ack p50 {label}",
            m["submit"]["p50_ms"],
            "ms",
            b["submit"]["p50_ms"],
            "bare Bolt app (fixed reply)",
        ),
        Row(
            f"Save (view_submission) ack p99 {label}",
            m["submit"]["p99_ms"],
            "ms",
            b["submit"]["p99_ms"],
            "bare Bolt app (fixed reply)",
            "< 3 s",
            m["submit"]["p99_ms"] < SLACK_LIMIT_S * 1000,
        ),
        Row("Server CPU per /meet + Save", cpu["meetline"], "ms", cpu["bare"], "bare Bolt app"),
        Row(
            "Requests failed or answered wrongly",
            len(errors),
            "requests",
            None,
            "",
            "0",
            not errors,
        ),
    ]
    hwm, bare_hwm = memory["meetline_vmhwm_kib"], memory["bare_vmhwm_kib"]
    if hwm:
        table.append(
            Row(
                "Peak RSS of meetline serve after the load",
                round(hwm / 1024, 1),
                "MiB",
                round(bare_hwm / 1024, 1) if bare_hwm else None,
                "bare Bolt app",
                f"< {RSS_TARGET_MIB} MiB",
                hwm / 1024 < RSS_TARGET_MIB,
            )
        )
    results["rows"] = [r.as_dict() for r in table]
    return results


if __name__ == "__main__":
    import json

    logging.basicConfig(level=logging.INFO)
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, default=str))
