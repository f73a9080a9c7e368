"""The `meetline` command line. Exit 0 on success, 2 on bad input with a one-line reason."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from waitress import serve

from adapters.report_files import report_csv, report_json, report_table
from bot.logs import configure_logging
from bot.prefork import serve_processes
from bot.services import Services
from bot.serving import SERVING
from bot.settings import Settings, SettingsError, load_settings
from bot.slack_clients import make_client
from bot.tuning import GcPauses, OutOfBandGc, tune_for_serving, warm_up
from bot.web import WebApp
from bot.wiring import (
    HTTP_THREADS,
    build_services,
    build_worker,
    slack_app,
    start_in_background,
    web_app,
)
from handlers.domain import ImportRejected, UserProfile
from handlers.meetings import DEFAULT_OUTCOMES, Meeting
from handlers.policy import Actor
from handlers.records_csv import import_records
from handlers.reports import UnknownPeriod, parse_period
from handlers.team_rules import SEATS
from storage.crypto import SecretBox
from storage.db import make_engine
from storage.installed import installed_teams
from storage.key_rotation import RotationError, rotate_secrets
from storage.migrate import upgrade

SETUP_HINT = (
    "To create the Slack app: open https://api.slack.com/apps, choose Create New App > "
    "From an app manifest, paste manifest.yml (replace https://meetline.example.com with "
    "this server's public URL, or use `meetline socket` with Socket Mode), install it to "
    "your workspace, then put the Signing Secret and the Bot User OAuth Token into .env as "
    "SLACK_SIGNING_SECRET=... and SLACK_BOT_TOKEN=xoxb-... and start again."
)


class CliError(Exception):
    """Bad input: printed as one line, exit status 2."""


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise CliError(str(exc)) from None


def _migrate(settings: Settings) -> None:

    try:
        upgrade(settings.DATABASE_URL)
    except Exception as exc:  # an unreachable database is an operator problem, not a bug
        raise CliError(
            f"DATABASE_URL: cannot migrate the database ({type(exc).__name__}: {str(exc).splitlines()[0]})"
        ) from None


def _services(settings: Settings, threads: int = HTTP_THREADS) -> Services:

    try:
        return build_services(settings, threads=threads)
    except ValueError as exc:  # e.g. a malformed SMTP_URL or MAIL_FROM
        raise CliError(str(exc)) from None


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings()
    _migrate(settings)

    worker = build_worker(_services(settings))
    if args.once:
        stats = worker.run_once()
        print(
            f"jobs: {stats.done} done, {stats.retried} to retry, {stats.failed} failed,"
            f" {stats.dropped} dropped"
        )
        return 0
    worker.run_forever()
    return 0


def cmd_meetings(args: argparse.Namespace) -> int:
    settings = _settings()
    _migrate(settings)
    services = _services(settings)
    # The operator's own view: without --team, every workspace of this install.
    meetings = (
        services.meetings.list_meetings(args.team)
        if args.team
        else services.meetings.list_every_team()
    )
    if args.json:
        print(json.dumps([meeting_json(m) for m in meetings], indent=2, ensure_ascii=False))
    else:
        for m in meetings:
            print(
                f"{m.id:>6}  {m.start_utc:%Y-%m-%d %H:%M} UTC  {m.status:<9}  {m.outcome:<11}  {m.title}"
            )
    return 0


def meeting_json(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.id,
        "team_id": m.team_id,
        "uid": m.uid,
        "sequence": m.sequence,
        "title": m.title,
        "start": m.start_utc.isoformat(),
        "end": m.end_utc.isoformat(),
        "timezone": m.timezone,
        "duration_minutes": m.duration_minutes,
        "status": m.status,
        "outcome": m.outcome,
        "host": m.host_id,
        "organizer": m.organizer_id,
        "meeting_type": m.meeting_type,
        "invitation_language": m.invitation_language,
        "location": {
            "kind": m.location.kind.value,
            "detail": m.location.detail,
            "provider": m.location.provider,
        },
        "join_url": m.join_url,
        "description": m.description,
        "notes": m.notes_text,
        "record_ids": m.record_ids,
        "attendees": [
            {
                "kind": a.kind.value,
                "name": a.name,
                "email": a.email,
                "record_id": a.record_id,
                "slack_user_id": a.slack_user_id,
                "invited_sequence": a.invited_sequence,
            }
            for a in m.attendees
        ],
        "reminders": [
            {"offset_minutes": r.offset_minutes, "due_at": r.due_at.isoformat(), "status": r.status}
            for r in m.reminders
        ],
    }


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    _migrate(settings)
    print("database is up to date")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    missing = settings.missing_for_http()
    if missing:
        print(f"Meetline cannot start: missing {', '.join(missing)}.", file=sys.stderr)
        print(SETUP_HINT, file=sys.stderr)
        return 0 if args.explain_setup else 2
    if args.processes > 1 and not make_url(settings.DATABASE_URL).get_backend_name().startswith(
        "postgres"
    ):
        raise CliError("--processes above 1 needs PostgreSQL: SQLite takes one writer at a time")
    _migrate(settings)
    limits = replace(
        SERVING, connection_limit=args.connection_limit, channel_timeout=args.channel_timeout
    )
    logging.getLogger(__name__).info("Meetline listening on http://%s:%s", args.host, args.port)
    if args.processes > 1:
        serve_processes(
            lambda: _serving_app(settings, args),
            host=args.host,
            port=args.port,
            processes=args.processes,
            threads=args.threads,
            limits=limits,
        )
        return 0
    serve(
        _serving_app(settings, args),
        host=args.host,
        port=args.port,
        threads=args.threads,
        **limits.waitress(),
    )
    return 0


def _serving_app(settings: Settings, args: argparse.Namespace) -> WebApp:
    """One serving process's app (with its job worker unless --no-worker), its start-up
    objects frozen out of the collector's way (bot.tuning)."""
    services = _services(settings, args.threads)
    wsgi = web_app(services, slack_app(services))
    if not args.no_worker:
        start_in_background(build_worker(services))
    if not args.no_gc_tuning:
        warm_up()
        tune_for_serving()
        OutOfBandGc(services.after_ack.activity).start()
    if args.gc_stats:  # from here on: the pauses of serving, not of start-up
        GcPauses().install().write_every(Path(args.gc_stats))
    return wsgi


