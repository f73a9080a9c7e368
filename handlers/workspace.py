"""Workspace settings: what admins choose for their whole team."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import time
from typing import Any, Protocol

from handlers.i18n import Translator, translator
from handlers.meetings import DEFAULT_OUTCOMES, MAX_REMINDERS, ReminderUnit

DEFAULT_DURATIONS = (15, 30, 45, 60, 90, 120)


@dataclass(frozen=True)
class WorkspaceSettings:
    custom_types_enabled: bool = False
    meeting_types: tuple[str, ...] = ()
    default_reminders: tuple[tuple[int, str], ...] = ()  # (amount, unit)
    custom_outcomes: tuple[str, ...] = ()
    durations: tuple[int, ...] = DEFAULT_DURATIONS
    working_hours: tuple[str, str] = ("09:00", "17:00")
    default_timezone: str = "UTC"
    default_language: str = "en"
    video_default_on: bool = False
    is_sandbox: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outcomes(self) -> tuple[str, ...]:
        return (*DEFAULT_OUTCOMES, *(o for o in self.custom_outcomes if o not in DEFAULT_OUTCOMES))

    @property
    def offered_types(self) -> tuple[str, ...]:
        return self.meeting_types if self.custom_types_enabled else ()

    @property
    def work_start(self) -> time:
        return time.fromisoformat(self.working_hours[0])

    @property
    def work_end(self) -> time:
        return time.fromisoformat(self.working_hours[1])

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("is_sandbox")
        data.pop("default_timezone")
        data.pop("default_language")
        return data

    @staticmethod
    def from_json(data: dict[str, Any] | None, *, is_sandbox: bool = False, default_timezone: str = "UTC",
                  default_language: str = "en") -> WorkspaceSettings:
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
            if (isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], int) and item[0] > 0
                    and item[1] in {u.value for u in ReminderUnit}):
                reminders.append((item[0], item[1]))
        hours = data.get("working_hours")
        working = (tuple(hours) if isinstance(hours, list | tuple) and len(hours) == 2 else base.working_hours)
        return WorkspaceSettings(
            custom_types_enabled=bool(data.get("custom_types_enabled", False)),
            meeting_types=tup("meeting_types", str, ()),
            default_reminders=tuple(reminders[:MAX_REMINDERS]),
            custom_outcomes=tup("custom_outcomes", str, ()),
            durations=tup("durations", int, DEFAULT_DURATIONS) or DEFAULT_DURATIONS,
            working_hours=(str(working[0]), str(working[1])),
            default_timezone=default_timezone,
            default_language=default_language,
            video_default_on=bool(data.get("video_default_on", False)),
            is_sandbox=is_sandbox,
        )


# The words a default reminder's unit may be written with, in every language the admin
# form is shown in ("1 day", "2 days", "1 dzień", "30 minut"; "before"/"przed" allowed).
UNIT_WORDS: dict[str, ReminderUnit] = {
    word: unit
    for unit, words in (
        (ReminderUnit.WEEKS, ("week", "weeks", "tydzień", "tydzien", "tygodnie", "tygodni")),
        (ReminderUnit.DAYS, ("day", "days", "dzień", "dzien", "dni")),
        (ReminderUnit.HOURS, ("hour", "hours", "h", "godzina", "godzinę", "godzine", "godziny", "godzin")),
        (ReminderUnit.MINUTES, ("minute", "minutes", "min", "minuta", "minutę", "minute", "minuty", "minut")),
    )
    for word in words
}


def reminder_line(amount: int, unit: str, t: Translator | None = None) -> str:
    """A default reminder as the admin form shows it ("1 day", "30 minut")."""
    t = t or translator("en")
    if unit == ReminderUnit.WEEKS:
        return t.ngettext("{n} week", "{n} weeks", amount)
    if unit == ReminderUnit.DAYS:
        return t.ngettext("{n} day", "{n} days", amount)
    if unit == ReminderUnit.HOURS:
        return t.ngettext("{n} hour", "{n} hours", amount)
    return t.ngettext("{n} minute", "{n} minutes", amount)


class WorkspaceRepository(Protocol):
    def get(self, team_id: str) -> WorkspaceSettings: ...

    def save(self, team_id: str, settings: WorkspaceSettings) -> None: ...


def parse_settings_form(
    current: WorkspaceSettings,
    *,
    types_enabled: bool,
    types: str,
    outcomes: str,
    durations: str,
    reminders: str,
    work_start: str | None,
    work_end: str | None,
    timezone: str,
    language: str | None,
    video_default: bool,
    sandbox: bool,
    t: Translator | None = None,
) -> tuple[WorkspaceSettings | None, dict[str, str]]:
    """The admin form's text fields as settings, or an error per field (block id), the
    errors in `t`'s language (English by default)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    t = t or translator("en")
    errors: dict[str, str] = {}
    lengths: list[int] = []
    for part in durations.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 5 <= int(part) <= 720:
            errors["durations"] = t.gettext("Use whole minutes between 5 and 720, separated by commas.")
            break
        lengths.append(int(part))
    if not lengths and "durations" not in errors:
        errors["durations"] = t.gettext("Offer at least one duration.")
    parsed_reminders: list[tuple[int, str]] = []
    for line in (raw.strip() for raw in reminders.splitlines()):
        if not line:
            continue
        amount, _, unit = line.partition(" ")
        unit = " ".join(unit.lower().split()).removesuffix(" before").removesuffix(" przed")
        if not amount.isdigit() or int(amount) <= 0 or unit not in UNIT_WORDS:
            errors["reminders"] = t.gettext("Could not read “{line}”: write a number and weeks, days, hours or "
                                            "minutes.", line=line)
            break
        parsed_reminders.append((int(amount), UNIT_WORDS[unit].value))
    if len(parsed_reminders) > MAX_REMINDERS:
        errors["reminders"] = t.ngettext("At most {n} default reminder.", "At most {n} default reminders.",
                                         MAX_REMINDERS)
    try:
        ZoneInfo(timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = t.gettext("Not a time zone name. Use an IANA name such as Europe/Warsaw.")
    start, end = work_start or "09:00", work_end or "17:00"
    if start >= end:
        errors["work_end"] = t.gettext("Working hours must end after they start.")
    if errors:
        return None, errors
    lines = [name.strip()[:75] for name in types.splitlines() if name.strip()]
    extra = [o.strip()[:40] for o in outcomes.splitlines() if o.strip()]
    return WorkspaceSettings(
        custom_types_enabled=types_enabled,
        meeting_types=tuple(dict.fromkeys(lines))[:50],
        default_reminders=tuple(parsed_reminders),
        custom_outcomes=tuple(dict.fromkeys(o.upper().replace(" ", "_") for o in extra))[:10],
        durations=tuple(sorted(set(lengths)))[:20],
        working_hours=(start, end),
        default_timezone=timezone.strip(),
        default_language=language or current.default_language,
        video_default_on=video_default,
        is_sandbox=sandbox,
    ), {}
