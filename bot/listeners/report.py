"""`/meet report [period]`: the meeting report as a DM with a chart and a CSV.

Counting and drawing can take longer than Slack's 3-second ack, so the command is
acknowledged first (with the period as read, or with the accepted forms when the
period is unreadable) and the report follows in the user's DM with the app.

What it counts is the policy's (handlers.policy.report_scope): the team for managers
and admins, the reader's own meetings for members; message, chart and CSV alike.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.report_files import report_chart_png, report_csv
from bot.i18n_context import cached_translator, translator_for
from bot.profiles import ProfileService
from bot.services import Services
from bot.views.report_views import (
    period_help_text,
    report_blocks,
    report_started_text,
    report_text,
    report_uploads,
)
from handlers.i18n import Translator
from handlers.policy import Actor
from handlers.reports import UnknownPeriod

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"(?:report|raport)(?:\s+(?P<period>.*))?", re.IGNORECASE | re.DOTALL)


def report_period_text(text: str) -> str | None:
    """The period part of `/meet report …`, or None when the text is not a report command
    (a first word like "reporting" stays a scheduling text)."""
    match = _COMMAND.fullmatch(text.strip())
    return None if match is None else (match.group("period") or "").strip()


def handle_report_command(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    services: Services,
    profiles: ProfileService,
    *,
    team_id: str,
    user_id: str,
    period_text: str,
) -> None:
    # The ack is due within 3 s: the language comes from the stored profile (no Slack call).
    t = cached_translator(services, team_id, user_id)
    try:
        # Readability does not depend on the zone, so the answer needs no Slack call.
        named = services.reports.period(period_text, "UTC").name(t)
    except UnknownPeriod as exc:
        ack(response_type="ephemeral", text=period_help_text(exc.text, exc.reason_in(t), t=t))
        return
    ack(response_type="ephemeral", text=report_started_text(named, t=t))
    services.after_ack.later(
        _report_or_apologise, client, services, profiles, body, team_id, user_id, period_text, t
    )


def _report_or_apologise(
    client: WebClient,
    services: Services,
    profiles: ProfileService,
    body: dict[str, Any],
    team_id: str,
    user_id: str,
    period_text: str,
    t: Translator,
) -> None:
    """After the ack: the report in the DM, or a word in the channel when it failed."""
    channel_id = body.get("channel_id")
    try:
        send_report(client, services, profiles, team_id, user_id, period_text)
    except SlackApiError as exc:
        log.warning("sending the report failed: %s", exc.response.get("error"))
        if channel_id:
            _quietly(
                client.chat_postEphemeral,
                channel=channel_id,
                user=user_id,
                text=t.gettext(
                    "Meetline could not send your report to your DM. Please try again in a minute."
                ),
            )
    except Exception:
        log.exception("building the report failed")
        if channel_id:
            _quietly(
                client.chat_postEphemeral,
                channel=channel_id,
                user=user_id,
                text=t.gettext(
                    "Meetline could not build your report. The error was logged; please try again."
                ),
            )


def send_report(
    client: WebClient,
    services: Services,
    profiles: ProfileService,
    team_id: str,
    user_id: str,
    period_text: str,
) -> None:
    """The report in the reader's DM (in their zone and language), then its chart and CSV."""
    profile = profiles.get(client, team_id, user_id)
    ws = services.workspaces.get(team_id)
    t = translator_for(profile, ws)
    period = services.reports.period(period_text, profile.timezone)
    report = services.reports(team_id, period, ws.outcomes, t, reader=Actor.of(profile))
    client.chat_postMessage(
        channel=user_id, text=report_text(report, t=t), blocks=report_blocks(report, t=t)
    )
    dm = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=dm, **report_uploads(report, report_chart_png(report, t), report_csv(report, t), t)
    )


def _quietly(method: Any, **kwargs: Any) -> None:
    """A notice that cannot be posted (e.g. the app is not in that channel) is not worth
    failing the report for."""
    try:
        method(**kwargs)
    except SlackApiError as exc:
        log.info("notice not posted: %s", exc.response.get("error"))