def cmd_socket(args: argparse.Namespace) -> int:
    settings = _settings()
    missing = settings.missing_for_socket()
    if missing:
        raise CliError(f"Socket Mode needs {', '.join(missing)}")
    _migrate(settings)

    services = _services(settings)
    app = slack_app(services)
    start_in_background(build_worker(services))
    SocketModeHandler(app, settings.SLACK_APP_TOKEN).start()
    return 0


def cmd_import(args: argparse.Namespace) -> int:

    path = Path(args.path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: not a UTF-8 text file") from None
    settings = _settings()
    _migrate(settings)
    services = _services(settings)
    team = _import_team(args.team, settings, services)
    try:
        result = import_records(services.records, team, text)
    except ImportRejected as exc:
        for error in exc.errors:
            print(f"{path}: {error}", file=sys.stderr)
        raise CliError(f"{path}: {len(exc.errors)} bad row(s); nothing was imported") from None
    print(
        f"imported {path}: {result.created} created, {result.updated} updated, "
        f"{result.associations} associations (workspace {team})"
    )
    return 0


_TEAM_ID = re.compile(r"^[TE][A-Z0-9]{1,31}$")


def _import_team(given: str | None, settings: Settings, services: Services) -> str:
    """The workspace imported records belong to (records are never shared between
    workspaces). --team wins; else the only installed workspace (multi-workspace mode),
    or the bot token's (single-workspace mode: the one seen in requests, else Slack's
    auth.test, so `import` before the first `serve` works)."""
    if given is not None:
        if not _TEAM_ID.match(given):
            raise CliError(f"--team: {given[:40]!r} is not a Slack team id (like T0123ABCD)")
        return given
    if settings.slack_mode == "oauth":
        assert settings.SLACK_CLIENT_ID
        teams = installed_teams(services.engine, settings.SLACK_CLIENT_ID)
        if len(teams) == 1:
            return teams[0]
        if teams:
            raise CliError(
                f"--team is required: Meetline is installed in {len(teams)} workspaces "
                f"({', '.join(teams[:10])})"
            )
        raise CliError("--team is required: Meetline is not installed in any workspace yet")
    if settings.slack_mode == "single":
        seen = services.users.teams()
        if len(seen) == 1:
            return seen[0]
        return _bot_token_team(settings)
    raise CliError(
        "--team is required: no Slack workspace is configured (SLACK_BOT_TOKEN is not set)"
    )


def _bot_token_team(settings: Settings) -> str:

    try:
        answer = make_client(settings.SLACK_API_URL, settings.SLACK_BOT_TOKEN).auth_test()
        team = str(answer.get("team_id") or "")
    except SlackApiError as exc:
        raise CliError(
            f"--team is required: Slack's auth.test refused SLACK_BOT_TOKEN "
            f"({exc.response.get('error')})"
        ) from None
    except OSError as exc:
        raise CliError(
            f"--team is required: Slack's auth.test could not be reached ({type(exc).__name__})"
        ) from None
    if not _TEAM_ID.match(team):
        raise CliError("--team is required: Slack's auth.test named no workspace")
    return team


def cmd_report(args: argparse.Namespace) -> int:

    try:  # bad input is reported before touching the database
        parse_period(args.period, datetime.now(UTC), "UTC")
    except UnknownPeriod as exc:
        raise CliError(str(exc)) from None
    if args.tz is not None:
        try:
            ZoneInfo(args.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise CliError(
                f"--tz: unknown time zone {args.tz!r} (use an IANA name such as Europe/Warsaw)"
            ) from None
    settings = _settings()
    _migrate(settings)
    services = _services(settings)
    workspace = services.workspaces.get(args.team) if args.team else None
    zone = args.tz or (workspace.default_timezone if workspace else "UTC")
    use_case = services.reports
    report = use_case(
        args.team,
        use_case.period(args.period, zone),
        workspace.outcomes if workspace else DEFAULT_OUTCOMES,
    )
    if args.csv:
        sys.stdout.write(report_csv(report))
    elif args.json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(report_table(report))
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    """List Meetline's users, or set a user's seat and roles (`users set U123 --seat pro…`)."""

    settings = _settings()
    _migrate(settings)
    services = _services(settings)
    users = services.users
    if args.action == "set":
        if not args.user:
            raise CliError(
                "users set: give the Slack user id, e.g. `meetline users set U0123ABC --seat professional`"
            )
        if args.seat is not None and args.seat not in SEATS:
            raise CliError(f"--seat must be one of {', '.join(SEATS)}")
        team = args.team or _only_team(users.teams())
        profile = users.get(team, args.user) or UserProfile(team_id=team, slack_user_id=args.user)
        if args.seat is not None:
            profile.seat = args.seat
        if args.admin is not None:
            profile.is_admin = args.admin
        if args.sandbox is not None:
            profile.is_sandbox = args.sandbox
        if args.manager is not None:
            profile.is_manager = args.manager
        users.save(profile)
        print(
            f"{profile.slack_user_id} in {team}: seat {profile.seat}, admin {profile.is_admin}, "
            f"manager {profile.is_manager}, sandbox {profile.is_sandbox}, role {Actor.of(profile).role}"
        )
        return 0
    rows = users.list_users(args.team)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "team_id": u.team_id,
                        "user_id": u.slack_user_id,
                        "name": u.name,
                        "email": u.email,
                        "seat": u.seat,
                        "admin": u.is_admin,
                        "manager": u.is_manager,
                        "slack_admin": u.is_slack_admin,
                        "role": str(Actor.of(u).role),
                        "sandbox": u.is_sandbox,
                    }
                    for u in rows
                ],
                indent=2,
            )
        )
        return 0
    # `role` is what the policy applies: admin (granted here or Slack's owner/admin), manager, member.
    print(
        f"{'team':<12} {'user':<12} {'seat':<13} {'admin':<6} {'manager':<8} {'role':<8} {'sandbox':<8} name"
    )
    for u in rows:
        print(
            f"{u.team_id:<12} {u.slack_user_id:<12} {u.seat:<13} {('yes' if u.is_admin else 'no'):<6} "
            f"{('yes' if u.is_manager else 'no'):<8} {Actor.of(u).role:<8} "
            f"{('yes' if u.is_sandbox else 'no'):<8} {u.name}"
        )
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    """Re-encrypt every stored secret with the first key of SECRET_KEY (`new,old`)."""
    settings = _settings()
    if not settings.SECRET_KEY:
        raise CliError(
            "SECRET_KEY is not set: put the new key first and the old one after it, e.g. "
            "SECRET_KEY=new,old"
        )
    _migrate(settings)

    engine = make_engine(settings.DATABASE_URL)
    try:
        result = rotate_secrets(engine, SecretBox(settings.SECRET_KEY))
    except RotationError as exc:
        raise CliError(str(exc)) from None
    finally:
        engine.dispose()
    print(
        f"re-encrypted {result.values} stored secret(s) with the first key of SECRET_KEY; "
        "the other keys can be removed now"
    )
    return 0


