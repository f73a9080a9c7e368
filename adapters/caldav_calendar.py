"""CalDAV calendars (Radicale, Nextcloud, Fastmail, iCloud, …) behind `CalendarPort`.

Choices that matter, and why:

- **Idempotent create.** The event is stored as a resource named after the meeting UID,
  so saving the same UID again overwrites that one resource and never adds a second
  event. Updates rewrite it with the use case's SEQUENCE (the library's own SEQUENCE
  bump is turned off: the stored value must equal the one in Meetline's .ics mails).
- **Invitations.** Plain CalDAV servers do not schedule (Radicale has no RFC 6638
  support), so `sends_invitations` is False and Meetline mails its own iMIP .ics. The
  stored object carries no METHOD (RFC 4791 forbids it in calendar resources).
- **Free/busy.** Only the connected user's own calendars can be read, so only their
  email gets an answer; anybody else is `None` (unknown), never free.
- **Transport.** The caldav library talks through its own HTTP stack (niquests), so tests
  run against a real Radicale rather than mocks. The URL is one a user typed, so the
  library's session is replaced by `adapters.outbound.GuardedSession`: every request
  (the probe, and the worker's later PUT/DELETE) is checked against the operator's
  `OutboundPolicy` on the address actually connected to, stays on the typed origin
  (redirects and server-supplied hrefs included), and has short timeouts and a size cap.
  RFC 6764 discovery is off: it would look up other hosts behind the guard's back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import niquests
from caldav.calendarobjectresource import Event as DavEvent
from caldav.davclient import DAVClient
from caldav.lib import error as dav_error
from icalendar import Calendar, Event, vCalAddress, vText

from adapters.outbound import OutboundPolicy, OutboundRefused
from handlers.calendars import (
    BusyInterval,
    CalendarAuthError,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarResult,
)

PRODID = "-//Meetline//Meetline CalDAV//EN"
T = TypeVar("T")


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _address(email: str, name: str, params: dict[str, str]) -> vCalAddress:
    address = vCalAddress(f"mailto:{''.join(email.split())}")
    for key, value in params.items():
        address.params[key] = value
    if name.strip():
        address.params["CN"] = vText(_one_line(name))
    return address


def event_ics(ev: CalendarEvent, *, stamp: datetime | None = None) -> str:
    """The VCALENDAR stored for a meeting: UTC times, the meeting's UID and SEQUENCE."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    vevent = Event()
    vevent.add("uid", ev.uid)
    vevent.add("sequence", ev.sequence)
    vevent.add("dtstamp", _utc(stamp or datetime.now(UTC)))
    vevent.add("dtstart", _utc(ev.start_utc))
    vevent.add("dtend", _utc(ev.end_utc))
    vevent.add("summary", _one_line(ev.title))
    description = ev.description
    if ev.join_url and ev.join_url not in description:
        description = f"{description}\n\n{ev.join_url}".strip()
    if description:
        vevent.add("description", description)
    location = _one_line(ev.location) or (ev.join_url or "")
    if location:
        vevent.add("location", location)
    if ev.join_url:
        vevent.add("url", ev.join_url)
    vevent.add("organizer", _address(ev.organizer_email, ev.organizer_name, {}))
    for guest in ev.attendees:
        vevent.add(
            "attendee",
            _address(
                guest.email,
                guest.name,
                {
                    "CUTYPE": "INDIVIDUAL",
                    "ROLE": "REQ-PARTICIPANT",
                    "PARTSTAT": "NEEDS-ACTION",
                    "RSVP": "TRUE",
                },
            ),
        )
    vevent.add("status", "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    vevent.add("x-meetline-id", str(ev.meeting_id))
    cal.add_component(vevent)
    data: bytes = cal.to_ical()
    return data.decode("utf-8")


def _as_utc(value: date | datetime) -> datetime:
    # All-day (DATE) events carry no zone; midnight UTC is the least surprising reading
    # when the calendar's own zone is unknown.
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


class CalDavCalendar:
    """One CalDAV account; events go into `calendar_name` (display name or the last URL
    segment) or the account's first calendar.

    `email` is the connected user's address, used to answer free/busy for them; it
    defaults to `username` when that is an address.
    """

    provider = "caldav"
    sends_invitations = False

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        calendar_name: str | None = None,
        *,
        email: str | None = None,
        timeout: float = 30,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self._url = url
        self._policy = policy or OutboundPolicy()
        self._username = username
        self._password = password
        self._calendar_name = calendar_name
        self._email = (email or (username if "@" in username else "")).strip().lower()
        self._timeout = timeout
        self._client: Any = None
        self._principal: Any = None
        self._target: Any = None
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ connection
    def check_connection(self) -> None:
        """Log in and find the target calendar; raise `CalendarAuthError` for refused
        credentials and `CalendarError` for anything else (used before saving a connection)."""
        with self._lock:
            self._principal = None
            self._target = None
            self._guard(self._calendar)

    def close(self) -> None:
        """Release the HTTP session (the adapter reconnects on next use)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = self._principal = self._target = None

    def calendar_names(self) -> list[str]:
        """The account's calendars (display name, else URL segment), for a picker."""
        with self._lock:
            return self._guard(lambda: [self._name_of(c) for c in self._calendars()])

    # ------------------------------------------------------------------ port
    def create_event(self, ev: CalendarEvent) -> CalendarResult:
        with self._lock:

            def save() -> Any:
                return self._calendar().add_event(event_ics(ev), increase_seqno=False)

            stored = self._guard(save)
            return CalendarResult(
                event_id=str(stored.url),
                join_url=ev.join_url,
                sends_invitations=False,
                etag=self._etag(stored),
            )

    def update_event(self, event_id: str, ev: CalendarEvent) -> CalendarResult:
        with self._lock:

            def save() -> Any:
                calendar = self._calendar()
                obj = DavEvent(
                    client=self._dav(), url=event_id, data=event_ics(ev), parent=calendar
                )
                # If-Match: * — an event the user deleted is reported, not silently re-created.
                return obj.save(increase_seqno=False, no_create=True)

            stored = self._guard(save)
            return CalendarResult(
                event_id=str(stored.url),
                join_url=ev.join_url,
                sends_invitations=False,
                etag=self._etag(stored),
            )

    def cancel_event(self, event_id: str, ev: CalendarEvent) -> None:
        with self._lock:

            def delete() -> None:
                calendar = self._calendar()
                DavEvent(client=self._dav(), url=event_id, parent=calendar).delete()

            try:
                self._guard(delete)
            except CalendarNotFoundError:
                return

    def free_busy(
        self, emails: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval] | None]:
        result: dict[str, list[BusyInterval] | None] = {email: None for email in emails}
        own = [e for e in emails if self._email and e.strip().lower() == self._email]
        if not own:
            return result
        with self._lock:
            busy = self._guard(lambda: self._own_busy(start, end))
        for email in own:
            result[email] = list(busy)
        return result

    # ------------------------------------------------------------------ details
    def _dav(self) -> Any:
        if self._client is None:
            session = self._policy.session(self._url, timeout=self._timeout)
            client = DAVClient(
                url=self._url,
                username=self._username,
                password=self._password,
                timeout=max(1, int(self._timeout)),  # the guarded session applies the real limits
                enable_rfc6764=False,
            )
            client.session.close()
            client.session = session
            self._client = client
        return self._client

    def _calendars(self) -> list[Any]:
        if self._principal is None:
            self._principal = self._dav().principal()
        return list(self._principal.calendars())

    @staticmethod
    def _name_of(calendar: Any) -> str:
        try:
            name = calendar.get_display_name()
        except dav_error.DAVError:
            name = None
        return str(name or str(calendar.url).rstrip("/").rsplit("/", 1)[-1])

    def _calendar(self) -> Any:
        if self._target is not None:
            return self._target
        calendars = self._calendars()
        wanted = self._calendar_name
        for calendar in calendars:
            segment = str(calendar.url).rstrip("/").rsplit("/", 1)[-1]
            if wanted is None or wanted in (self._name_of(calendar), segment):
                self._target = calendar
                return calendar
        raise CalendarError(
            f"no calendar named {wanted!r}" if wanted else "the CalDAV account has no calendar",
            transient=False,
        )

    def _own_busy(self, start: datetime, end: datetime) -> list[BusyInterval]:
        lo, hi = start.astimezone(UTC), end.astimezone(UTC)
        spans: list[BusyInterval] = []
        for calendar in self._calendars():
            for obj in calendar.search(start=lo, end=hi, event=True, expand=True):
                for component in obj.icalendar_instance.walk("VEVENT"):
                    if str(component.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                        continue
                    if str(component.get("STATUS", "")).upper() == "CANCELLED":
                        continue
                    begin = _as_utc(component.start)
                    finish = _as_utc(component.end)
                    begin, finish = max(begin, lo), min(finish, hi)
                    if finish > begin:
                        spans.append(BusyInterval(begin, finish))
        return sorted(spans, key=lambda b: (b.start, b.end))

    @staticmethod
    def _etag(stored: Any) -> str | None:
        props = getattr(stored, "props", None) or {}
        for key, value in props.items():
            if str(key).endswith("getetag") and value:
                return str(value)
        return None

    def _guard(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except CalendarError:
            raise
        except OutboundRefused as exc:
            # A refused address stays refused: retrying in the worker would not help.
            raise CalendarError(
                f"CalDAV request refused by the outbound policy: {exc}", transient=False
            ) from exc
        except dav_error.AuthorizationError as exc:
            self._principal = self._target = None
            raise CalendarAuthError(f"CalDAV server refused the credentials: {exc.reason}") from exc
        except (dav_error.NotFoundError, dav_error.ConsistencyError) as exc:
            # ConsistencyError: the If-Match: * of an update found nothing to replace.
            raise CalendarNotFoundError(f"CalDAV resource not found: {exc}") from exc
        except dav_error.RateLimitError as exc:
            raise CalendarError(f"CalDAV server is throttling: {exc}", transient=True) from exc
        except dav_error.DAVError as exc:
            reason = str(getattr(exc, "reason", "") or exc)
            transient = any(code in reason for code in ("500", "502", "503", "504"))
            raise CalendarError(f"CalDAV error: {reason}", transient=transient) from exc
        except (niquests.exceptions.RequestException, OSError) as exc:
            self._client = self._principal = self._target = None
            raise CalendarError(
                f"CalDAV server unreachable: {type(exc).__name__}: {exc}", transient=True
            ) from exc
        except Exception as exc:
            # The library turns answers it cannot read (HTML, JSON, broken XML from a
            # server that is not CalDAV) into assorted exceptions; they are the server's
            # problem, never a crash of the form or the worker.
            raise CalendarError(
                f"CalDAV server gave an answer Meetline cannot read: {type(exc).__name__}",
                transient=False,
            ) from exc
