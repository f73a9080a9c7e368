"""The admin settings form's text, both ways: settings shown as the admin edits them
("1 day", "30 minut") and the submitted view read back as a `SettingsChange`.

Only reading happens here; whether the values are allowed is the workspace rules'
(handlers.workspace.changed_settings).
"""

from __future__ import annotations

from typing import Any

from handlers.i18n import Translator, translator
from handlers.meetings import ReminderUnit
from handlers.workspace import ReminderLine, SettingsChange

# The words a default reminder's unit may be written with, in every language the admin
# form is shown in ("1 day", "2 days", "1 dzień", "30 minut"; "before"/"przed" allowed).
UNIT_WORDS: dict[str, ReminderUnit] = {
    word: unit
    for unit, words in (
        (ReminderUnit.WEEKS, ("week", "weeks", "tydzień", "tydzien", "tygodnie", "tygodni")),
        (ReminderUnit.DAYS, ("day", "days", "dzień", "dzien", "dni")),
        (
            ReminderUnit.HOURS,
            ("hour", "hours", "h", "godzina", "godzinę", "godzine", "godziny", "godzin"),
        ),
        (
            ReminderUnit.MINUTES,
            ("minute", "minutes", "min", "minuta", "minutę", "minute", "minuty", "minut"),
        ),
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


def form_values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A submitted view's values by block id (each block has one element, `value`)."""
    return {
        block: actions.get("value") or {}
        for block, actions in (view.get("state", {}).get("values", {}) or {}).items()
        if isinstance(actions, dict)
    }


def read_reminder(line: str) -> ReminderLine:
    """ "2 hours", "1 dzień przed": the amount and unit, None where unreadable."""
    amount, _, unit = line.partition(" ")
    unit = " ".join(unit.lower().split()).removesuffix(" before").removesuffix(" przed")
    return ReminderLine(int(amount) if amount.isdigit() else None, UNIT_WORDS.get(unit), line)


def read_settings_form(view: dict[str, Any]) -> SettingsChange:
    """The submitted admin settings view (bot.views.admin_views) as a change request."""
    v = form_values(view)

    def text(block: str) -> str:
        return str(v.get(block, {}).get("value") or "")

    def checked(block: str) -> bool:
        return bool(v.get(block, {}).get("selected_options"))

    durations = [
        part.strip() for part in text("durations").replace(";", ",").split(",") if part.strip()
    ]
    return SettingsChange(
        types_enabled=checked("types_enabled"),
        types=tuple(text("types").splitlines()),
        outcomes=tuple(text("outcomes").splitlines()),
        durations=tuple(int(d) if d.isdigit() else None for d in durations),
        reminders=tuple(
            read_reminder(raw.strip()) for raw in text("reminders").splitlines() if raw.strip()
        ),
        work_start=v.get("work_start", {}).get("selected_time"),
        work_end=v.get("work_end", {}).get("selected_time"),
        timezone=text("timezone") or "UTC",
        language=(v.get("language", {}).get("selected_option") or {}).get("value"),
        video_default=checked("video_default"),
        sandbox=checked("sandbox"),
    )
