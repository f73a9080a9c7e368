"""CPU per `/meet` and per Save, one request at a time, for finding where it goes.

    python -m bench.request_cpu [-n 200] [--profile out.pstat] [--sqlite]

The app (`bot.wiring`, PostgreSQL unless --sqlite) is called as a WSGI callable in this
thread with signed Slack requests, and the work it hands to the after-ack pools runs
inline, so `time.thread_time()` around a request is all of that request's CPU: the
signature check, the parse, Bolt, the use case, the database driver and the Slack calls
(to the fake Slack, whose own CPU is in another thread and not counted). No HTTP server:
waitress is the same for Meetline and the bare app and is not what we tune here.

`--profile out.pstat` writes a cProfile of the timed requests, /meet to out.meet.pstat and
Save to out.save.pstat (the test client's own work left out), clocked by thread CPU (not wall
time: a profile by wall time charges the waits on PostgreSQL to the driver). Read it
with `python -m pstats`. The numbers are for comparing a change with main on the same
machine; `make bench` (bench.bench_slack) is the figure that counts, under a burst.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.bench_slack import USERS, IndexedSlack, add_users, booking_form
from bench.common import postgres_available, scratch_postgres
from bot.after_ack import AfterAck
from bot.settings import Settings
from bot.wiring import build_services, slack_app, web_app
from tests.support.server import BOT_TOKEN, SIGNING_SECRET
from tests.support.slack_requests import (
    interactive_body,
    new_trigger_id,
    sign,
    slash_command_body,
    view_submission,
)
from tests.support.stack import seed_records

WARM_UP = 20


class InlineAfterAck(AfterAck):
    """Runs the deferred work in the calling thread, so its CPU is the request's."""

    def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[None]:
        done: Future[None] = Future()
        try:
            fn(*args, **kwargs)
        finally:
            done.set_result(None)
        return done

    open = fill = later = _run


Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def call(app: Wsgi, body: bytes) -> tuple[str, bytes]:
    """POST a signed body to /slack/events; (status line, response body)."""
    headers = sign(SIGNING_SECRET, body)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
    }
    status: list[str] = []
    data = b"".join(app(environ, lambda s, h, exc=None: status.append(s)))
    return status[0], data


@contextmanager
def database(sqlite: bool, workdir: Path) -> Iterator[str]:
    if sqlite:
        yield f"sqlite:///{workdir / 'meetline.db'}"
        return
    with scratch_postgres("request_cpu") as url:
        yield url


def run(n: int, profile: Path | None = None, sqlite: bool = False) -> dict[str, float]:
    users = [f"U{100 + i}" for i in range(USERS)]
    with (
        IndexedSlack() as slack,
        tempfile.TemporaryDirectory(prefix="meetline-request-cpu-") as tmp,
        database(sqlite, Path(tmp)) as url,
    ):
        add_users(slack, users)
        seed_records(url, Path(tmp))
        settings = Settings(
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_API_URL=slack.url,
            DATABASE_URL=url,
        )
        services = build_services(settings)
        services.after_ack.shutdown()
        object.__setattr__(services, "after_ack", InlineAfterAck())
        app = web_app(services, slack_app(services))
        form = booking_form(url)

        profilers: dict[str, cProfile.Profile] = {}

        @contextmanager
        def timed(half: str) -> Iterator[None]:
            """Profile one request, by its half (/meet or Save), once profiling is on."""
            profiler = profilers.get(half)
            if profiler is None:
                yield
                return
            profiler.enable()
            try:
                yield
            finally:
                profiler.disable()

        def one(k: int) -> tuple[float, float]:
            user = users[k % USERS]
            trigger = new_trigger_id()
            typed = "Jane Doe tomorrow 3pm 45m Demo" if k % 2 else ""
            body = slash_command_body(text=typed, user_id=user, trigger_id=trigger)
            started = time.thread_time()
            with timed("meet"):
                status, _ = call(app, body)
            meet = time.thread_time() - started
            assert status.startswith("200"), status
            view_id = slack.opened[trigger][1]
            view = slack.updated[view_id] | {"id": view_id}
            values = form(user)
            payload = view_submission(
                view_id,
                "meet_form",
                values,
                private_metadata=view.get("private_metadata", ""),
                view=view,
                user_id=user,
            )
            save_body = interactive_body(payload)
            started = time.thread_time()
            with timed("save"):
                status, data = call(app, save_body)
            save = time.thread_time() - started
            assert status.startswith("200") and b'"update"' in data, data[:300]
            return meet, save

        for k in range(WARM_UP):
            one(k)
        time.sleep(1.0)  # the teammate directory's background sync
        if profile:
            profilers.update(
                (half, cProfile.Profile(time.thread_time)) for half in ("meet", "save")
            )
        samples = [one(k) for k in range(n)]
        for half, profiler in profilers.items():
            assert profile is not None
            profiler.dump_stats(str(profile.with_suffix(f".{half}{profile.suffix}")))
        services.engine.dispose()
    meets = sorted(s[0] for s in samples)
    saves = sorted(s[1] for s in samples)
    return {
        "meet_ms_median": round(meets[n // 2] * 1000, 3),
        "meet_ms_mean": round(sum(meets) / n * 1000, 3),
        "save_ms_median": round(saves[n // 2] * 1000, 3),
        "save_ms_mean": round(sum(saves) / n * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.request_cpu", description=__doc__)
    parser.add_argument("-n", type=int, default=200, help="timed /meet + Save pairs")
    parser.add_argument("--profile", type=Path, help="write a cProfile (thread CPU) here")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not args.sqlite and not postgres_available():
        raise SystemExit("no PostgreSQL server (set BENCH_DATABASE_URL), or use --sqlite")
    result = run(args.n, args.profile, args.sqlite)
    print(
        f"{args.n} requests each: /meet CPU median {result['meet_ms_median']} ms, "
        f"mean {result['meet_ms_mean']} ms; Save median {result['save_ms_median']} ms, "
        f"mean {result['save_ms_mean']} ms"
    )


if __name__ == "__main__":
    main()
