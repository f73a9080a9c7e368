"""Pure builders for the meeting report as a Slack message.

The message is a summary a person reads in a few seconds; the attached CSV carries
every row. So each list shows its top rows and says how many more the CSV has.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.views.text import EN, clip, escape_mrkdwn, mrkdwn, plain
from handlers.i18n import Translator
from handlers.policy import ReportScope
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


def _lines(
    rows: tuple[Count, ...],
    name: Callable[[Count], str],
    *,
    skip_zero: bool = False,
    t: Translator = EN,
) -> str:
    """At most TOP short lines (labels clipped to 100 chars), so a section stays far
    below Slack's 3000 characters whatever the workspace named its types."""
    shown = [r for r in rows if r.count or not skip_zero]
    lines = [f"• {name(r)} — *{r.count}*" for r in shown[:TOP]]
    if len(shown) > TOP:
        more = len(shown) - TOP
        lines.append(
            "_" + t.ngettext("…and {n} more in the CSV", "…and {n} more in the CSV", more) + "_"
        )
    return "\n".join(lines) or "–"


def report_text(report: Report, *, t: Translator = EN) -> str:
    """The notification / fallback text: the numbers that matter, in one line."""
    if report.scope is ReportScope.OWN:
        return t.ngettext(
            "Your meeting report, {period}: {n} meeting, completed {completion}, no-show {no_show}, "
            "canceled {canceled}.",
            "Your meeting report, {period}: {n} meetings, completed {completion}, no-show {no_show}, "
            "canceled {canceled}.",
            report.total,
            period=report.period.describe(t),
            completion=rate_text(report.completion_rate),
            no_show=rate_text(report.no_show_rate),
            canceled=report.canceled,
        )
    return t.ngettext(
        "Meeting report, {period}: {n} meeting, completed {completion}, no-show {no_show}, canceled {canceled}.",
        "Meeting report, {period}: {n} meetings, completed {completion}, no-show {no_show}, canceled {canceled}.",
        report.total,
        period=escape_mrkdwn(report.period.describe(t)),
        completion=rate_text(report.completion_rate),
        no_show=rate_text(report.no_show_rate),
        canceled=report.canceled,
    )


def _field(label: str, value: str) -> dict[str, Any]:
    return mrkdwn(f"*{label}*\n{value}")


def _section(block_id: str, heading: str, lines: str) -> dict[str, Any]:
    return {"type": "section", "block_id": block_id, "text": mrkdwn(f"*{heading}*\n{lines}")}


def report_blocks(report: Report, *, t: Translator = EN) -> list[dict[str, Any]]:
    period = report.period
    own = report.scope is ReportScope.OWN
    heading = t.gettext("Your meeting report") if own else t.gettext("Meeting report")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": "report_head", "text": plain(heading, 150)},
        {
            "type": "context",
            "block_id": "report_period",
            "elements": [mrkdwn(escape_mrkdwn(clip(period.describe(t), 2000)))],
        },
        {
            "type": "section",
            "block_id": "report_totals",
            "fields": [
                _field(t.gettext("Meetings"), str(report.total)),
                _field(t.gettext("Canceled"), str(report.canceled)),
                _field(
                    t.gettext("Completion rate"),
                    t.gettext(
                        "{rate} ({count} of {ended})",
                        rate=rate_text(report.completion_rate),
                        count=report.completed,
                        ended=report.ended,
                    ),
                ),
                _field(
                    t.gettext("No-show rate"),
                    t.gettext(
                        "{rate} ({count} of {ended})",
                        rate=rate_text(report.no_show_rate),
                        count=report.no_show,
                        ended=report.ended,
                    ),
                ),
            ],
        },
        {
            "type": "context",
            "block_id": "report_rates_note",
            "elements": [
                mrkdwn(t.gettext("Rates count the meetings that have ended and were not canceled."))
            ],
        },
    ]
    if own:
        blocks.append(
            {
                "type": "context",
                "block_id": "report_scope",
                "elements": [
                    mrkdwn(
                        t.gettext(
                            "Only the meetings you organized or host. Team reports are for Meetline managers and admins."
                        )
                    )
                ],
            }
        )
    if not report.total:
        blocks.append(
            {
                "type": "section",
                "block_id": "report_empty",
                "text": mrkdwn(t.gettext("No meetings started in this period.")),
            }
        )
        return blocks
    blocks += [
        {"type": "divider", "block_id": "report_div"},
        _section(
            "report_organizers",
            t.gettext("By organizer (created by)"),
            _lines(report.by_organizer, _person, t=t),
        ),
        _section(
            "report_hosts", t.gettext("By host (assigned to)"), _lines(report.by_host, _person, t=t)
        ),
        _section(
            "report_outcomes",
            t.gettext("By outcome"),
            _lines(report.by_outcome, _label, skip_zero=True, t=t),
        ),
        _section("report_types", t.gettext("By meeting type"), _lines(report.by_type, _label, t=t)),
    ]
    return blocks


def report_started_text(period_name: str, *, t: Translator = EN) -> str:
    return t.gettext(
        "Preparing your meeting report for *{period}* (in your time zone). It will arrive in your "
        "direct messages with Meetline, with a chart and a CSV.",
        period=escape_mrkdwn(period_name),
    )


def period_help_text(text: str, reason: str = "", *, t: Translator = EN) -> str:
    """Shown for a period we cannot read: what went wrong and every form that works
    (`reason` already in `t`'s language)."""
    english = ", ".join(f"`{f}`" for f in PERIOD_FORMS)
    polish = ", ".join(f"`{f}`" for f in PERIOD_FORMS_PL)
    why = f" ({escape_mrkdwn(reason)})" if reason else ""
    return ":warning: " + t.gettext(
        "I can't read “{text}” as a period{why}.\nTry `/meet report last month`. Periods: {english} (both dates "
        "included), `last N days`; po polsku: {polish}. Periods follow your Slack time zone; weeks start on Monday.",
        text=escape_mrkdwn(clip(text, 100)),
        why=why,
        english=english,
        polish=polish,
    )


def report_uploads(
    report: Report, chart_png: bytes, csv: str, t: Translator = EN
) -> dict[str, Any]:
    """`files_upload_v2` arguments for the report's chart and CSV (all but the channel)."""
    period = report.period
    stem = f"meetings-{period.first_day.isoformat()}-{period.last_day.isoformat()}"
    described = period.describe(t)
    own = report.scope is ReportScope.OWN
    title = (
        t.gettext("Your meetings {period}", period=period.name(t))
        if own
        else t.gettext("Meetings {period}", period=period.name(t))
    )
    return {
        "initial_comment": (
            t.gettext("Chart and CSV of your meetings for {period}.", period=described)
            if own
            else t.gettext("Chart and CSV for {period}.", period=described)
        ),
        "file_uploads": [
            {
                "file": chart_png,
                "filename": f"{stem}.png",
                "title": title,
                "alt_txt": t.gettext(
                    "Bar charts of meetings by outcome and by host, {period}", period=described
                )[:1000],
            },
            {"content": csv, "filename": f"{stem}.csv", "title": f"{title} (CSV)"},
        ],
    }
