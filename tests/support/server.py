"""Runs a real `meetline` process (serve/worker/cli) for end-to-end tests."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.cli import main as cli_main

REPO = Path(__file__).resolve().parents[2]
MEETLINE = [sys.executable, "-m", "bot.cli"]
SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"
# Test keys only (SECRET_KEY needs 32+ random bytes); OTHER_SECRET_KEY plays a wrong or new key.
SECRET_KEY = "6EdIvPa1IGj6Eltn1cNP6B5hoJEYkuWc4uuPLnIiInY"
OTHER_SECRET_KEY = "6YYpAljiqZtBHm7pfZZowAFXlG1MoUOO-DLLcNcIhn8"

SLACK_VARS = (
    "SLACK_SIGNING_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_API_URL",
    "DATABASE_URL",
    "PUBLIC_URL",
    "SECRET_KEY",
    "SMTP_URL",
    "MAIL_FROM",
    "ADMIN_SLACK_IDS",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's own environment without any Slack settings leaking in from the shell."""
    env = {k: v for k, v in os.environ.items() if k not in SLACK_VARS}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def run_cli_in_process(
    args: list[str], env: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`meetline ARGS` through the same `main` a process runs, with exactly `env` and
    `cwd`, its output and exit status captured as `run_cli` does.

    For the operator steps and observations of e2e tests (`users set`, `meetings --json`,
    `report`): a spawned interpreter costs ~1.5 s of CPU to import the app, about
    a minute of the suite's wall time. The commands as real processes (exit codes, `.env`,
    stdout/stderr) are tested in tests/e2e/test_cli.py."""
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    saved_logging = (root.level, list(root.handlers))
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    root.handlers = [logging.StreamHandler(err)]  # what the process would print on stderr
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli_main(args)
            except SystemExit as exit_:  # argparse: usage errors exit 2
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        root.setLevel(saved_logging[0])
        root.handlers = saved_logging[1]
    return subprocess.CompletedProcess(
        [*MEETLINE, *args], code, stdout=out.getvalue(), stderr=err.getvalue()
    )


def run_cli(
    args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MEETLINE, *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class ServeProcess:
    """`meetline serve` on a free port; `.url` is its base URL once healthy.

    `command` serves something else the same way (the benchmarks' bare Bolt app): any
    program that takes `--port N` and answers GET /healthz."""

    def __init__(
        self,
        env: Mapping[str, str],
        cwd: Path,
        args: list[str] | None = None,
        *,
        command: Sequence[str] = (*MEETLINE, "serve"),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = " ".join(command[2:])  # after "python -m"
        self.log_path = cwd / f"serve-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*command, "--port", str(self.port), *(args or [])],
            env=dict(env),
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become healthy:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
