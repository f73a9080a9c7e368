"""The jobs benchmark's mail server counts what smtplib delivers to it as the tests'
aiosmtpd server does, so its "exactly once" proof holds."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

from adapters.smtp_mail import SmtpMailer
from bench.mail_sink import CountingSmtpServer
from handlers.invitations import Person, ReminderEmail
from tests.support.smtp_sink import SmtpSink

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def reminder(n: int) -> ReminderEmail:
    return ReminderEmail(
        title=f"Demo #{n} – ça va",
        start_utc=START,
        end_utc=START + timedelta(minutes=30),
        organizer=Person("host@example.com", "Anna Host"),
        location="",
        timezone="Europe/Warsaw",
    )


def deliver(url: str) -> None:
    mailer = SmtpMailer(url, "meetline@example.com")
    for n in (1, 2, 2):  # #2 twice to Jane: a duplicate to find
        mailer.send_reminder(reminder(n), Person("Jane@Example.com", "Jane"))
    mailer.send_reminder(reminder(1), Person("joe@example.com", "Joe"))


def test_it_counts_each_message_by_tag_and_recipient_as_the_tests_server_does() -> None:
    with CountingSmtpServer() as lean, SmtpSink(keep=False) as reference:
        deliver(lean.url)
        deliver(reference.url)
        assert lean.total == reference.total == 4
        assert lean.counts == reference.counts
        assert lean.counts[("2", "jane@example.com")] == 2
        assert sorted(lean.message_ids.values()) == [1, 1, 1, 1]


def test_a_body_line_with_a_dot_does_not_end_the_message_early() -> None:
    with CountingSmtpServer() as lean:
        with smtplib.SMTP(lean.host, lean.port) as smtp:
            smtp.sendmail(
                "a@example.com",
                ["b@example.com", "c@example.com"],
                b"Subject: One #7\r\n\r\nfirst\r\n.\r\n..\r\nlast\r\n",
            )
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: Two #8\r\n\r\nx\r\n")
            refused = smtp.docmd("DATA")
        assert lean.total == 2
        assert lean.counts == {
            ("7", "b@example.com"): 1,
            ("7", "c@example.com"): 1,
            ("8", "b@example.com"): 1,
        }
        assert refused[0] == 503  # DATA before RCPT