def _only_team(teams: list[str]) -> str:
    if len(teams) == 1:
        return teams[0]
    raise CliError(
        "--team is required: " + (f"users exist in {', '.join(teams)}" if teams else "no users yet")
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number above 0, not {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="meetline", description="Schedule CRM meetings from Slack."
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="debug logging of Meetline itself (never of tokens, emails, titles or notes)",
    )
    # `-v` is accepted after the command too (`meetline serve -v`); SUPPRESS keeps a
    # `-v` given before the command from being reset by the subcommand's default.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve", parents=[verbose], help="serve Slack over HTTP (POST /slack/events)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument(
        "--threads",
        type=int,
        default=HTTP_THREADS,
        help=f"HTTP worker threads (default {HTTP_THREADS})",
    )
    serve.add_argument(
        "--connection-limit",
        type=_positive,
        default=SERVING.connection_limit,
        help=f"open connections at most (default {SERVING.connection_limit})",
    )
    serve.add_argument(
        "--channel-timeout",
        type=_positive,
        default=SERVING.channel_timeout,
        help=f"seconds an idle connection is kept (default {SERVING.channel_timeout})",
    )
    serve.add_argument(
        "--no-worker", action="store_true", help="do not run the job worker in-process"
    )
    serve.add_argument(
        "--processes",
        type=_positive,
        default=1,
        help="pre-forked serving processes (PostgreSQL only; default 1)",
    )
    serve.add_argument("--explain-setup", action="store_true", help=argparse.SUPPRESS)
    # Diagnostics for the benchmarks (bench/bench_slack.py): GC pauses, and the untuned GC.
    serve.add_argument("--gc-stats", type=Path, help=argparse.SUPPRESS)
    serve.add_argument("--no-gc-tuning", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    socket = sub.add_parser("socket", parents=[verbose], help="connect to Slack with Socket Mode")
    socket.set_defaults(func=cmd_socket)

    migrate = sub.add_parser(
        "migrate", parents=[verbose], help="create or upgrade the database schema"
    )
    migrate.set_defaults(func=cmd_migrate)

    worker = sub.add_parser(
        "worker", parents=[verbose], help="run the job worker (reminders, invitations, prompts)"
    )
    worker.add_argument("--once", action="store_true", help="run the jobs that are due and exit")
    worker.set_defaults(func=cmd_worker)

    meetings = sub.add_parser("meetings", parents=[verbose], help="list meetings")
    meetings.add_argument("--json", action="store_true")
    meetings.add_argument("--team", default=None)
    meetings.set_defaults(func=cmd_meetings)

    users = sub.add_parser(
        "users", parents=[verbose], help="list users, or set a user's seat and roles"
    )
    users.add_argument("action", nargs="?", choices=["list", "set"], default="list")
    users.add_argument("user", nargs="?", help="Slack user id (for set)")
    users.add_argument("--team", default=None)
    users.add_argument("--seat", default=None, help="none, starter, professional or enterprise")
    users.add_argument("--admin", action=argparse.BooleanOptionalAction, default=None)
    users.add_argument(
        "--manager",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="managers see the team's reports in /meet report",
    )
    users.add_argument("--sandbox", action=argparse.BooleanOptionalAction, default=None)
    users.add_argument("--json", action="store_true")
    users.set_defaults(func=cmd_users)

    imp = sub.add_parser("import", parents=[verbose], help="import records from a CSV file")
    imp.add_argument("path")
    imp.add_argument(
        "--team",
        default=None,
        help="Slack team id the records belong to (default: the only installed workspace, "
        "or the bot token's; required when several are installed)",
    )
    imp.set_defaults(func=cmd_import)

    rotate = sub.add_parser(
        "rotate-keys",
        parents=[verbose],
        help="re-encrypt stored tokens with the first key of SECRET_KEY",
    )
    rotate.set_defaults(func=cmd_rotate_keys)

    report = sub.add_parser(
        "report", parents=[verbose], help="count meetings by organizer, host, outcome and type"
    )
    report.add_argument(
        "--period",
        default="last 30 days",
        help='"this week", "last month", "last 30 days", "2026-11-01..2026-11-30", '
        '"zeszły miesiąc"... (default: last 30 days)',
    )
    report.add_argument("--team", default=None, help="Slack team id (default: every workspace)")
    report.add_argument(
        "--tz",
        default=None,
        help="IANA zone the period is read in (default: the workspace's, else UTC)",
    )
    output = report.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_true", help="CSV: dimension,key,label,count")
    output.add_argument("--json", action="store_true")
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    configure_logging(verbose=args.verbose)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"meetline: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
