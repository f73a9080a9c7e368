"""SmtpMailer against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar

from adapters.smtp_mail import SmtpMailer, parse_smtp_url
from handlers.invitations import Invitation, Mailer, MailError, Person, ReminderEmail
from tests.support.smtp_sink import ReceivedMail, SmtpSink, header_of

_: type[Mailer] = SmtpMailer  # mypy checks that the adapter implements the port

MAIL_FROM = "Meetline <meetline@example.com>"
START = datetime(2025, 12, 2, 14, 0, tzinfo=UTC)  # 15:00 in Warsaw, 09:00 in New York
HOST = Person("host@example.com", "Zażółć Gęślą")
JANE = Person("jane@example.com", "Jane Doe")
BOB = Person("bob@example.org", "Bob Ąę")


def make_invitation(**changes: Any) -> Invitation:
    base = Invitation(
        uid="meeting-42@meetline",
        sequence=0,
        method="REQUEST",
        title="Product demo",
        start_utc=START,
        end_utc=START + timedelta(minutes=45),
        organizer=HOST,
        attendees=(JANE, BOB),
        description="Agenda: pricing <b>and</b> next steps",
        join_url="https://meet.example.com/abc?x=1&y=2",
        timezone="Europe/Warsaw",
    )
    return replace(base, **changes)


def make_reminder(**changes: Any) -> ReminderEmail:
    base = ReminderEmail(
        title="Product demo",
        start_utc=START,
        end_utc=START + timedelta(minutes=45),
        organizer=HOST,
        location="Room 4",
        join_url="https://meet.example.com/abc",
        description=None,
        timezone="Europe/Warsaw",
    )
    return replace(base, **changes)


@pytest.fixture(params=[True, False], ids=["pipelining", "no-pipelining"])
def smtp_sink(request: pytest.FixtureRequest) -> Iterator[SmtpSink]:
    """Every test runs against a server that offers PIPELINING (as the servers people
    use do) and one that does not: the mailer takes a different path for each."""
    with SmtpSink(pipelining=request.param) as sink:
        yield sink


@pytest.fixture
def mailer(smtp_sink: SmtpSink) -> SmtpMailer:
    return SmtpMailer(smtp_sink.url, MAIL_FROM, timeout=5)


def send(mailer: SmtpMailer, sink: SmtpSink, inv: Invitation, to: Person = JANE) -> ReceivedMail:
    before = len(sink.messages)
    mailer.send_invitation(inv, to)
    return sink.wait_for(before + 1)[-1]


def tree(part: EmailMessage) -> Any:
    if part.is_multipart():
        return (part.get_content_type(), [tree(p) for p in part.iter_parts()])  # type: ignore[arg-type]
    return part.get_content_type()


def parts(message: EmailMessage) -> dict[str, EmailMessage]:
    found: dict[str, EmailMessage] = {}
    for part in message.walk():
        assert isinstance(part, EmailMessage)
        if not part.is_multipart():
            found.setdefault(part.get_content_type(), part)
    return found


def calendar_of(message: EmailMessage) -> tuple[bytes, Calendar]:
    ics = parts(message)["text/calendar"].get_content()
    if isinstance(ics, str):
        ics = ics.encode("utf-8")
    return ics, Calendar.from_ical(ics)


def attendees_of(cal: Calendar) -> list[Any]:
    value = cal.walk("VEVENT")[0].get("ATTENDEE")
    return list(value) if isinstance(value, list) else [value]


def text_of(message: EmailMessage, content_type: str) -> str:
    content = parts(message)[content_type].get_content()
    assert isinstance(content, str)
    return content


# ---------------------------------------------------------------- invitations


def test_invitation_has_the_google_like_mime_tree(mailer: SmtpMailer, smtp_sink: SmtpSink) -> None:
    mail = send(mailer, smtp_sink, make_invitation())
    message = mail.message

    assert tree(message) == (
        "multipart/mixed",
        [
            ("multipart/alternative", ["text/plain", "text/html", "text/calendar"]),
            "application/ics",
        ],
    )
    calendar_part = parts(message)["text/calendar"]
    ics, cal = calendar_of(message)
    assert calendar_part.get_param("method") == "REQUEST" == str(cal["METHOD"])
    assert calendar_part.get_content_charset() == "utf-8"
    attachment = parts(message)["application/ics"]
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_param("name") == "invite.ics"
    assert attachment.get_content() == ics  # one body, two places, same DTSTAMP
    assert message["Content-Class"] == "urn:content-classes:calendarmessage"


def test_envelope_and_headers(mailer: SmtpMailer, smtp_sink: SmtpSink) -> None:
    mail = send(mailer, smtp_sink, make_invitation())
    message = mail.message

    assert mail.mail_from == "meetline@example.com"
    assert mail.rcpt_tos == ("jane@example.com",)
    assert message["From"].addresses[0].addr_spec == "meetline@example.com"
    assert message["From"].addresses[0].display_name == "Zażółć Gęślą"
    assert message["Reply-To"].addresses[0].addr_spec == "host@example.com"
    assert message["To"].addresses[0].addr_spec == "jane@example.com"
    assert message["To"].addresses[0].display_name == "Jane Doe"
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@example.com>")
    assert message["Date"].datetime is not None
    assert message["Subject"] == (
        "Invitation: Product demo @ Tuesday, 2 December 2025, 3:00 PM - 3:45 PM "
        "(Europe/Warsaw, UTC+01:00)"
    )


def test_from_falls_back_to_mail_from_name_when_organizer_has_none(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    mail = send(mailer, smtp_sink, make_invitation(organizer=Person("host@example.com")))

    assert mail.message["From"].addresses[0].display_name == "Meetline"


def test_ics_in_the_mail_is_a_valid_request(mailer: SmtpMailer, smtp_sink: SmtpSink) -> None:
    ics, cal = calendar_of(send(mailer, smtp_sink, make_invitation()).message)

    [event] = cal.walk("VEVENT")
    assert str(cal["VERSION"]) == "2.0"
    assert str(event["UID"]) == "meeting-42@meetline"
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("DTSTART") == START
    assert b"DTSTART:20251202T140000Z\r\n" in ics
    assert b"DTEND:20251202T144500Z\r\n" in ics
    assert str(event["ORGANIZER"]) == "mailto:host@example.com"
    assert event["ORGANIZER"].params["CN"] == "Zażółć Gęślą"
    attendees = attendees_of(cal)
    assert [str(a) for a in attendees] == ["mailto:jane@example.com", "mailto:bob@example.org"]
    assert all(
        a.params["RSVP"] == "TRUE" and a.params["PARTSTAT"] == "NEEDS-ACTION" for a in attendees
    )
    assert str(event["STATUS"]) == "CONFIRMED"


def test_update_and_cancel_keep_the_uid(mailer: SmtpMailer, smtp_sink: SmtpSink) -> None:
    first = send(mailer, smtp_sink, make_invitation())
    update = send(
        mailer,
        smtp_sink,
        make_invitation(
            sequence=1, start_utc=START + timedelta(hours=1), end_utc=START + timedelta(hours=2)
        ),
    )
    cancel = send(mailer, smtp_sink, make_invitation(sequence=2, method="CANCEL"))

    assert update.message["Subject"].startswith("Updated invitation: Product demo @ ")
    assert cancel.message["Subject"].startswith("Canceled: Product demo @ ")
    calendar_part = parts(cancel.message)["text/calendar"]
    _, cal = calendar_of(cancel.message)
    assert calendar_part.get_param("method") == "CANCEL" == str(cal["METHOD"])
    assert parts(cancel.message)["application/ics"].get_filename() == "cancel.ics"
    events = [calendar_of(m.message)[1].walk("VEVENT")[0] for m in (first, update, cancel)]
    assert {str(e["UID"]) for e in events} == {"meeting-42@meetline"}
    assert [e.decoded("SEQUENCE") for e in events] == [0, 1, 2]
    assert str(events[2]["STATUS"]) == "CANCELLED"
    assert "This meeting has been canceled." in text_of(cancel.message, "text/plain")


def test_polish_characters_round_trip_as_quoted_printable(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    inv = make_invitation(title="Spotkanie Zażółć Gęślą", description="Omówimy: łódź, żółw.")
    mail = send(mailer, smtp_sink, inv, to=BOB)

    mail.raw.decode("ascii")  # nothing needs 8BITMIME on the way
    plain = parts(mail.message)["text/plain"]
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert parts(mail.message)["text/html"]["Content-Transfer-Encoding"] == "quoted-printable"
    assert "Spotkanie Zażółć Gęślą" in text_of(mail.message, "text/plain")
    assert "Omówimy: łódź, żółw." in text_of(mail.message, "text/html")
    assert mail.message["Subject"].startswith("Invitation: Spotkanie Zażółć Gęślą @ ")
    assert mail.message["To"].addresses[0].display_name == "Bob Ąę"
    _, cal = calendar_of(mail.message)
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == "Spotkanie Zażółć Gęślą"


def test_body_shows_the_recipients_zone_else_the_hosts(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    host_zone = send(mailer, smtp_sink, make_invitation())
    their_zone = send(mailer, smtp_sink, make_invitation(recipient_timezone="America/New_York"))
    bad_zone = send(mailer, smtp_sink, make_invitation(recipient_timezone="Mars/Olympus"))

    assert "3:00 PM - 3:45 PM (Europe/Warsaw, UTC+01:00)" in text_of(
        host_zone.message, "text/plain"
    )
    text = text_of(their_zone.message, "text/plain")
    assert "Tuesday, 2 December 2025, 9:00 AM - 9:45 AM (America/New_York, UTC-05:00)" in text
    assert "America/New_York" in their_zone.message["Subject"]
    assert "(Europe/Warsaw, UTC+01:00)" in text_of(bad_zone.message, "text/plain")


def test_body_lists_title_place_link_and_description(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    mail = send(mailer, smtp_sink, make_invitation(location="Room 4"))

    text = text_of(mail.message, "text/plain")
    for expected in ("Product demo", "Where: Room 4", "Join: https://meet.example.com/abc?x=1&y=2",
                     "Agenda: pricing <b>and</b> next steps"):  # fmt: skip
        assert expected in text
    html = text_of(mail.message, "text/html")
    assert '<a href="https://meet.example.com/abc?x=1&amp;y=2">' in html
    assert "Agenda: pricing &lt;b&gt;and&lt;/b&gt; next steps" in html
    assert "<b>and</b>" not in html


def test_html_escapes_everything_and_links_only_web_urls(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    inv = make_invitation(
        title='<script>alert("x")</script>',
        location="<img src=x onerror=alert(1)>",
        join_url="javascript:alert(1)",
        organizer=Person("host@example.com", "<b>Host</b>"),
    )
    html = text_of(send(mailer, smtp_sink, inv).message, "text/html")

    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html
    assert "<b>Host</b>" not in html
    assert 'href="javascript:' not in html


def test_crlf_in_the_title_injects_no_header_and_no_ics_line(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    evil = "Demo\r\nBcc: victim@example.net\r\n\r\nATTENDEE:mailto:evil@example.net"
    inv = make_invitation(title=evil, organizer=Person("host@example.com", "Host\r\nX-Evil: 1"))
    mail = send(mailer, smtp_sink, inv)
    message = mail.message

    assert mail.rcpt_tos == ("jane@example.com",)
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"].startswith("Invitation: Demo Bcc: victim@example.net ATTENDEE:")
    assert not message.defects
    ics, cal = calendar_of(message)
    assert b"\r\nATTENDEE:mailto:evil" not in ics
    assert [str(a) for a in attendees_of(cal)] == [
        "mailto:jane@example.com",
        "mailto:bob@example.org",
    ]


# ---------------------------------------------------------------- reminders


def test_reminder_is_text_and_html_without_a_calendar(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    mailer.send_reminder(make_reminder(), JANE)
    [mail] = smtp_sink.wait_for(1)

    assert tree(mail.message) == ("multipart/alternative", ["text/plain", "text/html"])
    assert mail.message["Subject"] == (
        "Reminder: Product demo at Tuesday, 2 December 2025, 3:00 PM (Europe/Warsaw, UTC+01:00)"
    )
    assert mail.rcpt_tos == ("jane@example.com",)
    text = text_of(mail.message, "text/plain")
    assert "Where: Room 4" in text and "Join: https://meet.example.com/abc" in text


def test_a_meetings_reminders_differ_only_in_their_recipient_headers(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    """The mailer renders a meeting's reminder once and addresses it per attendee: each
    attendee gets the message `reminder_message` builds, with their own To and a
    Message-ID of their own; another meeting's reminder is rendered anew."""
    from email.utils import parseaddr

    from adapters.smtp_mail import parse_address, reminder_message

    joe = Person("joe@example.com", "Józef Ćwik")
    mailer.send_reminder(make_reminder(), JANE)
    mailer.send_reminder(make_reminder(), joe)
    mailer.send_reminder(make_reminder(title="Other meeting"), JANE)
    first, second, other = smtp_sink.wait_for(3)
    built = reminder_message(make_reminder(), joe, mail_from=parse_address(parseaddr(MAIL_FROM)[1]))
    recipient = {"to", "date", "message-id", "content-type"}  # a boundary of its own

    def rest(message: EmailMessage) -> list[tuple[str, str]]:
        headers = [(k.lower(), str(v)) for k, v in message.items() if k.lower() not in recipient]
        return [*headers, ("type", message.get_content_type())]

    assert rest(first.message) == rest(second.message) == rest(built)
    for kind in ("text/plain", "text/html"):  # as sent (CRLF) and as built (LF)
        assert text_of(second.message, kind).replace("\r\n", "\n") == text_of(built, kind)
    assert str(first.message["To"]) == "Jane Doe <jane@example.com>"
    assert second.message["To"].addresses[0].display_name == "Józef Ćwik"
    assert second.rcpt_tos == ("joe@example.com",)
    assert first.message["Message-ID"] != second.message["Message-ID"]
    assert "Other meeting" in str(other.message["Subject"])
    assert "Other meeting" not in str(second.message["Subject"])


