"""Slack latency under a burst (issue 13): concurrent users running `/meet` and saving the
modal against `meetline serve` (PostgreSQL, `--no-worker`, the fake Slack Web API
answering), against a bare Bolt app served the same way (bench.bare_app), one process
each.

Each round: every user sends a signed `/meet` at once (a burst); we time the HTTP ack,
the moment the fake Slack receives views.open for that trigger_id and, for Meetline,
the first views.update of that view (the full form). When every user has a form, the
server's CPU is read, and every user saves at once (for Meetline a complete, valid
booking of a meeting); we time that ack, wait for the Saves' confirmation DMs (sent
after the ack) and read the CPU again: CPU per /meet and per Save. After the load: the
serving process's GC pauses (`serve --gc-stats`), its peak RSS (VmHWM), and the
PostgreSQL round trips of one Save counted in this process (bench.round_trips).

The load generator, the fake Slack and both apps share the machine; the bare app runs
under identical conditions, rounds interleaved, so the ratios hold when the absolute
numbers move with the machine's load.
"""

from __future__ import annotations

import gc
import json
import logging
import math
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from waitress.server import create_server

from bench.common import Row, cpu_seconds, percentile, postgres_available, scratch_postgres, vm_kib
from bench.pg_proxy import RoundTripProxy
from bench.round_trips import RoundTrips, settle
from bot.settings import Settings
from bot.wiring import build_services, slack_app, web_app
from tests.e2e.forms import meet_values
from tests.support.fake_slack import FakeSlack
from tests.support.server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    ServeProcess,
    clean_env,
    free_port,
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
BARE = "bare Bolt app"
ACK_RATIO_TARGET = 1.2  # issue 13's targets, each against the bare app in the same run
OPEN_RATIO_TARGET = 1.5
UPDATE_RATIO_TARGET = 3.0
SAVE_RATIO_TARGET = 2.0
CPU_RATIO_TARGET = 3.0
GC_PAUSE_TARGET_MS = 10
SLACK_LIMIT_S = 3.0
RSS_TARGET_MIB = 256
ROUND_TRIPS_TARGET = 12
log = logging.getLogger(__name__)


