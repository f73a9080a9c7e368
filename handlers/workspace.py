"""Workspace settings: what admins choose for their whole team."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import time
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.errors import Field, ValidationFailed
from handlers.i18n import Translator, translator
from handlers.meetings import DEFAULT_OUTCOMES, MAX_REMINDERS, ReminderUnit

DEFAULT_DURATIONS = (15, 30, 45, 60, 90, 120)
DEFAULT_WORKING_HOURS = ("09:00", "17:00")


@dataclass(frozen=True)
class WorkspaceSettings:
    custom_types_enabled: bool = False
    meeting_types: tuple[str, ...] = ()
    default_reminders: tuple[tuple[int, str], ...] = ()  # (amount, unit)
    custom_outcomes: tuple[str, ...] = ()
    # (own outcome, the standard one a CRM logs it as); an own outcome not here: COMPLETED
    outcomes_count_as: tuple[tuple[str, str], ...] = ()
    durations: tuple[int, ...] = DEFAULT_DURATIONS
    working_hours: tuple[str, str] = DEFAULT_WORKING_HOURS
    default_timezone: str = "UTC"
    default_language: str = "en"
    video_default_on: bool = False
    is_sandbox: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outcomes(self) -> tuple[str, ...]:
        return (*DEFAULT_OUTCOMES, *(o for o in self.custom_outcomes if o not in DEFAULT_OUTCOMES))

    def counts_as(self, outcome: str) -> str:
        """The standard outcome a CRM logs `outcome` as: a standard one is itself; an
        own outcome is what the admin chose for it (`Lost = no show`), else COMPLETED:
        recording one says the meeting took place."""
        if outcome in DEFAULT_OUTCOMES:
            return outcome
        return dict(self.outcomes_count_as).get(outcome, "COMPLETED")

    @property
    def offered_types(self) -> tuple[str, ...]:
        return self.meeting_types if self.custom_types_enabled else ()

    @property
    def work_start(self) -> time:
        return time.fromisoformat(self.working_hours[0])

    @property
    def work_end(self) -> time:
        return time.fromisoformat(self.working_hours[1])

    @property
    def work_day(self) -> tuple[time, time]:
        """Working hours as times; hours stored unreadable (an old or hand-edited row) read
        as the default day rather than breaking the free/busy check."""
        try:
            return self.work_start, self.work_end
        except ValueError:
            return time.fromisoformat(DEFAULT_WORKING_HOURS[0]), time.fromisoformat(
                DEFAULT_WORKING_HOURS[1]
            )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("is_sandbox")
        data.pop("default_timezone")
        data.pop("default_language")
        return data

    @staticmethod
    def from_json(
        data: dict[str, Any] | None,
        *,
        is_sandbox: bool = False,
        default_timezone: str = "UTC",
        default_language: str = "en",
    ) -> WorkspaceSettings:
        """Tolerant of settings written by older versions: unknown or bad parts fall back."""
        data = data or {}
        base = WorkspaceSettings()

        def tup(key: str, kind: type, default: tuple[Any, ...]) -> tuple[Any, ...]:
            value = data.get(key)
            if not isinstance(value, list):
                return default
            return tuple(v for v in value if isinstance(v, kind))

        reminders = []
        for item in data.get("default_reminders") or []:
            if (
                isinstance(item, list | tuple)
                and len(item) == 2
                and isinstance(item[0], int)
                and item[0] > 0
                and item[1] in {u.value for u in ReminderUnit}
            ):
                reminders.append((item[0], item[1]))
        hours = data.get("working_hours")
        working = (
            tuple(hours)
            if isinstance(hours, list | tuple) and len(hours) == 2
            else base.working_hours
        )
        return WorkspaceSettings(
            custom_types_enabled=bool(data.get("custom_types_enabled", False)),
            meeting_types=tup("meeting_types", str, ()),
            default_reminders=tuple(reminders[:MAX_REMINDERS]),
            custom_outcomes=tup("custom_outcomes", str, ()),
            outcomes_count_as=tuple(
                (str(pair[0]), str(pair[1]))
                for pair in data.get("outcomes_count_as") or []
                if isinstance(pair, list | tuple)
                and len(pair) == 2
                and isinstance(pair[0], str)
                and pair[1] in COUNTS_AS
            ),
            durations=tup("durations", int, DEFAULT_DURATIONS) or DEFAULT_DURATIONS,
            working_hours=(str(working[0]), str(working[1])),
            default_timezone=default_timezone,
            default_language=default_language,
            video_default_on=bool(data.get("video_default_on", False)),
            is_sandbox=is_sandbox,
        )


class WorkspaceRepository(Protocol):
    def get(self, team_id: str) -> WorkspaceSettings: ...

    def save(self, team_id: str, settings: WorkspaceSettings) -> None: ...


@dataclass(frozen=True)
class ReminderLine:
    """A default reminder as the admin wrote it: `amount` and `unit` are None when the
    form could not read them, `text` is what was written (for the message)."""

    amount: int | None
    unit: ReminderUnit | None
    text: str


@dataclass(frozen=True)
class SettingsChange:
    """What an admin asks for; `durations` holds None for a length that is no number."""

    types_enabled: bool = False
    types: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    durations: tuple[int | None, ...] = ()
    reminders: tuple[ReminderLine, ...] = ()
    work_start: str | None = None
    work_end: str | None = None
    timezone: str = "UTC"
    language: str | None = None
    video_default: bool = False
    sandbox: bool = False


MIN_DURATION, MAX_DURATION = 5, 720
COUNTS_AS = ("COMPLETED", "NO_SHOW", "CANCELED")  # what an own outcome can be logged as


def outcome_code(name: str) -> str:
    return name.strip().upper().replace(" ", "_")


def own_outcome(line: str) -> tuple[str, str | None]:
    """An admin's line "Lost deal" or "Lost deal = no show": the outcome's code and the
    standard outcome a CRM logs it as (None: not said, or not one of COUNTS_AS, in which
    case the whole line is the name, as before)."""
    name, sep, standard = line.rpartition("=")
    if sep and outcome_code(standard) in COUNTS_AS and name.strip():
        return outcome_code(name.strip()[:40]), outcome_code(standard)
    return outcome_code(line.strip()[:40]), None


def changed_settings(
    current: WorkspaceSettings, change: SettingsChange, t: Translator | None = None
) -> WorkspaceSettings:
    """The settings `change` asks for, within the workspace rules; raises ValidationFailed
    with every broken rule at once, in `t`'s language (English by default)."""
    t = t or translator("en")
    errors: dict[Field, str] = {}
    if any(d is None or not MIN_DURATION <= d <= MAX_DURATION for d in change.durations):
        errors[Field.DURATIONS] = t.gettext(
            "Use whole minutes between 5 and 720, separated by commas."
        )
    elif not change.durations:
        errors[Field.DURATIONS] = t.gettext("Offer at least one duration.")
    unreadable = next(
        (
            line
            for line in change.reminders
            if line.amount is None or line.amount <= 0 or line.unit is None
        ),
        None,
    )
    if unreadable is not None:
        errors[Field.DEFAULT_REMINDERS] = t.gettext(
            "Could not read “{line}”: write a number and weeks, days, hours or minutes.",
            line=unreadable.text,
        )
    elif len(change.reminders) > MAX_REMINDERS:
        errors[Field.DEFAULT_REMINDERS] = t.ngettext(
            "At most {n} default reminder.", "At most {n} default reminders.", MAX_REMINDERS
        )
    try:
        ZoneInfo(change.timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        errors[Field.TIMEZONE] = t.gettext(
            "Not a time zone name. Use an IANA name such as Europe/Warsaw."
        )
    start, end = (
        change.work_start or DEFAULT_WORKING_HOURS[0],
        change.work_end or DEFAULT_WORKING_HOURS[1],
    )
    if start >= end:
        errors[Field.WORK_END] = t.gettext("Working hours must end after they start.")
    if errors:
        raise ValidationFailed(errors)
    lengths = sorted({d for d in change.durations if d is not None})
    types = [name.strip()[:75] for name in change.types if name.strip()]
    extra = [own_outcome(line) for line in change.outcomes if own_outcome(line)[0]]
    custom = tuple(dict.fromkeys(code for code, _ in extra))[:10]
    return WorkspaceSettings(
        custom_types_enabled=change.types_enabled,
        meeting_types=tuple(dict.fromkeys(types))[:50],
        default_reminders=tuple(
            (line.amount or 0, line.unit.value if line.unit else "") for line in change.reminders
        ),
        custom_outcomes=custom,
        outcomes_count_as=tuple(
            dict(
                (code, standard) for code, standard in extra if standard and code in custom
            ).items()
        ),
        durations=tuple(lengths)[:20],
        working_hours=(start, end),
        default_timezone=change.timezone.strip(),
        default_language=change.language or current.default_language,
        video_default_on=change.video_default,
        is_sandbox=change.sandbox,
    )