@pytest.mark.parametrize(
    ("name", "longest_line"),
    [
        ("Doe, Jane", 78),
        ('Jane "JD" Doe', 78),
        ("Józef Ćwik", 78),
        ("", 78),
        ("Zażółć gęślą jaźń " * 6, 78),  # folded into several encoded words
        ("J" * 120, 998),  # one word cannot be folded: RFC 5322's hard limit holds
    ],
)
def test_a_reminders_recipient_arrives_as_written_on_lines_mail_readers_take(
    mailer: SmtpMailer, smtp_sink: SmtpSink, name: str, longest_line: int
) -> None:
    """Commas and quotes stay inside the name, a non-ASCII one is RFC 2047-encoded, and a
    name too long for one line is folded."""
    from email.utils import parseaddr

    mailer.send_reminder(make_reminder(), Person("jane@example.com", name))
    [mail] = smtp_sink.wait_for(1)
    head = mail.raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= longest_line
    assert parseaddr(header_of(head, "To")) == (name.strip(), "jane@example.com")
    assert mail.message["Message-ID"] and mail.message["Date"].datetime is not None


def test_a_reminder_rendered_once_still_says_how_soon_when_it_is_sent(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    """Within the last hour the text says how soon the meeting starts, as at sending: a
    reminder rendered for one attendee is not reused once the minutes left differ, nor
    for an attendee in another zone."""
    soon = make_reminder(sent_at=START - timedelta(minutes=10))
    mailer.send_reminder(soon, JANE)
    mailer.send_reminder(replace(soon, sent_at=START - timedelta(minutes=9, seconds=30)), JANE)
    mailer.send_reminder(replace(soon, sent_at=START - timedelta(minutes=5)), JANE)
    mailer.send_reminder(replace(soon, recipient_timezone="Asia/Tokyo"), JANE)
    texts = [text_of(m.message, "text/plain") for m in smtp_sink.wait_for(4)]
    assert ["starts in 10 minutes" in t for t in texts] == [True, True, False, True]
    assert "starts in 5 minutes" in texts[2]
    assert "11:00 PM" in texts[3] and "11:00 PM" not in texts[0]  # 15:00 Warsaw, in Tokyo


def test_reminder_includes_the_description_only_when_given(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    mailer.send_reminder(make_reminder(description=None), JANE)
    mailer.send_reminder(make_reminder(description="Bring the Zażółć contract"), JANE)
    without, with_description = smtp_sink.wait_for(2)

    assert "contract" not in text_of(without.message, "text/plain")
    assert "Bring the Zażółć contract" in text_of(with_description.message, "text/plain")
    assert "Bring the Zażółć contract" in text_of(with_description.message, "text/html")


# ---------------------------------------------------------------- failures


def test_server_down_is_transient_and_recovers(mailer: SmtpMailer, smtp_sink: SmtpSink) -> None:
    smtp_sink.stop()
    with pytest.raises(MailError) as caught:
        mailer.send_invitation(make_invitation(), JANE)
    assert caught.value.transient is True

    smtp_sink.start()
    mailer.send_invitation(make_invitation(), JANE)
    assert len(smtp_sink.wait_for(1)) == 1


def test_recipient_refused_with_550_is_permanent(mailer: SmtpMailer, smtp_sink: SmtpSink) -> None:
    smtp_sink.reject("jane@example.com", 550)

    with pytest.raises(MailError) as caught:
        mailer.send_invitation(make_invitation(), JANE)
    assert caught.value.transient is False
    assert caught.value.smtp_code == 550
    assert "jane@example.com" in str(caught.value)
    assert smtp_sink.messages == []


def test_recipient_refused_with_451_is_transient(mailer: SmtpMailer, smtp_sink: SmtpSink) -> None:
    smtp_sink.reject("jane@example.com", 451, "4.7.1 Try again later")

    with pytest.raises(MailError) as caught:
        mailer.send_reminder(make_reminder(), JANE)
    assert caught.value.transient is True
    assert caught.value.smtp_code == 451


@pytest.mark.parametrize(
    "address", ["", "jane", "jane@", "jane@example.com\r\nBcc: x@y", "ja ne@x.com"]
)
def test_unusable_recipient_address_is_permanent(
    mailer: SmtpMailer, smtp_sink: SmtpSink, address: str
) -> None:
    with pytest.raises(MailError) as caught:
        mailer.send_invitation(make_invitation(), Person(address, "Jane"))
    assert caught.value.transient is False
    assert smtp_sink.messages == []


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections (via the backlog) but never sends the SMTP greeting."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        yield listener.getsockname()[1]


def test_timeout_is_transient(silent_server: int) -> None:
    mailer = SmtpMailer(f"smtp://127.0.0.1:{silent_server}", MAIL_FROM, timeout=0.3)

    with pytest.raises(MailError) as caught:
        mailer.send_invitation(make_invitation(), JANE)
    assert caught.value.transient is True


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_logs_in_with_percent_decoded_credentials() -> None:
    with SmtpSink(credentials=("user@example.com", "p@ss:w/rd%")) as sink:
        assert "p%40ss%3Aw%2Frd%25" in sink.url
        SmtpMailer(sink.url, MAIL_FROM).send_invitation(make_invitation(), JANE)
        assert len(sink.wait_for(1)) == 1

        wrong = sink.url.replace("p%40ss", "nope")
        with pytest.raises(MailError) as caught:
            SmtpMailer(wrong, MAIL_FROM).send_invitation(make_invitation(), JANE)
        assert caught.value.transient is False
        assert caught.value.smtp_code == 535


def test_required_starttls_that_is_not_offered_is_permanent(smtp_sink: SmtpSink) -> None:
    mailer = SmtpMailer(smtp_sink.url + "?starttls=1", MAIL_FROM)

    with pytest.raises(MailError, match="STARTTLS") as caught:
        mailer.send_invitation(make_invitation(), JANE)
    assert caught.value.transient is False
    assert smtp_sink.messages == []


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, False, "never", None, None)),
        ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, False, "never", None, None)),
        ("smtp://u:p@mail.example.com:587", ("mail.example.com", 587, False, "auto", "u", "p")),
        ("smtp://u:p@mail.example.com:587?starttls=0", ("mail.example.com", 587, False, "never", "u", "p")),
        ("smtp://mail.example.com:2525?starttls=1", ("mail.example.com", 2525, False, "always", None, None)),
        ("smtps://a%40b.com:p%2Fw%3A@mail.example.com", ("mail.example.com", 465, True, "never", "a@b.com", "p/w:")),
        ("SMTPS://u:p@[::1]:4650/", ("::1", 4650, True, "never", "u", "p")),
    ],
)  # fmt: skip
def test_smtp_url_forms(url: str, expected: tuple[Any, ...]) -> None:
    s = parse_smtp_url(url)

    assert (s.host, s.port, s.implicit_tls, s.starttls, s.username, s.password) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "mail.example.com:25",
        "http://mail.example.com",
        "smtp://",
        "smtp://:secret@",
        "smtp://mail.example.com:port",
        "smtp://mail.example.com:0",
        "smtp://mail.example.com:70000",
        "smtp://mail.example.com/relay",
        "smtp://user@mail.example.com",
        "smtp://:secret@mail.example.com",
        "smtp://mail.example.com?tls=1",
        "smtp://mail.example.com?starttls=maybe",
        "smtps://mail.example.com?starttls=1",
    ],
)
def test_malformed_smtp_url_is_one_clear_line_without_the_password(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_smtp_url(url)

    message = str(caught.value)
    assert message.startswith("SMTP_URL: ")
    assert "\n" not in message and "secret" not in message


@pytest.mark.parametrize("mail_from", ["", "meetline", "Meetline <>", "a b@example.com"])
def test_malformed_mail_from_is_refused_at_start_up(mail_from: str) -> None:
    with pytest.raises(ValueError, match="^MAIL_FROM: "):
        SmtpMailer("smtp://127.0.0.1:25", mail_from)


# ---------------------------------------------------------------- languages


def test_polish_invitation_and_reminder_survive_the_trip(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    """Polish words in the Subject (ś, ń) are encoded-words; the date reads as in Poland."""
    wednesday = datetime(2025, 12, 3, 14, 0, tzinfo=UTC)
    inv = make_invitation(
        language="pl-PL", start_utc=wednesday, end_utc=wednesday + timedelta(minutes=45)
    )
    mail = send(mailer, smtp_sink, inv, to=BOB)
    when = "środa, 3 grudnia 2025, 15:00 - 15:45 (Europe/Warsaw, UTC+01:00)"
    assert mail.message["Subject"] == f"Zaproszenie: Product demo @ {when}"
    mail.raw.decode("ascii")
    assert f"Kiedy: {when}" in text_of(mail.message, "text/plain")
    assert "Organizator</td>" in text_of(mail.message, "text/html")
    _, cal = calendar_of(mail.message)
    assert "Dołącz: https://meet.example.com/abc?x=1&y=2" in str(
        cal.walk("VEVENT")[0]["DESCRIPTION"]
    )

    mailer.send_reminder(
        make_reminder(
            language="pl", start_utc=wednesday, end_utc=wednesday + timedelta(minutes=45)
        ),
        BOB,
    )
    reminder = smtp_sink.wait_for(2)[-1]
    assert reminder.message["Subject"] == (
        "Przypomnienie: Product demo, środa, 3 grudnia 2025, 15:00 (Europe/Warsaw, UTC+01:00)"
    )


def test_a_session_sends_its_mails_over_one_connection(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    """A worker's batch: one connection for all its mails; outside, one per mail."""
    with mailer.session():
        for i in range(3):
            mailer.send_reminder(make_reminder(), Person(f"a{i}@example.com", ""))
    assert smtp_sink.total == 3 and smtp_sink.connections == 1
    mailer.send_reminder(make_reminder(), JANE)
    mailer.send_reminder(make_reminder(), JANE)
    assert smtp_sink.total == 5 and smtp_sink.connections == 3


def test_a_session_outlives_a_mail_server_restart_and_a_refused_mail(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    with mailer.session():
        mailer.send_reminder(make_reminder(), JANE)
        smtp_sink.stop()  # the shared connection goes stale
        smtp_sink.start()
        mailer.send_reminder(make_reminder(), Person("b@example.com", ""))
        smtp_sink.reject("c@example.com")
        with pytest.raises(MailError):
            mailer.send_reminder(make_reminder(), Person("c@example.com", ""))
        mailer.send_reminder(make_reminder(), Person("d@example.com", ""))
    assert sorted(m.rcpt_tos for m in smtp_sink.messages) == [
        ("b@example.com",),
        ("d@example.com",),
        ("jane@example.com",),
    ]


# ---------------------------------------------------------------- pipelining


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_mail_waits_for_the_server_twice_where_it_pipelines(pipelining: bool) -> None:
    """RFC 2920: MAIL, RCPT and DATA in one write, then the message: two waits for the
    server per mail instead of four, which is most of a mail's time when the server is
    another machine away. Counted on the wire by a proxy in front of the server."""
    from bench.pg_proxy import RoundTripProxy

    mails = 5
    with (
        SmtpSink(pipelining=pipelining) as sink,
        RoundTripProxy(upstream=(sink.host, sink.port)) as proxy,
    ):
        mailer = SmtpMailer(f"smtp://127.0.0.1:{proxy.port}", MAIL_FROM, timeout=5)
        with mailer.session():
            for i in range(mails):
                mailer.send_reminder(make_reminder(), Person(f"a{i}@example.com", ""))
        assert sink.total == mails
        # EHLO and QUIT once per session, then each mail's turns
        assert proxy.round_trips == 2 + (2 if pipelining else 4) * mails


def test_lines_that_begin_with_a_dot_arrive_as_written(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    """SMTP ends a message at a line holding only ".": the mailer doubles every leading
    dot (the server removes it), so such lines are neither cut nor altered."""
    description = ".\n..two dots\n.hidden\nend"
    mail = send(mailer, smtp_sink, make_invitation(description=description))
    assert ".\n..two dots\n.hidden\nend" in text_of(mail.message, "text/plain").replace("\r", "")
    assert b"\r\n.\r\n..two dots\r\n.hidden\r\n" in mail.raw  # on the wire at a line's start


def test_a_refused_sender_is_permanent_and_sends_nothing(
    mailer: SmtpMailer, smtp_sink: SmtpSink
) -> None:
    smtp_sink.on_mail_from = lambda n: "553 5.7.1 Sender not allowed"

    with pytest.raises(MailError) as caught:
        mailer.send_reminder(make_reminder(), JANE)
    assert caught.value.transient is False
    assert caught.value.smtp_code == 553
    assert smtp_sink.messages == []