class IndexedSlack(FakeSlack):
    """The fake Slack, plus an index of views.open by trigger_id and views.update by
    view id with arrival times, so fifty waiting users do not rescan every call."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: dict[str, tuple[float, str]] = {}
        self.updated: dict[str, dict[str, Any]] = {}
        self.first_update: dict[str, float] = {}  # view id -> when the full form arrived
        self.posted = 0  # chat.postMessage calls answered ok (the Saves' confirmation DMs)
        self._index_lock = threading.Lock()
        # One event per awaited call, so fifty waiting users are not all woken by every
        # call: in this process (the load generator's) that cost more CPU than the fake
        # Slack itself, most of it in Meetline's rounds (two or three calls per user).
        self._events: dict[str, threading.Event] = {}

    def _event(self, key: str) -> threading.Event:
        with self._index_lock:
            return self._events.setdefault(key, threading.Event())

    def _dispatch(self, method: str, args: dict[str, Any], headers: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super()._dispatch(method, args, headers)
        if payload.get("ok"):
            key = None
            with self._index_lock:
                if method == "views.open":
                    key = f"open:{args.get('trigger_id')}"
                    self.opened[str(args.get("trigger_id"))] = (time.time(), payload["view"]["id"])
                elif method == "views.update" and isinstance(args.get("view"), dict):
                    key = f"update:{args.get('view_id')}"
                    self.updated[str(args.get("view_id"))] = args["view"]
                    self.first_update.setdefault(str(args.get("view_id")), time.time())
                elif method == "chat.postMessage":
                    key = "posted"
                    self.posted += 1
            if key is not None:
                self._event(key).set()
        return payload

    def wait(self, key: str, lookup: Callable[[], Any], timeout: float = 20.0) -> Any:
        """`lookup()` once it is not None, woken by the calls for `key` ("open:<trigger
        id>", "update:<view id>", "posted")."""
        deadline = time.monotonic() + timeout
        event = self._event(key)
        while True:
            event.clear()  # a call after this sets it again; one before is in lookup()
            if (found := lookup()) is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the fake Slack did not see the expected call")
            event.wait(min(left, 1.0))


def add_users(slack: FakeSlack, users: list[str]) -> None:
    """The benchmark's users, known to the fake Slack (their profiles, zone Warsaw)."""
    for i, u in enumerate(users):
        slack.add_user(
            u,
            name=f"user{i}",
            real_name=f"User {i}",
            email=f"user{i}@meetline.example",
            tz="Europe/Warsaw",
        )


def booking_form(url: str) -> Callable[[str], dict[str, Any]]:
    """What every benchmark user saves: a complete, valid booking on Jane Doe (seeded by
    tests.support.stack) three days ahead, titled by user and time, so each is new."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        jane = conn.execute(text("SELECT id FROM records WHERE external_id = 'jane'")).scalar_one()
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

    return form


@contextmanager
def _no_collection_here() -> Iterator[None]:
    """The load generator's own garbage collector off while a round is timed, and run
    before it. The fake Slack keeps every call it answered, so by the later rounds a full
    collection in this process took 100-150 ms (measured with gc.callbacks), during which
    the fake Slack answered nobody and no simulated user read an answer: a pause of the
    measuring tool, landing on whichever app's round it fell in, and more often on the
    one making more Slack calls per user."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _round(
    name: str,
    client: SlackClientSim,
    slack: IndexedSlack,
    users: list[str],
    samples: dict[str, list[float]],
    errors: list[str],
    form: Callable[[str], dict[str, Any]] | None,
    between: Callable[[], None] = lambda: None,
) -> None:
    """Every user sends /meet at once and waits for the form (for Meetline the full form
    by views.update); then, `between` having run (a CPU reading), every user saves at once."""
    start = threading.Barrier(len(users))
    halfway = threading.Barrier(len(users) + 1)
    go = threading.Barrier(len(users) + 1)

    def meet(user_id: str, n: int) -> tuple[str, dict[str, Any]] | None:
        trigger = new_trigger_id()
        text = "Jane Doe tomorrow 3pm 45m Demo" if n % 2 else ""
        start.wait()
        sent = time.time()
        resp = client.post(slash_command_body(text=text, user_id=user_id, trigger_id=trigger), FORM)
        if resp.status != 200:
            errors.append(f"{name} /meet {resp.status}")
            return None
        samples["ack"].append(resp.elapsed)
        opened_at, view_id = slack.wait(f"open:{trigger}", lambda: slack.opened.get(trigger))
        samples["open"].append(opened_at - sent)
        if form is None:
            return view_id, {}
        view = slack.wait(f"update:{view_id}", lambda: slack.updated.get(view_id))
        view |= {"id": view_id}
        samples["update"].append(slack.first_update[view_id] - sent)
        return view_id, view

    def save_body(user_id: str, view_id: str, view: dict[str, Any]) -> bytes:
        values: dict[str, Any] = (
            form(user_id)
            if form is not None
            else {"title": {"title_input": {"type": "plain_text_input", "value": "Demo"}}}
        )
        payload = view_submission(
            view_id,
            "meet_form",
            values,
            private_metadata=view.get("private_metadata", ""),
            view=view or None,
            user_id=user_id,
        )
        return interactive_body(payload)

    def save(body: bytes) -> None:
        done = client.post(body, FORM)
        reply = done.json() if done.status == 200 else None
        if (
            done.status != 200
            or not isinstance(reply, dict)
            or reply.get("response_action") != "update"
        ):
            errors.append(f"{name} submission {done.status} {done.text[:200]}")
            return
        samples["submit"].append(done.elapsed)

    def user(user_id: str, n: int) -> None:
        body = None
        try:
            opened = meet(user_id, n)
            # Built before the burst: the load generator's own work (an 11 kB body,
            # url-encoded in Python) must not compete with the answers it times.
            body = save_body(user_id, *opened) if opened is not None else None
        finally:
            halfway.wait()
            go.wait()
        if body is not None:
            save(body)

    threads = [threading.Thread(target=user, args=(u, i)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    halfway.wait()
    between()
    go.wait()
    for t in threads:
        t.join(timeout=120)


def _pauses_since(recent: list[dict[str, Any]], since: float) -> dict[str, Any]:
    """The served app's collections from `since` on (its --gc-stats keeps them one by
    one): how many, and the largest pause by wall clock, CPU and GIL held."""
    pauses = [c for c in recent if c["at"] >= since]
    held = [c["held_ms"] for c in pauses]
    return {
        "collections": len(pauses),
        "max_ms": max((c["ms"] for c in pauses), default=0.0),
        "max_cpu_ms": max((c["cpu_ms"] for c in pauses), default=0.0),
        "max_held_ms": None if None in held else max(held, default=0.0),
    }


def _measured_round(
    name: str,
    client: SlackClientSim,
    slack: IndexedSlack,
    users: list[str],
    samples: dict[str, list[float]],
    errors: list[str],
    form: Callable[[str], dict[str, Any]] | None,
    pid: int,
) -> tuple[float, float]:
    """One timed round (`_round`); the server's CPU in ms for its /meet half (until every
    form is shown) and its Save half (for Meetline until the Saves' confirmation DMs)."""
    with _no_collection_here():
        marks = [cpu_seconds(pid) or 0.0]
        posted, saved = slack.posted, len(samples["submit"])
        _round(
            name,
            client,
            slack,
            users,
            samples,
            errors,
            form,
            between=lambda: marks.append(cpu_seconds(pid) or 0.0),
        )
        if form is not None:  # the Save's CPU includes its confirmation DM
            dms = posted + len(samples["submit"]) - saved
            slack.wait("posted", lambda: True if slack.posted >= dms else None)
        marks.append(cpu_seconds(pid) or 0.0)
    return (marks[1] - marks[0]) * 1000, (marks[2] - marks[1]) * 1000


def _counted_save(
    client: SlackClientSim,
    slack: IndexedSlack,
    user_id: str,
    form: Callable[[str], dict[str, Any]],
    counter: RoundTrips | None,
) -> None:
    """/meet, the filled form, then its Save (counted when `counter` is given) up to its
    confirmation DM."""
    trigger = new_trigger_id()
    client.post(slash_command_body(text="", user_id=user_id, trigger_id=trigger), FORM)
    view_id = slack.wait(f"open:{trigger}", lambda: slack.opened.get(trigger))[1]
    view = slack.wait(f"update:{view_id}", lambda: slack.updated.get(view_id)) | {"id": view_id}
    payload = view_submission(
        view_id,
        "meet_form",
        form(user_id),
        private_metadata=view.get("private_metadata", ""),
        view=view,
        user_id=user_id,
    )
    sent = len(slack.calls("chat.postMessage"))
    if counter is not None:
        counter.wait_quiet()
    with counter.counting() if counter is not None else nullcontext():
        reply = client.post(interactive_body(payload), FORM).json()
        settle(lambda: len(slack.calls("chat.postMessage")) > sent)
    if not isinstance(reply, dict) or reply.get("response_action") != "update":
        raise RuntimeError(f"the counted Save failed: {reply}")


def save_round_trips(
    url: str, slack: IndexedSlack, user_id: str, form: Callable[[str], dict[str, Any]]
) -> RoundTrips:
    """The PostgreSQL round trips of one Save by a user whose profile is known (a second
    Save: the first fetched it from Slack), counted in this process (bench.round_trips)."""
    with RoundTripProxy(url) as proxy:
        settings = Settings(
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_API_URL=slack.url,
            DATABASE_URL=proxy.url,
        )
        services = build_services(settings)
        port = free_port()
        app = web_app(services, slack_app(services))
        server = create_server(app, host="127.0.0.1", port=port)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        counter = RoundTrips(services.engine, wire=lambda: proxy.round_trips)
        try:
            client = SlackClientSim(f"http://127.0.0.1:{port}", SIGNING_SECRET)
            _counted_save(client, slack, user_id, form, None)  # fetches the profile
            _counted_save(client, slack, user_id, form, counter)
        finally:
            server.close()
            services.after_ack.shutdown()
            services.engine.dispose()
    return counter


def run(quick: bool = False) -> dict[str, Any]:
    rounds = 1 if quick else 8  # p99 of 400 Saves: the 4th slowest, not the 2nd
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
        add_users(slack, users)
        env = clean_env(
            {
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_API_URL": slack.url,
                "DATABASE_URL": url,
            }
        )
        seed_records(url, workdir)
        gc_stats = workdir / "gc-stats.json"
        serve = ServeProcess(env, workdir, ["--no-worker", "--gc-stats", str(gc_stats)], fresh=True)
        # The bare app is served the same way; it lives in bench/, not in the package.
        bare = ServeProcess(
            {**env, "PYTHONPATH": str(REPO)},
            workdir,
            command=[sys.executable, "-m", "bench.bare_app"],
        )
        try:
            form = booking_form(url)
            kinds = ("ack", "open", "update", "submit")
            samples: dict[str, dict[str, list[float]]] = {
                app: {k: [] for k in kinds} for app in ("meetline", "bare")
            }
            errors: list[str] = []
            clients = {
                "meetline": SlackClientSim(serve.url, SIGNING_SECRET),
                "bare": SlackClientSim(bare.url, SIGNING_SECRET),
            }
            procs = {"meetline": serve.proc.pid, "bare": bare.proc.pid}
            # One warm-up round each with every user (imports, pools, each user's stored
            # profile), not measured: the rounds measure users the app has met before.
            for app, app_form in (("bare", None), ("meetline", form)):
                with _no_collection_here():
                    _round(app, clients[app], slack, users, {k: [] for k in kinds}, [], app_form)
            # The server's first collection (at its first quiet moment: what start-up and
            # the first traffic left, then frozen) belongs to the warm-up too.
            time.sleep(0.5)
            measured_from = time.time()
            # Server CPU in each half of a round: /meet until the form is shown, then Save.
            cpu_ms = {app: {"meet": 0.0, "save": 0.0} for app in procs}
            by_round: dict[str, dict[str, list[float]]] = {
                app: {k: [] for k in kinds} for app in procs
            }
            for _ in range(rounds):
                for app, app_form in (("bare", None), ("meetline", form)):
                    before = {k: len(samples[app][k]) for k in kinds}
                    meet_ms, save_ms = _measured_round(
                        app, clients[app], slack, users, samples[app], errors, app_form, procs[app]
                    )
                    cpu_ms[app]["meet"] += meet_ms
                    cpu_ms[app]["save"] += save_ms
                    for k in kinds:
                        if got := samples[app][k][before[k] :]:
                            by_round[app][k].append(round(percentile(got, 99) * 1000, 1))
            cpu = {
                app: {half: round(ms / (rounds * USERS), 2) for half, ms in halves.items()}
                for app, halves in cpu_ms.items()
            }
            time.sleep(1.5)  # the served app writes its GC pauses every second
            gc_pauses = json.loads(gc_stats.read_text()) if gc_stats.exists() else {}
            gc_pauses["measured"] = _pauses_since(gc_pauses.get("recent", []), measured_from)
            trips = save_round_trips(url, slack, users[0], form)
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
        "p99_ms_by_round": by_round,
        "errors": errors[:20],
        "error_count": len(errors),
        "memory": memory,
        "server_cpu_ms_per_user": cpu,
        "gc_pauses": gc_pauses,
        "save_round_trips": {"total": trips.total, "on_wire": trips.on_wire, **trips.by_kind},
        "save_statements": trips.statements,
    }
    m, b = stats["meetline"], stats["bare"]
    label = f"@{USERS} concurrent users"
    bare_ack, bare_open = b["ack"]["p99_ms"], b["open"]["p99_ms"]
    late_saves = sum(1 for v in samples["meetline"]["submit"] if v >= SLACK_LIMIT_S)
    measured = gc_pauses.get("measured", {})
    max_pause = float(measured.get("max_ms", math.nan))
    max_pause_cpu = float(measured.get("max_cpu_ms", math.nan))
    # Linux knows the collector's time on a CPU or preempted; elsewhere the wall clock.
    held = measured.get("max_held_ms")
    max_pause_held = float(held) if held is not None else max_pause
    table = [
        Row(f"/meet ack p50 {label}", m["ack"]["p50_ms"], "ms", b["ack"]["p50_ms"], BARE),
        Row(
            f"/meet ack p99 {label}",
            m["ack"]["p99_ms"],
            "ms",
            bare_ack,
            BARE,
            f"<= {ACK_RATIO_TARGET}x bare ack",
            m["ack"]["p99_ms"] <= ACK_RATIO_TARGET * bare_ack,
        ),
        Row(f"views.open p50 {label}", m["open"]["p50_ms"], "ms", b["open"]["p50_ms"], BARE),
        Row(
            f"views.open p99 {label}",
            m["open"]["p99_ms"],
            "ms",
            bare_open,
            BARE,
            f"<= {OPEN_RATIO_TARGET}x bare views.open",
            m["open"]["p99_ms"] <= OPEN_RATIO_TARGET * bare_open,
        ),
        Row(
            f"Full form (views.update) p99 {label}",
            m["update"]["p99_ms"],
            "ms",
            bare_open,
            "bare Bolt app's views.open p99",
            f"<= {UPDATE_RATIO_TARGET}x bare views.open",
            m["update"]["p99_ms"] <= UPDATE_RATIO_TARGET * bare_open,
        ),
        Row(
            f"Save (view_submission) ack p50 {label}",
            m["submit"]["p50_ms"],
            "ms",
            b["ack"]["p50_ms"],
            "bare Bolt app's /meet ack p50",
        ),
        Row(
            f"Save (view_submission) ack p99 {label}",
            m["submit"]["p99_ms"],
            "ms",
            bare_ack,
            "bare Bolt app's /meet ack p99",
            f"<= {SAVE_RATIO_TARGET}x bare ack",
            m["submit"]["p99_ms"] <= SAVE_RATIO_TARGET * bare_ack,
        ),
        Row(
            f"Saves answered after 3 s {label}",
            late_saves,
            "Saves",
            None,
            "",
            "0",
            late_saves == 0,
        ),
        Row(
            "Server CPU per /meet (until the full form)",
            cpu["meetline"]["meet"],
            "ms",
            cpu["bare"]["meet"],
            "bare Bolt app per /meet",
            f"<= {CPU_RATIO_TARGET}x bare /meet",
            cpu["meetline"]["meet"] <= CPU_RATIO_TARGET * cpu["bare"]["meet"],
        ),
        Row(
            "Server CPU per Save",
            cpu["meetline"]["save"],
            "ms",
            cpu["bare"]["meet"],
            "bare Bolt app per /meet",
            f"<= {CPU_RATIO_TARGET}x bare /meet",
            cpu["meetline"]["save"] <= CPU_RATIO_TARGET * cpu["bare"]["meet"],
        ),
        Row(
            "PostgreSQL round trips per Save (counted on the wire)",
            trips.on_wire if trips.on_wire is not None else trips.total,
            "round trips",
            None,
            "",
            f"<= {ROUND_TRIPS_TARGET}",
            max(trips.total, trips.on_wire or 0) <= ROUND_TRIPS_TARGET,
        ),
        Row(
            "Max GC pause of meetline serve under the load (GIL held: on a CPU or preempted)",
            max_pause_held,
            "ms",
            None,
            "",
            f"< {GC_PAUSE_TARGET_MS} ms",
            max_pause_held < GC_PAUSE_TARGET_MS,
        ),
        Row(
            "Max GC start-to-stop, wall clock (with the GIL turns other threads took)",
            max_pause,
            "ms",
        ),
        Row(
            "Max GC pause, CPU time of the collecting thread",
            max_pause_cpu,
            "ms",
        ),
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
