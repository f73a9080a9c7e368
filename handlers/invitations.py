"""Invitations and reminder emails: domain types, the Mailer port and the mail wording.

The use cases decide *what* is sent (one `Invitation` or `ReminderEmail` per recipient);
adapters decide *how* (SMTP, iCalendar). The wording lives here, as pure functions over
the domain types, so every mail adapter says the same thing; the words come from the
gettext catalogues (handlers/i18n.py) in each message's `language`, and dates and times
are formatted for that language by Babel.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Final, Literal, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.i18n import N_, Translator, translator

Method = Literal["REQUEST", "CANCEL"]


# --------------------------------------------------------------------------- domain types


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""


def _require_aware(label: str, value: datetime) -> None:
    # A naive datetime would silently become a "floating" time in the .ics, read in each
    # client's own zone: refuse it where the mistake is made, not where it is noticed.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{label} must be timezone-aware (UTC)")


@dataclass(frozen=True)
class Invitation:
    """One iMIP message (RFC 6047) about one meeting, to be mailed to each attendee.

    `uid` is the meeting's stored iCalendar UID and must never change for that meeting;
    `sequence` starts at 0 and is raised on every change and on CANCEL, or clients ignore
    the update. `timezone` is the host's IANA zone; `recipient_timezone` is the zone of
    the person this copy goes to, when known (set it per recipient with
    `dataclasses.replace`). The .ics always carries UTC; the zones only shape the text.
    `language` ("pl", "pl-PL", …) is the recipient's; unknown languages read English.
    """

    uid: str
    sequence: int
    method: Method
    title: str
    start_utc: datetime
    end_utc: datetime
    organizer: Person
    attendees: tuple[Person, ...]
    description: str = ""
    location: str = ""
    join_url: str | None = None
    timezone: str = "UTC"
    recipient_timezone: str | None = None
    language: str = "en"
    # The host's own copy: they organized the meeting, so it tells them who was invited
    # instead of inviting them (set per recipient with `dataclasses.replace`).
    for_organizer: bool = False

    def __post_init__(self) -> None:
        if not self.uid.strip():
            raise ValueError("uid must not be empty")
        if self.sequence < 0:
            raise ValueError("sequence must be >= 0")
        if self.method not in ("REQUEST", "CANCEL"):
            raise ValueError(f"method must be REQUEST or CANCEL, not {self.method!r}")
        _require_aware("start_utc", self.start_utc)
        _require_aware("end_utc", self.end_utc)
        if self.end_utc < self.start_utc:
            raise ValueError("end_utc is before start_utc")


@dataclass(frozen=True)
class ReminderEmail:
    """A reminder Meetline mails itself (VALARM in invitations is ignored by clients).

    `description` is None when the workspace chose not to include the attendee
    description in reminders; "" and None both mean "say nothing". The recipient is the
    `to` argument of `Mailer.send_reminder`, so it is not repeated here.
    """

    title: str
    start_utc: datetime
    end_utc: datetime
    organizer: Person
    location: str = ""
    join_url: str | None = None
    description: str | None = None
    timezone: str = "UTC"
    recipient_timezone: str | None = None
    language: str = "en"
    # When it is sent: within the last hour before the start, the mail says how soon
    # ("starts in 10 minutes", "starting now") as it is at that moment.
    sent_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware("start_utc", self.start_utc)
        _require_aware("end_utc", self.end_utc)
        if self.end_utc < self.start_utc:
            raise ValueError("end_utc is before start_utc")


# --------------------------------------------------------------------------- port


class MailError(Exception):
    """Sending failed. `transient` tells the job queue whether a retry can help.

    Transient: the server is down or unreachable, timed out, or answered 4xx.
    Permanent: the server answered 5xx (e.g. 550 recipient refused), the address is
    unusable, or the configuration is wrong; retrying would only repeat the failure.
    """

    def __init__(self, message: str = "", *, transient: bool, smtp_code: int | None = None):
        super().__init__(message or ("temporary mail failure" if transient else "mail failure"))
        self.transient = transient
        self.smtp_code = smtp_code


class Mailer(Protocol):
    def send_invitation(self, invitation: Invitation, to: Person) -> None:
        """Mail one copy of the invitation to one attendee; raise `MailError` on failure."""
        ...

    def send_reminder(self, reminder: ReminderEmail, to: Person) -> None:
        """Mail one reminder to one attendee; raise `MailError` on failure."""
        ...

    def session(self) -> AbstractContextManager[object]:
        """Within it, mails may share one connection to the mail server (a worker's
        batch); outside it, each mail is sent on its own."""
        ...


# --------------------------------------------------------------------------- wording

# Everything a recipient reads comes from the gettext catalogues (handlers/i18n.py) in
# the message's `language`; the functions below only arrange translated strings and
# escaped user data.

# Translators: CLDR date pattern for mails (https://unicode.org/reports/tr35/tr35-dates.html);
# keep it ASCII apart from the month and weekday names. English: "Tuesday, 2 December 2025".
DATE_PATTERN: Final = N_("EEEE, d MMMM y")
# Translators: CLDR time pattern for mails, e.g. "HH:mm" for 24-hour clocks. English: "3:00 PM".
TIME_PATTERN: Final = N_("h:mm a")


@dataclass(frozen=True)
class MailText:
    subject: str
    text: str
    html: str


_LINE_BREAKS: Final = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# What multi_line changes: controls (Unicode category Cc) but \n and \t, and the line
# and paragraph separators; text without any is only stripped.
_UNUSUAL_BREAKS_AND_CONTROLS: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def single_line(value: str) -> str:
    """Flatten to one line: user text may carry CR/LF (or Unicode line separators) that
    would otherwise inject mail headers or iCalendar lines."""
    if value.isprintable():  # no control character, no line or paragraph separator
        return " ".join(value.split())
    cleaned = "".join(
        " " if ch in _LINE_BREAKS or unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in value
    )
    return " ".join(cleaned.split())


def multi_line(value: str) -> str:
    """Keep paragraphs but normalise every line break to \\n and drop other controls."""
    text = value.replace("\r\n", "\n")
    if not _UNUSUAL_BREAKS_AND_CONTROLS.search(text):
        return text.strip()
    out = []
    for ch in text:
        if ch == "\n" or ch == "\t":
            out.append(ch)
        elif ch in _LINE_BREAKS:
            out.append("\n")
        elif unicodedata.category(ch) == "Cc":
            continue
        else:
            out.append(ch)
    return "".join(out).strip()


def is_web_url(url: str | None) -> bool:
    """Only http(s) links become clickable; anything else (javascript:, data:) stays text."""
    if not url:
        return False
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def resolve_zone(*names: str | None) -> tzinfo:
    """The first usable IANA zone among `names`, else UTC: a bad zone must not stop a mail."""
    for name in names:
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            continue
    return UTC


def _zone_label(zone: tzinfo, local: datetime) -> str:
    key = getattr(zone, "key", None) or "UTC"
    if key in ("UTC", "Etc/UTC", "Etc/GMT", "GMT"):
        return "UTC"
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{key}, UTC{sign}{hours:02d}:{mins:02d}"


def _format_time(moment: datetime, t: Translator) -> str:
    return t.format_time(moment, format=t.gettext(TIME_PATTERN))


def _format_date(moment: datetime, t: Translator) -> str:
    return t.format_date(moment, format=t.gettext(DATE_PATTERN))


def format_when(start_utc: datetime, end_utc: datetime | None, zone: tzinfo, t: Translator) -> str:
    """A start (and end) in `zone`, always naming the zone so nobody has to guess it.

    ASCII only apart from the catalogue's words: the stdlib folds a Subject with
    non-ASCII punctuation into encoded-words and may double a space while doing it.
    """
    start = start_utc.astimezone(zone)
    label = _zone_label(zone, start)
    date_text, time_text = _format_date(start, t), _format_time(start, t)
    if end_utc is None:
        return t.gettext("{date}, {time} ({zone})", date=date_text, time=time_text, zone=label)
    end = end_utc.astimezone(zone)
    if end.date() == start.date():
        return t.gettext(
            "{date}, {start} - {end} ({zone})",
            date=date_text,
            start=time_text,
            end=_format_time(end, t),
            zone=label,
        )
    return t.gettext(
        "{start_date}, {start} - {end_date}, {end} ({zone})",
        start_date=date_text,
        start=time_text,
        end_date=_format_date(end, t),
        end=_format_time(end, t),
        zone=label,
    )


def ics_description(inv: Invitation) -> str:
    """DESCRIPTION of the .ics: the attendee description, then the join link on its own line."""
    parts = [multi_line(inv.description)] if inv.description.strip() else []
    if inv.join_url and inv.join_url.strip():
        url = single_line(inv.join_url)
        parts.append(translator(inv.language).gettext("Join: {url}", url=url))
    return "\n\n".join(parts)


def _person_label(person: Person) -> str:
    name = single_line(person.name)
    email = single_line(person.email)
    return f"{name} <{email}>" if name else email


def _render(
    *,
    subject: str,
    intro: str,
    title: str,
    when: str,
    location: str,
    join_url: str | None,
    description: str,
    organizer: Person,
    t: Translator,
) -> MailText:
    organizer_label = _person_label(organizer)
    join = single_line(join_url) if join_url else ""
    join_label = t.gettext("Join")
    rows: list[tuple[str, str]] = [(t.gettext("When"), when)]
    if location:
        rows.append((t.gettext("Where"), location))
    if join:
        rows.append((join_label, join))
    rows.append((t.gettext("Organizer"), organizer_label))
    footer = t.gettext(
        "Sent by Meetline on behalf of {organizer}.",
        organizer=single_line(organizer.name) or organizer_label,
    )

    text_lines = [intro, "", title, ""]
    text_lines += [f"{label}: {value}" for label, value in rows]
    if description:
        text_lines += ["", description]
    text_lines += ["", "-- ", footer]

    esc = html.escape
    html_rows = []
    for label, value in rows:
        if label == join_label and is_web_url(value):
            cell = f'<a href="{esc(value, quote=True)}">{esc(value)}</a>'
        else:
            cell = esc(value)
        html_rows.append(
            f'<tr><td style="padding:2px 12px 2px 0;color:#555;vertical-align:top">'
            f"{esc(label)}</td><td>{cell}</td></tr>"
        )
    html_parts = [
        "<!DOCTYPE html>",
        '<html><body style="font-family:Arial,Helvetica,sans-serif;font-size:14px">',
        f"<p>{esc(intro)}</p>",
        f'<h2 style="font-size:18px">{esc(title)}</h2>',
        "<table>" + "".join(html_rows) + "</table>",
    ]
    if description:
        html_parts.append("<p>" + esc(description).replace("\n", "<br>\n") + "</p>")
    html_parts += [f'<p style="color:#777;font-size:12px">{esc(footer)}</p>', "</body></html>"]
    return MailText(
        subject=single_line(subject),
        text="\n".join(text_lines) + "\n",
        html="\n".join(html_parts) + "\n",
    )


def invitation_text(inv: Invitation) -> MailText:
    """Subject, plain text and HTML for one recipient's copy of an invitation, in
    `inv.language` with times in the recipient's zone (else the host's)."""
    t = translator(inv.language)
    zone = resolve_zone(inv.recipient_timezone, inv.timezone)
    title = single_line(inv.title)
    when = format_when(inv.start_utc, inv.end_utc, zone, t)
    if inv.for_organizer:
        subject, intro = _organizer_wording(inv, title, when, t)
    elif inv.method == "CANCEL":
        subject = t.gettext("Canceled: {title} @ {when}", title=title, when=when)
        intro = t.gettext("This meeting has been canceled.")
    elif inv.sequence > 0:
        subject = t.gettext("Updated invitation: {title} @ {when}", title=title, when=when)
        intro = t.gettext("This meeting has been updated.")
    else:
        subject = t.gettext("Invitation: {title} @ {when}", title=title, when=when)
        intro = t.gettext("You have been invited to this meeting.")
    return _render(
        subject=subject,
        intro=intro,
        title=title,
        when=when,
        location=single_line(inv.location),
        join_url=inv.join_url,
        description=multi_line(inv.description),
        organizer=inv.organizer,
        t=t,
    )


def _organizer_wording(inv: Invitation, title: str, when: str, t: Translator) -> tuple[str, str]:
    """Subject and opening line of the host's copy: what was sent, and to whom."""
    names = ", ".join(single_line(p.name) or single_line(p.email) for p in inv.attendees)
    if inv.method == "CANCEL":
        subject = t.gettext("Canceled: {title} @ {when}", title=title, when=when)
        if names:
            return subject, t.gettext(
                "This meeting has been canceled. The cancellation was sent to: {names}.",
                names=names,
            )
        return subject, t.gettext("This meeting has been canceled.")
    if inv.sequence > 0:
        subject = t.gettext("Updated invitation sent: {title} @ {when}", title=title, when=when)
        sent = t.gettext(
            "You are the organizer of this meeting. The updated invitation was sent to: {names}.",
            names=names,
        )
    else:
        subject = t.gettext("Invitation sent: {title} @ {when}", title=title, when=when)
        sent = t.gettext(
            "You are the organizer of this meeting. The invitation was sent to: {names}.",
            names=names,
        )
    return subject, sent if names else t.gettext("You are the organizer of this meeting.")


