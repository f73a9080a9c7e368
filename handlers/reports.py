"""Use case: meeting reports — how many meetings, by whom, with what result, over a period.

Periods are read in the reader's own IANA zone, because "last week" for a rep in
Warsaw and one in New York are different instants; the zone's calendar days (weeks
start on Monday) become one UTC half-open range [start, end) that the database can
answer from its (team, start) index. A period we cannot read is an error listing the
accepted forms, never a guess: a report over the wrong weeks looks plausible and is
believed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.i18n import N_, Translator, translator
from handlers.meetings import DEFAULT_OUTCOMES, OUTCOME_SCHEDULED, Meeting
from handlers.outcomes import outcome_label
from handlers.policy import Actor, ReportScope, in_report, report_scope
from handlers.ports import Clock, UserRepository

OUTCOME_CANCELED = "CANCELED"
OUTCOME_COMPLETED = "COMPLETED"
OUTCOME_NO_SHOW = "NO_SHOW"
STATUS_CANCELLED = "cancelled"

DEFAULT_PERIOD = "last 30 days"
MAX_DAYS = 3660  # "last N days" and explicit ranges: ten years is plenty, more is a typo

PERIOD_FORMS = (
    "today",
    "yesterday",
    "this week",
    "last week",
    "this month",
    "last month",
    "last 30 days",
    "2026-11-01..2026-11-30",
)
PERIOD_FORMS_PL = (
    "dzisiaj",
    "wczoraj",
    "ten tydzień",
    "zeszły tydzień",
    "ten miesiąc",
    "zeszły miesiąc",
    "ostatnie 30 dni",
)

DIMENSIONS = ("organizer", "host", "outcome", "type")

# Named periods in the reader's language (the key stays the canonical English name).
PERIOD_NAMES = {
    "today": N_("today"),
    "yesterday": N_("yesterday"),
    "this week": N_("this week"),
    "last week": N_("last week"),
    "this month": N_("this month"),
    "last month": N_("last month"),
}
NO_TYPE = N_("No type")


class UnknownPeriod(ValueError):
    """The text names no period we understand; str() is one line naming the accepted forms.

    `reason` is in English (the command line's language); `reason_in(t)` gives it in a
    reader's language. `message` is the reason's catalogue id (marked with N_), filled
    from `values`."""

    def __init__(self, text: str, message: str = "", **values: object) -> None:
        self.text = text
        self.message = message
        self.values = values
        self.reason = translator("en").gettext(message, **values) if message else ""
        reason = self.reason
        why = f" ({reason})" if reason else ""
        shown = " ".join(text.split())[:100]  # one line, whatever was typed
        super().__init__(
            f'unknown period "{shown}"{why}; use one of: {", ".join(PERIOD_FORMS)} '
            f"(YYYY-MM-DD..YYYY-MM-DD, ends included), or in Polish: {', '.join(PERIOD_FORMS_PL)}"
        )

    def reason_in(self, t: Translator) -> str:
        return t.gettext(self.message, **self.values) if self.message else ""


@dataclass(frozen=True)
class Period:
    """Whole calendar days [first_day, last_day] in `timezone`, and the UTC range they cover."""

    key: str  # canonical English name ("last month", "2026-11-01..2026-11-30")
    first_day: date
    last_day: date  # included
    timezone: str
    start_utc: datetime
    end_utc: datetime  # excluded

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def _is_range(self) -> bool:
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?", self.key) is not None

    def span(self, t: Translator | None = None) -> str:
        """ "2026-10-01 – 2026-10-31" (English) or "01.10.2026 – 31.10.2026" (Polish)."""
        t = t or translator("en")
        # Translators: the CLDR pattern of the days in a report's period (ISO in English).
        pattern = t.gettext("yyyy-MM-dd")
        first = t.format_date(self.first_day, format=pattern)
        return (
            first if self.days == 1 else f"{first} – {t.format_date(self.last_day, format=pattern)}"
        )

    def name(self, t: Translator | None = None) -> str:
        """The period as the reader names it: "last month", "zeszły miesiąc", "ostatnie 7 dni";
        a range of dates is its span."""
        t = t or translator("en")
        if self.key in PERIOD_NAMES:
            return t.gettext(PERIOD_NAMES[self.key])
        days = re.fullmatch(r"last (\d+) days?", self.key)
        if days:
            return t.ngettext("last {n} day", "last {n} days", int(days.group(1)))
        return self.span(t) if self._is_range() else self.key

    def describe(self, t: Translator | None = None) -> str:
        """ "last month (2026-10-01 – 2026-10-31, Europe/Warsaw)": names and dates, so a
        reader in another zone sees which days were counted; in `t`'s language (English)."""
        if self._is_range():
            return f"{self.span(t)} ({self.timezone})"
        return f"{self.name(t)} ({self.span(t)}, {self.timezone})"

    def contains(self, instant: datetime) -> bool:
        return self.start_utc <= instant < self.end_utc


def _fold_text(text: str) -> str:
    """Lower case, single spaces, Polish letters without diacritics ("zeszły" = "zeszly"),
    because people type both on keyboards without a Polish layout."""
    text = text.strip().lower().replace("ł", "l")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


_NAMED: dict[str, str] = {
    "today": "today",
    "dzisiaj": "today",
    "dzis": "today",
    "yesterday": "yesterday",
    "wczoraj": "yesterday",
    "this week": "this week",
    "current week": "this week",
    "ten tydzien": "this week",
    "biezacy tydzien": "this week",
    "w tym tygodniu": "this week",
    "last week": "last week",
    "previous week": "last week",
    "zeszly tydzien": "last week",
    "poprzedni tydzien": "last week",
    "ostatni tydzien": "last week",
    "w zeszlym tygodniu": "last week",
    "this month": "this month",
    "current month": "this month",
    "ten miesiac": "this month",
    "biezacy miesiac": "this month",
    "w tym miesiacu": "this month",
    "last month": "last month",
    "previous month": "last month",
    "zeszly miesiac": "last month",
    "poprzedni miesiac": "last month",
    "ostatni miesiac": "last month",
    "w zeszlym miesiacu": "last month",
}
_LAST_DAYS = re.compile(r"(?:last|past|ostatnie|ostatnich) (\d{1,5}) (?:days?|dni|dzien)")
_ISO = r"(\d{4}-\d{1,2}-\d{1,2})"
_RANGE = re.compile(rf"{_ISO}(?:\s*\.\.\s*|\s*[–—]\s*|\s+-\s+|\s+to\s+|\s+do\s+|\s+){_ISO}")
_ONE_DAY = re.compile(_ISO)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _day(text: str, original: str) -> date:
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
    except ValueError:
        raise UnknownPeriod(original, N_("{day} is not a date"), day=text) from None


def day_start_utc(day: date, zone: ZoneInfo) -> datetime:
    """The instant the day begins in `zone`. Where midnight is skipped by a DST jump
    (e.g. America/Santiago) fold=0 reads it with the old offset, which is exactly the
    instant of the jump, i.e. the first instant of that day; where midnight happens
    twice, fold=0 is the first."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def parse_period(text: str, now: datetime, timezone: str) -> Period:
    """The period `text` names, as seen by a reader in `timezone` at `now`.

    Raises UnknownPeriod (a ValueError) for text we do not read, and ValueError for
    an unknown zone. "last N days" is today and the N-1 days before it: whole days,
    so the same command gives the same answer all day long.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    zone = _zone(timezone)
    today = now.astimezone(zone).date()
    folded = _fold_text(text) or DEFAULT_PERIOD
    key = _NAMED.get(folded)
    first: date
    last: date
    if key == "today":
        first = last = today
    elif key == "yesterday":
        first = last = today - timedelta(days=1)
    elif key == "this week":
        first = today - timedelta(days=today.weekday())
        last = first + timedelta(days=6)
    elif key == "last week":
        first = today - timedelta(days=today.weekday() + 7)
        last = first + timedelta(days=6)
    elif key == "this month":
        first = today.replace(day=1)
        last = _month_end(first)
    elif key == "last month":
        last = today.replace(day=1) - timedelta(days=1)
        first = last.replace(day=1)
    elif match := _LAST_DAYS.fullmatch(folded):
        count = int(match.group(1))
        if not 1 <= count <= MAX_DAYS:
            raise UnknownPeriod(text, N_("the number of days must be 1 to {max}"), max=MAX_DAYS)
        key = f"last {count} days" if count != 1 else "last 1 day"
        first, last = today - timedelta(days=count - 1), today
    elif match := _RANGE.fullmatch(folded):
        first, last = _day(match.group(1), text), _day(match.group(2), text)
        if last < first:
            raise UnknownPeriod(text, N_("the range ends before it starts"))
        key = f"{first.isoformat()}..{last.isoformat()}"
    elif _ONE_DAY.fullmatch(folded):
        first = last = _day(folded, text)
        key = first.isoformat()
    else:
        raise UnknownPeriod(text)
    if (last - first).days >= MAX_DAYS:
        raise UnknownPeriod(text, N_("periods are limited to {max} days"), max=MAX_DAYS)
    return Period(
        key=key,
        first_day=first,
        last_day=last,
        timezone=timezone,
        start_utc=day_start_utc(first, zone),
        end_utc=day_start_utc(last + timedelta(days=1), zone),
    )


def _month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


@dataclass(frozen=True)
class Count:
    key: str  # Slack user id, outcome code, meeting type ("" = no type)
    label: str
    count: int


@dataclass(frozen=True)
class ReportLabels:
    """How keys read to people. `people` maps Slack user ids to names (ids stay when a
    name is unknown); `outcomes` are always listed, in this order, even at zero, so two
    reports line up; other outcome codes (older custom ones) follow by count."""

    people: Mapping[str, str] = field(default_factory=dict)
    outcome: Callable[[str], str] = outcome_label
    outcomes: tuple[str, ...] = (OUTCOME_SCHEDULED, *DEFAULT_OUTCOMES)
    no_type: str = NO_TYPE  # already in the reader's language


@dataclass(frozen=True)
class Report:
    period: Period
    generated_at: datetime
    total: int
    ended: int  # ended (end <= generated_at) and not cancelled: the rates' denominator
    completed: int  # of `ended`
    no_show: int  # of `ended`
    canceled: int
    by_organizer: tuple[Count, ...]
    by_host: tuple[Count, ...]
    by_outcome: tuple[Count, ...]
    by_type: tuple[Count, ...]
    # OWN: only the meetings `reader` organized or hosts (a member's report); TEAM: all.
    scope: ReportScope = ReportScope.TEAM
    reader: str | None = None

    @property
    def completion_rate(self) -> float | None:
        """Completed / meetings that have ended and were not cancelled; None when no
        meeting has ended yet (0 % would claim every meeting failed)."""
        return self.completed / self.ended if self.ended else None

    @property
    def no_show_rate(self) -> float | None:
        """No-shows over the same denominator as completion_rate."""
        return self.no_show / self.ended if self.ended else None

    def dimension(self, name: str) -> tuple[Count, ...]:
        return {
            "organizer": self.by_organizer,
            "host": self.by_host,
            "outcome": self.by_outcome,
            "type": self.by_type,
        }[name]


def effective_outcome(meeting: Meeting) -> str:
    """A cancelled meeting counts as CANCELED whatever outcome was recorded before."""
    return OUTCOME_CANCELED if meeting.status == STATUS_CANCELLED else meeting.outcome


def _ranked(counter: Counter[str], label: Callable[[str], str]) -> tuple[Count, ...]:
    rows = [Count(k, label(k), n) for k, n in counter.items()]
    rows.sort(key=lambda c: (-c.count, c.label.casefold(), c.key))
    return tuple(rows)


def build_report(
    meetings: Iterable[Meeting],
    period: Period,
    labels: ReportLabels | None = None,
    *,
    now: datetime | None = None,
) -> Report:
    """Count the meetings that start within `period` (others are ignored).

    Cancelled meetings count under CANCELED. completion_rate and no_show_rate divide
    completed and no-show meetings by the meetings whose end is past (at `now`) and
    that were not cancelled, i.e. the meetings that could have had either result;
    both are None when that number is zero. `now` defaults to the current time.
    """
    labels = labels or ReportLabels()
    now = now or datetime.now(UTC)
    chosen = [m for m in meetings if period.contains(m.start_utc)]
    organizers: Counter[str] = Counter(m.organizer_id for m in chosen)
    hosts: Counter[str] = Counter(m.host_id for m in chosen)
    outcomes: Counter[str] = Counter(effective_outcome(m) for m in chosen)
    types: Counter[str] = Counter((m.meeting_type or "") for m in chosen)
    ended = [m for m in chosen if m.end_utc <= now and effective_outcome(m) != OUTCOME_CANCELED]

    def person(uid: str) -> str:
        return labels.people.get(uid) or uid

    listed = tuple(dict.fromkeys(labels.outcomes))
    by_outcome = tuple(Count(code, labels.outcome(code), outcomes.get(code, 0)) for code in listed)
    by_outcome += _ranked(
        Counter({k: n for k, n in outcomes.items() if k not in listed}), labels.outcome
    )
    return Report(
        period=period,
        generated_at=now,
        total=len(chosen),
        ended=len(ended),
        completed=sum(1 for m in ended if m.outcome == OUTCOME_COMPLETED),
        no_show=sum(1 for m in ended if m.outcome == OUTCOME_NO_SHOW),
        canceled=outcomes.get(OUTCOME_CANCELED, 0),
        by_organizer=_ranked(organizers, person),
        by_host=_ranked(hosts, person),
        by_outcome=by_outcome,
        by_type=_ranked(types, lambda t: t or labels.no_type),
    )


class ReportSource(Protocol):
    def meetings_between(
        self, team_id: str | None, start_utc: datetime, end_utc: datetime
    ) -> list[Meeting]:
        """Meetings starting in [start_utc, end_utc), oldest first; team_id None means every
        workspace of this install (the operator's command line). Attendees, reminders and
        records are not loaded: reports never read them."""
        ...


class MeetingReport:
    """The report for a team, a period text and a reader's zone, with names for people.

    With a `reader` the policy decides what they may count: managers and admins the
    team, members only the meetings they organized or host (their colleagues' numbers
    and names never reach them). Without one it is the operator's (the command line)."""

    def __init__(self, source: ReportSource, users: UserRepository, clock: Clock) -> None:
        self._source = source
        self._users = users
        self._clock = clock

    def period(self, text: str, timezone: str) -> Period:
        return parse_period(text, self._clock.now(), timezone)

    def __call__(
        self,
        team_id: str | None,
        period: Period,
        outcomes: Sequence[str] = DEFAULT_OUTCOMES,
        t: Translator | None = None,
        *,
        reader: Actor | None = None,
    ) -> Report:
        """The report with its labels (outcomes, "No type") in `t`'s language (English)."""
        t = t or translator("en")
        if reader is not None:
            team_id = (
                reader.team_id
            )  # a reader's report is of their own workspace, whatever was asked
        meetings = self._source.meetings_between(team_id, period.start_utc, period.end_utc)
        scope = ReportScope.TEAM
        if reader is not None:
            scope = report_scope(reader)
            meetings = [m for m in meetings if in_report(reader, m)]
        people: dict[str, str] = {}
        for m in meetings:
            for uid in (m.organizer_id, m.host_id):
                if uid not in people:
                    profile = self._users.get(m.team_id, uid)
                    people[uid] = profile.name if profile and profile.name else uid
        labels = ReportLabels(
            people=people,
            outcomes=tuple(dict.fromkeys((OUTCOME_SCHEDULED, *outcomes))),
            outcome=lambda code: outcome_label(code, t),
            no_type=t.gettext(NO_TYPE),
        )
        report = build_report(meetings, period, labels, now=self._clock.now())
        return replace(report, scope=scope, reader=reader.user_id if reader else None)
