"""`/meet report [period]`: the meeting report as a DM with a chart and a CSV.

Counting and drawing can take longer than Slack's 3-second ack, so the command is
acknowledged first (with the period as read, or with the accepted forms when the
period is unreadable) and the report follows in the user's DM with the app.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.report_files import report_chart_png, report_csv
from bot.profiles import ProfileService
from bot.services import Services
from bot.views.report_views import period_help_text, report_blocks, report_started_text, report_text
from handlers.reports import MeetingReport, Report, UnknownPeriod
from storage.reports import SqlReportSource

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"(?:report|raport)(?:\s+(?P<period>.*))?", re.IGNORECASE | re.DOTALL)


def report_period_text(text: str) -> str | None:
    """The period part of `/meet report …`, or None when the text is not a report command
    (a first word like "reporting" stays a scheduling text)."""
    match = _COMMAND.fullmatch(text.strip())
    return None if match is None else (match.group("period") or "").strip()


def _file_stem(report: Report) -> str:
    period = report.period
    return f"meetings-{period.first_day.isoformat()}-{period.last_day.isoformat()}"


def handle_report_command(ack: Ack, body: dict[str, Any], client: WebClient, services: Services,
                          profiles: ProfileService, *, team_id: str, user_id: str, period_text: str) -> None:
    use_case = MeetingReport(SqlReportSource(services.sessions), services.users, services.clock)
    try:
        # Readability does not depend on the zone, so the answer needs no Slack call.
        named = use_case.period(period_text, "UTC").key
    except UnknownPeriod as exc:
        ack(response_type="ephemeral", text=period_help_text(exc.text, exc.reason))
        return
    ack(response_type="ephemeral", text=report_started_text(named))
    channel_id = body.get("channel_id")
    try:
        profile = profiles.get(client, team_id, user_id)
        period = use_case.period(period_text, profile.timezone)
        report = use_case(team_id, period, services.workspaces.get(team_id).outcomes)
        client.chat_postMessage(channel=user_id, text=report_text(report), blocks=report_blocks(report))
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        stem = _file_stem(report)
        client.files_upload_v2(
            channel=dm,
            initial_comment=f"Chart and CSV for {period.describe()}.",
            file_uploads=[
                {"file": report_chart_png(report), "filename": f"{stem}.png", "title": f"Meetings {period.key}",
                 "alt_txt": f"Bar charts of meetings by outcome and by host, {period.describe()}"[:1000]},
                {"content": report_csv(report), "filename": f"{stem}.csv", "title": f"Meetings {period.key} (CSV)"},
            ],
        )
    except SlackApiError as exc:
        log.warning("sending the report failed: %s", exc.response.get("error"))
        if channel_id:
            _quietly(client.chat_postEphemeral, channel=channel_id, user=user_id,
                     text="Meetline could not send your report to your DM. Please try again in a minute.")
    except Exception:
        log.exception("building the report failed")
        if channel_id:
            _quietly(client.chat_postEphemeral, channel=channel_id, user=user_id,
                     text="Meetline could not build your report. The error was logged; please try again.")


def _quietly(method: Any, **kwargs: Any) -> None:
    """A notice that cannot be posted (e.g. the app is not in that channel) is not worth
    failing the report for."""
    try:
        method(**kwargs)
    except SlackApiError as exc:
        log.info("notice not posted: %s", exc.response.get("error"))