def _reminder_intro(rem: ReminderEmail, t: Translator) -> str:
    """How soon the meeting starts, true at the moment of sending (a reminder sent late,
    after the worker was down, must not promise an hour that has gone)."""
    left = _minutes_left(rem)
    if left is not None and left <= 1:
        return t.gettext("Your meeting is starting now.")
    if left is not None:
        return t.ngettext(
            "Your meeting starts in {n} minute.", "Your meeting starts in {n} minutes.", left
        )
    return t.gettext("This is a reminder of your upcoming meeting.")


def _minutes_left(rem: ReminderEmail) -> int | None:
    """Minutes from sending to the start, when under an hour (the intro says them)."""
    if rem.sent_at is None:
        return None
    left = math.ceil((rem.start_utc - rem.sent_at).total_seconds() / 60)
    return left if left < 60 else None


def reminder_text_key(rem: ReminderEmail) -> tuple[ReminderEmail, int | None]:
    """What `reminder_text` reads of `rem`: equal keys give equal texts, so a mailer may
    render a meeting's reminder once for its attendees. `sent_at` counts only as the
    minutes it leaves before the start, within the last hour."""
    return replace(rem, sent_at=None), _minutes_left(rem)


def reminder_text(rem: ReminderEmail) -> MailText:
    """Subject, plain text and HTML of a reminder; the description only when given."""
    t = translator(rem.language)
    zone = resolve_zone(rem.recipient_timezone, rem.timezone)
    title = single_line(rem.title)
    return _render(
        subject=t.gettext(
            "Reminder: {title} at {when}",
            title=title,
            when=format_when(rem.start_utc, None, zone, t),
        ),
        intro=_reminder_intro(rem, t),
        title=title,
        when=format_when(rem.start_utc, rem.end_utc, zone, t),
        location=single_line(rem.location),
        join_url=rem.join_url,
        description=multi_line(rem.description or ""),
        organizer=rem.organizer,
        t=t,
    )
