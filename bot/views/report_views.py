"""Pure builders for the meeting report as a Slack message.

The message is a summary a person reads in a few seconds; the attached CSV carries
every row. So each list shows its top rows and says how many more the CSV has.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.views.text import clip, escape_mrkdwn, mrkdwn, plain
from handlers.reports import PERIOD_FORMS, PERIOD_FORMS_PL, Count, Report

TOP = 10
_SLACK_ID = re.compile(r"[UW][A-Z0-9]+")


def rate_text(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


def _person(row: Count) -> str:
    """A mention Slack renders as the current display name in every reader's client."""
    return f"<@{row.key}>" if _SLACK_ID.fullmatch(row.key) else _label(row)


def _label(row: Count) -> str:
    return escape_mrkdwn(clip(row.label, 100))


def _lines(rows: tuple[Count, ...], name: Callable[[Count], str], *, skip_zero: bool = False) -> str:
    """At most TOP short lines (labels clipped to 100 chars), so a section stays far
    below Slack's 3000 characters whatever the workspace named its types."""
    shown = [r for r in rows if r.count or not skip_zero]
    lines = [f"• {name(r)} — *{r.count}*" for r in shown[:TOP]]
    if len(shown) > TOP:
        lines.append(f"_…and {len(shown) - TOP} more in the CSV_")
    return "\n".join(lines) or "–"


def report_text(report: Report) -> str:
    """The notification / fallback text: the numbers that matter, in one line."""
    return (f"Meeting report, {report.period.describe()}: {report.total} meetings, "
            f"completed {rate_text(report.completion_rate)}, no-show {rate_text(report.no_show_rate)}, "
            f"canceled {report.canceled}.")


def report_blocks(report: Report) -> list[dict[str, Any]]:
    period = report.period
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": "report_head", "text": plain("Meeting report", 150)},
        {"type": "context", "block_id": "report_period",
         "elements": [mrkdwn(escape_mrkdwn(clip(period.describe(), 2000)))]},
        {"type": "section", "block_id": "report_totals", "fields": [
            mrkdwn(f"*Meetings*\n{report.total}"),
            mrkdwn(f"*Canceled*\n{report.canceled}"),
            mrkdwn(f"*Completion rate*\n{rate_text(report.completion_rate)} ({report.completed} of {report.ended})"),
            mrkdwn(f"*No-show rate*\n{rate_text(report.no_show_rate)} ({report.no_show} of {report.ended})"),
        ]},
        {"type": "context", "block_id": "report_rates_note", "elements": [mrkdwn(
            "Rates count the meetings that have ended and were not canceled.")]},
    ]
    if not report.total:
        blocks.append({"type": "section", "block_id": "report_empty",
                       "text": mrkdwn("No meetings started in this period.")})
        return blocks
    blocks += [
        {"type": "divider", "block_id": "report_div"},
        {"type": "section", "block_id": "report_organizers",
         "text": mrkdwn("*By organizer (created by)*\n" + _lines(report.by_organizer, _person))},
        {"type": "section", "block_id": "report_hosts",
         "text": mrkdwn("*By host (assigned to)*\n" + _lines(report.by_host, _person))},
        {"type": "section", "block_id": "report_outcomes",
         "text": mrkdwn("*By outcome*\n" + _lines(report.by_outcome, _label, skip_zero=True))},
        {"type": "section", "block_id": "report_types",
         "text": mrkdwn("*By meeting type*\n" + _lines(report.by_type, _label))},
    ]
    return blocks


def report_started_text(period_name: str) -> str:
    return (f"Preparing your meeting report for *{escape_mrkdwn(period_name)}* (in your time zone). "
            "It will arrive in your direct messages with Meetline, with a chart and a CSV.")


def period_help_text(text: str, reason: str = "") -> str:
    """Shown for a period we cannot read: what went wrong and every form that works."""
    english = ", ".join(f"`{f}`" for f in PERIOD_FORMS)
    polish = ", ".join(f"`{f}`" for f in PERIOD_FORMS_PL)
    why = f" ({escape_mrkdwn(reason)})" if reason else ""
    return (f":warning: I can't read “{escape_mrkdwn(clip(text, 100))}” as a period{why}.\n"
            f"Try `/meet report last month`. Periods: {english} (both dates included), "
            f"`last N days`; po polsku: {polish}. Periods follow your Slack time zone; weeks start on Monday.")
