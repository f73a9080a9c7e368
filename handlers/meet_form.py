"""Use case: what the /meet modal opens with.

Text after `/meet` pre-fills what is understood; whatever is not understood is reported
back in the modal, never guessed, in the user's Slack language.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo

from handlers.domain import Record, RecordKind, UserProfile
from handlers.i18n import Translator, language_for, translator
from handlers.meet_text import MeetText, parse_meet_text
from handlers.ports import RecordRepository

T = TypeVar("T")
DEFAULT_DURATION = 30
MAX_PREFILLED_ATTENDEES = 10  # a company's contacts: the first ten; the user adds the rest
MAX_PREFILLED_ASSOCIATED = 20
MAX_NAME_LOOKUPS = 20  # searches for the record a message names: a long message stays quick
_WORD = re.compile(r"[\w@.+'-]+")


@dataclass(frozen=True)
class MeetFormDraft:
    timezone: str
    idempotency_key: str
    record: Record | None = None
    title: str = ""
    start: datetime | None = None
    duration_minutes: int = DEFAULT_DURATION
    notices: tuple[str, ...] = field(default_factory=tuple)
    # How the typed time was read ("Read “jutro o trzeciej” as Tue 24 Mar, 15:00."), so a
    # misreading or an assumption (business hours, "po południu" = 15:00) is seen before Save.
    reading: str | None = None


def languages_for(locale: str) -> tuple[str, ...]:
    """Parse in the user's language first, then the other supported one."""
    primary = (locale or "en").split("-")[0].split("_")[0].lower()
    return ("pl", "en") if primary == "pl" else ("en", "pl")


def default_title(record: Record | None, user: UserProfile, t: Translator | None = None) -> str:
    if record is None:
        return ""
    t = t or translator(language_for(user.locale))
    # Translators: the host in a default title "Jane Doe / me" when the user has no name.
    host = user.name or t.gettext("me")
    return f"{record.name} / {host}"


def _pick_record(
    records: Sequence[Record], query: str, t: Translator
) -> tuple[Record | None, str | None]:
    if not records:
        return None, t.gettext("No record matches “{query}”: pick one below.", query=query)
    q = query.casefold().strip()
    exact = [r for r in records if r.name.casefold() == q or (r.email or "").casefold() == q]
    if len(exact) == 1:
        return exact[0], None
    if len(records) == 1:
        return records[0], None
    return None, t.gettext("Several records match “{query}”: pick one below.", query=query)


def _named_in_message(
    records: RecordRepository, team_id: str, text: str, t: Translator
) -> tuple[Record | None, str | None]:
    """The record a message names: an e-mail address in it, or a run of capitalised words
    that is exactly one record's name (longest runs first). Never a partial match: a
    message is prose, and a guessed record would put the meeting on the wrong timeline."""
    words = [w.strip(".'-") for w in _WORD.findall(text)]
    words = [w for w in words if w]
    candidates = [w for w in words if "@" in w]
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            run = words[i : i + size]
            if all(w[:1].isupper() for w in run):
                candidates.append(" ".join(run))
    for candidate in list(dict.fromkeys(candidates))[:MAX_NAME_LOOKUPS]:
        q = candidate.casefold()
        exact = [
            r
            for r in records.search(team_id, candidate, limit=5)
            if r.name.casefold() == q or (r.email or "").casefold() == q
        ]
        if len(exact) == 1:
            return exact[0], None
    return None, t.gettext("The message names no record: pick one below.")


def draft_meet_form(
    text: str,
    now: datetime,
    user: UserProfile,
    records: RecordRepository,
    team_id: str,
    *,
    record_id: int | None = None,
    from_message: bool = False,
) -> MeetFormDraft:
    """`text` typed after /meet, or (`from_message`) a Slack message someone wrote, read
    for the time, length and record; `record_id` (a record the user came from) is the
    record when the text names none, if it is this workspace's."""
    zone = ZoneInfo(user.timezone)
    local_now = now.astimezone(zone)
    t = translator(language_for(user.locale))
    parsed = parse_meet_text(text or "", local_now, languages_for(user.locale))
    notices: list[str] = [
        t.gettext("Could not read “{text}” as a time or duration.", text=bit)
        for bit in parsed.not_understood
    ]
    notices += [
        t.gettext(
            "“{text}”: the weekday does not match the date, so no time was filled in.", text=bit
        )
        for bit in parsed.contradictions
    ]
    record: Record | None = None
    notice: str | None = None
    if record_id is not None:
        record = records.get(team_id, record_id)
        if record is None:
            notice = t.gettext("That record no longer exists: pick one below.")
    elif from_message:
        record, notice = _named_in_message(records, team_id, text or "", t)
    elif parsed.record_query:
        record, notice = _pick_record(
            records.search(team_id, parsed.record_query, limit=5), parsed.record_query, t
        )
    if notice:
        notices.append(notice)
    return MeetFormDraft(
        timezone=user.timezone,
        idempotency_key=uuid.uuid4().hex,
        record=record,
        title=parsed.title or default_title(record, user, t),
        start=parsed.start.astimezone(zone) if parsed.start else None,
        duration_minutes=parsed.duration_minutes or DEFAULT_DURATION,
        notices=tuple(notices),
        reading=how_read(parsed, zone, t),
    )


def how_read(parsed: MeetText, zone: ZoneInfo, t: Translator) -> str | None:
    """The sentence that shows how the typed time was read, in the user's zone and, when
    the text named another zone, in that one too."""
    if parsed.start is None or parsed.start_phrase is None:
        return None

    def moment(when: datetime, tz: tzinfo) -> str:
        return f"{t.format_date(when, tz, 'EEE d MMM')}, {t.format_time(when, tz)}"

    mine = moment(parsed.start, zone)
    named = parsed.start_zone
    if named is None:
        return t.gettext("Read “{phrase}” as {when}.", phrase=parsed.start_phrase, when=mine)
    return t.gettext(
        "Read “{phrase}” as {there} {zone}, that is {when} your time.",
        phrase=parsed.start_phrase,
        there=moment(parsed.start, named.tz),
        zone=named.label,
        when=mine,
    )


@dataclass(frozen=True)
class RecordPrefill:
    """What picking a record adds to the form: its contacts as attendees (the record
    itself when it is a contact) and itself with its associations as associated records."""

    record: Record
    attendees: tuple[Record, ...]
    associated: tuple[Record, ...]


def prefill_for_record(records: RecordRepository, team_id: str, record: Record) -> RecordPrefill:
    related = records.associations(team_id, record.id)
    if record.kind == RecordKind.CONTACT:
        attendees = [record]
    else:
        attendees = [r for r in related if r.kind == RecordKind.CONTACT][:MAX_PREFILLED_ATTENDEES]
    return RecordPrefill(record, tuple(attendees), (record, *related[:MAX_PREFILLED_ASSOCIATED]))


def record_picked(
    records: RecordRepository, team_id: str, record_id: int | None
) -> RecordPrefill | None:
    """The prefill for a record picked in the form, in the caller's workspace only: another
    workspace's id (or junk) is like a deleted record, and adds nothing."""
    record = records.get(team_id, record_id) if record_id is not None else None
    return prefill_for_record(records, team_id, record) if record is not None else None


def merged(current: Sequence[T], added: Sequence[T]) -> tuple[T, ...]:
    """What the user chose first, then what a prefill adds, each once: a prefill never
    removes a choice."""
    return tuple(dict.fromkeys((*current, *added)))
