"""Scheduling rules. Each failure names the form field it belongs to (`handlers.errors.Field`),
so the form can show the message next to that field; warnings never block a save. Messages come in the
request's language (`MeetingRequest.language`) unless a translator is passed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import phonenumbers

from handlers.errors import Field
from handlers.i18n import Translator, translator
from handlers.meetings import (
    MAX_REMINDERS,
    Location,
    LocationKind,
    MeetingRequest,
    Reminder,
    ReminderSpec,
    ReminderUnit,
    combine_local,
)

MAX_DURATION_MINUTES = 12 * 60
MAX_TITLE = 250
EMAIL_RE = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}")


def valid_email(value: str | None) -> bool:
    return bool(value) and EMAIL_RE.fullmatch(value or "") is not None


@dataclass
class Checked:
    errors: dict[Field, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    start_utc: datetime | None = None
    end_utc: datetime | None = None
    location: Location = Location()
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_when(
    req: MeetingRequest, now: datetime, out: Checked, t: Translator | None = None
) -> None:
    t = t or translator(req.language)
    if req.day is None:
        out.errors[Field.DATE] = t.gettext("Pick the day of the meeting.")
    if req.start_time is None:
        out.errors[Field.TIME] = t.gettext("Pick the start time.")
    if req.duration_minutes is None:
        out.errors[Field.DURATION] = t.gettext("Enter the length in minutes, e.g. 40.")
    elif not 1 <= req.duration_minutes <= MAX_DURATION_MINUTES:
        out.errors[Field.DURATION] = t.gettext(
            "A meeting lasts between 1 and {max} minutes.", max=MAX_DURATION_MINUTES
        )
    if req.day is None or req.start_time is None:
        return
    start, problem = combine_local(req.day, req.start_time, req.timezone)
    if problem == "gap":
        out.errors[Field.TIME] = t.gettext(
            "This time does not exist on that day in {zone} (the clocks go forward). Pick another time.",
            zone=req.timezone,
        )
        return
    if problem == "fold":
        out.errors[Field.TIME] = t.gettext(
            "This time happens twice on that day in {zone} (the clocks go back). Pick another time.",
            zone=req.timezone,
        )
        return
    assert start is not None
    if start <= now:
        out.errors[Field.TIME if req.day == now.astimezone(start.tzinfo).date() else Field.DATE] = (
            t.gettext("The meeting must start in the future.")
        )
        return
    out.start_utc = start.astimezone(UTC)
    if req.duration_minutes and 1 <= req.duration_minutes <= MAX_DURATION_MINUTES:
        out.end_utc = out.start_utc + timedelta(minutes=req.duration_minutes)


def check_location(
    loc: Location, phone_region: str | None, out: Checked, t: Translator | None = None
) -> None:
    t = t or translator("en")
    detail = " ".join(loc.detail.split())
    if loc.kind is LocationKind.PHONE:
        if not detail:
            out.errors[Field.PHONE] = t.gettext("Enter the phone number to call.")
            return
        try:
            number = phonenumbers.parse(detail, (phone_region or "").upper() or None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            out.errors[Field.PHONE] = t.gettext(
                "This is not a valid phone number. Include the country code, e.g. +48 22 123 45 67."
            )
            return
        detail = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    elif loc.kind is LocationKind.IN_PERSON and not detail:
        out.errors[Field.ADDRESS] = t.gettext("Enter the address where you meet.")
        return
    elif loc.kind is LocationKind.CUSTOM and not detail:
        out.errors[Field.CUSTOM_LOCATION] = t.gettext("Describe where the meeting takes place.")
        return
    elif loc.kind is LocationKind.VIDEO and not loc.provider:
        out.errors[Field.VIDEO] = t.gettext("Pick the video provider.")
        return
    out.location = Location(loc.kind, detail, loc.provider)


def reminder_offset_text(amount: int, unit: ReminderUnit, t: Translator) -> str:
    """ "2 hours before", with the language's plural form for `amount`."""
    if unit is ReminderUnit.WEEKS:
        return t.ngettext("{n} week before", "{n} weeks before", amount)
    if unit is ReminderUnit.DAYS:
        return t.ngettext("{n} day before", "{n} days before", amount)
    if unit is ReminderUnit.HOURS:
        return t.ngettext("{n} hour before", "{n} hours before", amount)
    return t.ngettext("{n} minute before", "{n} minutes before", amount)


def check_reminders(
    specs: tuple[ReminderSpec, ...], now: datetime, out: Checked, t: Translator | None = None
) -> None:
    t = t or translator("en")
    if len(specs) > MAX_REMINDERS:
        out.errors[Field.reminder(MAX_REMINDERS)] = t.ngettext(
            "At most {n} reminder.", "At most {n} reminders.", MAX_REMINDERS
        )
        return
    seen: set[int] = set()
    for index, spec in enumerate(specs):
        if spec.amount is None or spec.amount <= 0:
            out.errors[Field.reminder(index)] = t.gettext("Enter a whole number greater than 0.")
            continue
        offset = int(spec.offset.total_seconds() // 60)
        if out.start_utc is None:
            continue
        due = out.start_utc - spec.offset
        if due <= now:
            out.warnings.append(
                t.gettext(
                    "The reminder {offset} was dropped: that time has already passed.",
                    offset=reminder_offset_text(spec.amount, spec.unit, t),
                )
            )
            continue
        if offset in seen:
            continue
        seen.add(offset)
        out.reminders.append(Reminder(offset_minutes=offset, due_at=due))
    out.reminders.sort(key=lambda r: r.due_at)


def check_request(req: MeetingRequest, now: datetime, t: Translator | None = None) -> Checked:
    """The rules that need nothing but the request; lookups are checked by the use case.

    Messages are in `t`'s language, by default the request's (`req.language`).
    """
    t = t or translator(req.language)
    out = Checked()
    if req.record_id is None:
        out.errors[Field.RECORD] = t.gettext("Pick the record this meeting is about.")
    title = " ".join(req.title.split())
    if not title:
        out.errors[Field.TITLE] = t.gettext("Give the meeting a title.")
    elif len(title) > MAX_TITLE:
        out.errors[Field.TITLE] = t.gettext("Keep the title under {max} characters.", max=MAX_TITLE)
    check_when(req, now, out, t)
    check_location(req.location, req.phone_region, out, t)
    check_reminders(req.reminders, now, out, t)
    if not req.attendees:
        out.errors[Field.ATTENDEES] = t.gettext("Add at least one attendee.")
    return out
