"""iCalendar (RFC 5545) bodies for iMIP invitations (RFC 5546 REQUEST and CANCEL).

Times are written in UTC (`...Z`) like Google's own invitations, so no VTIMEZONE is
needed and no client can misread a zone; local times belong in the mail text. The UID
always comes from the caller: a random one would turn every update into a new event.
"""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

from handlers.invitations import Invitation, Person, ics_description, single_line

PRODID = "-//Meetline//Meetline//EN"


def _uri_part(value: str) -> str:
    # URI-typed values (mailto:, URL) are written verbatim by icalendar, unlike TEXT, so
    # any whitespace or control character left in them could start a new iCalendar line.
    return "".join(single_line(value).split())


def _address(person: Person, params: dict[str, str]) -> vCalAddress:
    address = vCalAddress(f"mailto:{_uri_part(person.email)}")
    for key, value in params.items():
        address.params[key] = value
    name = single_line(person.name)
    if name:
        address.params["CN"] = vText(name)
    return address


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def build_ics(inv: Invitation, *, stamp: datetime | None = None) -> bytes:
    """The VCALENDAR for one invitation, CRLF-terminated and folded by icalendar.

    `stamp` is DTSTAMP (default: now). It is fresh on every send, which is how clients
    order messages that share a UID and SEQUENCE.
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", inv.method)

    event = Event()
    event.add("uid", single_line(inv.uid))
    event.add("sequence", inv.sequence)
    event.add("dtstamp", _utc(stamp or datetime.now(UTC)))
    event.add("dtstart", _utc(inv.start_utc))
    event.add("dtend", _utc(inv.end_utc))
    event.add("summary", single_line(inv.title))
    description = ics_description(inv)
    if description:
        event.add("description", description)
    join_url = _uri_part(inv.join_url) if inv.join_url else ""
    location = single_line(inv.location) or join_url
    if location:
        event.add("location", location)
    if join_url:
        event.add("url", join_url)
    event.add("organizer", _address(inv.organizer, {}))
    for person in inv.attendees:
        event.add(
            "attendee",
            _address(
                person,
                {
                    "CUTYPE": "INDIVIDUAL",
                    "ROLE": "REQ-PARTICIPANT",
                    "PARTSTAT": "NEEDS-ACTION",
                    "RSVP": "TRUE",
                },
            ),
        )
    event.add("status", "CANCELLED" if inv.method == "CANCEL" else "CONFIRMED")
    cal.add_component(event)
    data: bytes = cal.to_ical()
    return data
