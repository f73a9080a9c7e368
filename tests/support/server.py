"""Runs a real `meetline` process (serve/worker/cli) for end-to-end tests."""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from multiprocessing import forkserver
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


# A process per worker that has imported the app once (multiprocessing's fork server):
# `meetline serve` for a test is forked from it instead of started as a new interpreter,
# which would import the app again (~1.5 s of CPU, for each of ~70 served stacks).
_PRELOADED = multiprocessing.get_context("forkserver")
_PRELOADED.set_forkserver_preload([__name__])


def _ensure_preloaded() -> None:
    """Start the fork server, if not running, without coverage: under `make test`
    (COVERAGE_PROCESS_CONFIG, pyproject.toml [tool.coverage.run]) each forked child
    measures itself from its start (`_run_meetline`), and the fork server's own
    measurement would be inherited by every child and saved again by each."""
    config = os.environ.pop("COVERAGE_PROCESS_CONFIG", None)
    try:
        forkserver.ensure_running()
    finally:
        if config is not None:
            os.environ["COVERAGE_PROCESS_CONFIG"] = config


def _run_meetline(
    args: list[str],
    env: dict[str, str],
    cwd: str,
    out_path: str,
    err_path: str,
    coverage_config: str | None,
) -> None:
    """The forked child: what `python -m bot.cli ARGS` would be, with exactly `env` and
    `cwd`, stdout and stderr to those files (appended). Under coverage it measures
    itself as a new interpreter would (coverage.process_startup) and saves its data when
    it ends, or when stopped by SIGTERM (`sigterm = true`): multiprocessing ends the
    child with os._exit, which skips the atexit save."""
    os.dup2(os.open(out_path, os.O_WRONLY | os.O_APPEND), 1)
    os.dup2(os.open(err_path, os.O_WRONLY | os.O_APPEND), 2)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    if coverage_config is None:
        sys.exit(cli_main(args))
    import coverage

    os.environ["COVERAGE_PROCESS_CONFIG"] = coverage_config
    cov = coverage.process_startup(force=True)
    try:
        sys.exit(cli_main(args))
    finally:
        if cov is not None:
            cov.stop()
            cov.save()


class _ForkedProcess:
    """The part of `subprocess.Popen` that `ServeProcess` and the tests use, over a
    process forked from `_PRELOADED`."""

    def __init__(
        self, args: list[str], env: Mapping[str, str], cwd: Path, out: Path, err: Path | None = None
    ) -> None:
        _ensure_preloaded()
        self._process = _PRELOADED.Process(
            target=_run_meetline,
            args=(
                args,
                dict(env),
                str(cwd),
                str(out),
                str(err or out),
                os.environ.get("COVERAGE_PROCESS_CONFIG"),
            ),
            daemon=False,
        )
        self._process.start()
        assert self._process.pid is not None
        self.pid: int = self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()

    def wait(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired("meetline", timeout or 0)
        return self._process.exitcode


def run_cli(
    args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`meetline ARGS` as a process of its own (exactly `env` and `cwd`, its exit status,
    stdout and stderr), forked from `_PRELOADED` rather than a new interpreter."""
    with tempfile.TemporaryDirectory(prefix="meetline-cli-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        out.touch()
        err.touch()
        proc = _ForkedProcess(args, env, cwd, out, err)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        return subprocess.CompletedProcess(
            [*MEETLINE, *args],
            code if code is not None else -1,
            stdout=out.read_text(encoding="utf-8", errors="replace"),
            stderr=err.read_text(encoding="utf-8", errors="replace"),
        )


class ServeProcess:
    """`meetline serve` on a free port; `.url` is its base URL once healthy.

    `command` serves something else the same way (the benchmarks' bare Bolt app): any
    program that takes `--port N` and answers GET /healthz. `meetline serve` itself is
    forked from a process that has imported the app (`_PRELOADED`) unless `fresh`: the
    benchmarks start a new interpreter, so their CPU and memory figures are the process's
    own."""

    def __init__(
        self,
        env: Mapping[str, str],
        cwd: Path,
        args: list[str] | None = None,
        *,
        command: Sequence[str] = (*MEETLINE, "serve"),
        fresh: bool = False,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = " ".join(command[2:])  # after "python -m"
        self.log_path = cwd / f"serve-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        argv = [*command, "--port", str(self.port), *(args or [])]
        self.proc: subprocess.Popen[bytes] | _ForkedProcess
        if list(command[:3]) == MEETLINE and not fresh:
            self.proc = _ForkedProcess(argv[3:], env, cwd, self.log_path)
        else:
            self.proc = subprocess.Popen(
                argv, env=dict(env), cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT
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
