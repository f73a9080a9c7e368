"""`meetline serve --processes N`: several pre-forked serving processes behind one port,
for operators with more cores. PostgreSQL only: SQLite takes one writer at a time."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.fake_slack import FakeSlack
from tests.support.server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    ServeProcess,
    clean_env,
    free_port,
    run_cli,
)
from tests.support.slack_requests import FORM, SlackClientSim, new_trigger_id, slash_command_body
from tests.support.stack import HOST


def _state_and_parent(pid: int | str) -> tuple[str, int] | None:
    """A process's state letter and parent pid (from /proc), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def children(pid: int) -> set[int]:
    """The live processes whose parent is `pid` (zombies left out)."""
    found = set()
    for entry in os.listdir("/proc"):
        seen = _state_and_parent(entry) if entry.isdigit() else None
        if seen is not None and seen[0] != "Z" and seen[1] == pid:
            found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    seen = _state_and_parent(pid)
    return seen is not None and seen[0] != "Z"


def settle(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.1)


def meet_opens_the_form(client: SlackClientSim, slack: FakeSlack) -> None:
    trigger = new_trigger_id()
    answer = client.post(slash_command_body(text="", user_id=HOST, trigger_id=trigger), FORM)
    assert answer.status == 200
    slack.wait_for(
        "views.open", predicate=lambda c: c.args.get("trigger_id") == trigger, timeout=10
    )


def test_more_than_one_process_is_refused_on_sqlite(tmp_path: Path) -> None:
    env = clean_env(
        {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'meetline.db'}",
        }
    )
    result = run_cli(["serve", "--processes", "2", "--port", str(free_port())], env, tmp_path, 60)
    assert result.returncode == 2
    assert "--processes above 1 needs PostgreSQL" in result.stderr


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_processes_share_the_port_and_a_dead_one_is_replaced(
    seeded_url: str, tmp_path: Path
) -> None:
    with FakeSlack() as slack:
        slack.add_user(HOST, name="anna", real_name="Anna Host", tz="Europe/Warsaw")
        env = clean_env(
            {
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_API_URL": slack.url,
                "DATABASE_URL": seeded_url,
            }
        )
        serve = ServeProcess(env, tmp_path, ["--no-worker", "--processes", "2"], fresh=True)
        try:
            client = SlackClientSim(serve.url, SIGNING_SECRET)
            settle(lambda: len(children(serve.proc.pid)) == 2)
            first = children(serve.proc.pid)
            for _ in range(4):
                meet_opens_the_form(client, slack)

            victim = min(first)
            os.kill(victim, signal.SIGKILL)
            settle(
                lambda: (
                    len(children(serve.proc.pid)) == 2 and victim not in children(serve.proc.pid)
                )
            )
            serving = children(serve.proc.pid)
            for _ in range(4):
                meet_opens_the_form(client, slack)

            # SIGTERM stops them all gracefully: gunicorn lets a process finish its
            # requests (and a replacement still starting, its start) for up to 20 s.
            serve.proc.terminate()
            assert serve.proc.wait(timeout=60) == 0
        finally:
            serve.stop()
        settle(lambda: not any(alive(pid) for pid in serving), timeout=10)
