"""The meeting report as files and text for people and spreadsheets: CSV, a PNG chart,
JSON and a plain-text table (the command line).

The chart and the CSV's labels are in the reader's language (`t`, English by default);
the CSV's header, dimensions and keys, the JSON and the command line's table stay
English, for scripts and operators."""

from __future__ import annotations

import csv
import io
from typing import Any

from handlers.i18n import Translator, translator
from handlers.reports import DIMENSIONS, Count, Report

CSV_HEADER = ("dimension", "key", "label", "count")
SUMMARY_ROWS = ("meetings", "ended_not_canceled", "completed", "no_show", "canceled")
CHART_SIZE_INCHES = (10.0, 7.0)
CHART_DPI = 100  # with CHART_SIZE_INCHES: always 1000 x 700 pixels
CHART_TOP = 12


def _cell(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ as a formula, and meeting types and
    names are typed by users: a leading quote keeps them text (OWASP "CSV injection")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _summary(report: Report, t: Translator | None = None) -> list[tuple[str, str, int]]:
    t = t or translator("en")
    return [
        ("meetings", t.gettext("Meetings"), report.total),
        ("ended_not_canceled", t.gettext("Ended and not canceled (rate base)"), report.ended),
        ("completed", t.gettext("Completed (of ended)"), report.completed),
        ("no_show", t.gettext("No show (of ended)"), report.no_show),
        ("canceled", t.gettext("Canceled"), report.canceled),
    ]


def report_csv(report: Report, t: Translator | None = None) -> str:
    """One row per count: dimension (summary, organizer, host, outcome, type), key (Slack
    user id, outcome code, meeting type; "" for meetings without a type), label, count.

    Summing `count` over one dimension gives the summary's `meetings` row. The header,
    dimensions and keys are fixed (spreadsheets and scripts read them); the labels are
    for people, in `t`'s language (English by default)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for key, label, count in _summary(report, t):
        writer.writerow(("summary", key, label, count))
    for dimension in DIMENSIONS:
        for row in report.dimension(dimension):
            writer.writerow((dimension, _cell(row.key), _cell(row.label), row.count))
    return out.getvalue()


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def report_json(report: Report) -> dict[str, Any]:
    period = report.period
    return {
        "period": {
            "name": period.key,
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "timezone": period.timezone,
            "start": period.start_utc.isoformat(),
            "end": period.end_utc.isoformat(),
        },
        "generated_at": report.generated_at.isoformat(),
        "totals": {key: count for key, _, count in _summary(report)},
        "completion_rate": _rate(report.completion_rate),
        "no_show_rate": _rate(report.no_show_rate),
        **{
            f"by_{d}": [
                {"key": r.key, "label": r.label, "count": r.count} for r in report.dimension(d)
            ]
            for d in DIMENSIONS
        },
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def report_table(report: Report) -> str:
    """Plain text for a terminal: aligned columns, every row (the CLI has no 50-block limit)."""
    lines = [
        f"Meeting report: {report.period.describe()}",
        f"Meetings: {report.total}   Canceled: {report.canceled}   "
        f"Completion: {_pct(report.completion_rate)} ({report.completed}/{report.ended})   "
        f"No-show: {_pct(report.no_show_rate)} ({report.no_show}/{report.ended})",
        "(rates count meetings that have ended and were not canceled)",
    ]
    titles = {
        "organizer": "By organizer (created by)",
        "host": "By host (assigned to)",
        "outcome": "By outcome",
        "type": "By meeting type",
    }
    for dimension in DIMENSIONS:
        rows = report.dimension(dimension)
        lines += ["", titles[dimension]]
        if not rows:
            lines.append("  -")
            continue
        names = [_row_name(dimension, r) for r in rows]
        width = min(max(len(n) for n in names), 60)
        lines += [f"  {n[:60]:<{width}}  {r.count:>6}" for n, r in zip(names, rows, strict=True)]
    return "\n".join(lines) + "\n"


def _row_name(dimension: str, row: Count) -> str:
    if dimension in ("organizer", "host") and row.label != row.key:
        return f"{row.label} ({row.key})"
    return row.label


def _bars(ax: Any, rows: list[Count], title: str) -> None:
    labels = [r.label if len(r.label) <= 30 else r.label[:29] + "…" for r in rows]
    counts = [r.count for r in rows]
    positions = list(range(len(rows)))
    ax.barh(positions, counts, color="#1d4e89")
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()  # largest (or first) at the top, as read
    ax.set_title(title, loc="left", fontsize=12)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlim(0, max([*counts, 1]) * 1.15)
    for y, n in zip(positions, counts, strict=True):
        ax.annotate(
            str(n), (n, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=9
        )
    ax.spines[["top", "right"]].set_visible(False)


def _top(rows: tuple[Count, ...], limit: int, t: Translator) -> list[Count]:
    if len(rows) <= limit:
        return list(rows)
    rest = sum(r.count for r in rows[limit - 1 :])
    return [
        *rows[: limit - 1],
        Count("", t.ngettext("{n} other", "{n} others", len(rows) - limit + 1), rest),
    ]


def report_chart_png(report: Report, t: Translator | None = None) -> bytes:
    """Two horizontal bar charts, meetings by outcome and by host, as a PNG of a fixed size.

    Uses matplotlib's object API with the Agg canvas, never pyplot: pyplot keeps global
    state that is not safe across the server's threads, and needs no display."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=CHART_SIZE_INCHES, dpi=CHART_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    t = t or translator("en")
    fig.suptitle(t.gettext("Meetings: {period}", period=report.period.describe(t)), fontsize=13)
    outcome_ax, host_ax = fig.subplots(1, 2)
    _bars(outcome_ax, list(report.by_outcome), t.gettext("By outcome"))
    _bars(host_ax, _top(report.by_host, CHART_TOP, t), t.gettext("By host (assigned to)"))
    if not report.by_host:
        host_ax.text(
            0.5,
            0.5,
            t.gettext("No meetings"),
            ha="center",
            va="center",
            transform=host_ax.transAxes,
        )
    out = io.BytesIO()
    # Constrained layout makes room for long labels inside the fixed size; no
    # bbox_inches="tight" (it changes the size with the labels); no timestamps or
    # version in the metadata, so the same report gives the same bytes.
    fig.savefig(out, format="png", dpi=CHART_DPI, metadata={"Software": None})
    return out.getvalue()


__all__ = [
    "CSV_HEADER",
    "SUMMARY_ROWS",
    "report_chart_png",
    "report_csv",
    "report_json",
    "report_table",
]
