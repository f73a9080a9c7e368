"""What the worker keeps about a failed job (`jobs.last_error`, the log, the organizer's
DM): our own message scrubbed, or only an exception's class and status code, never the
text a library or a server wrote (it quotes recipients, bodies and tokens)."""

from __future__ import annotations

import smtplib

from handlers.invitations import MailError
from handlers.redaction import error_summary
from handlers.worker import GiveUp, RetryLater, stored_error


class HttpFailure(Exception):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class Flagged(Exception):
    code = True  # a bool is not a status code


def test_a_library_error_keeps_its_class_and_status_code_only() -> None:
    exc = HttpFailure("403 for https://graph.example/users/jane@acme.example?token=xoxb-1-2", 403)
    assert error_summary(exc) == "HttpFailure (status code 403)"
    assert stored_error(exc) == "HttpFailure (status code 403)"


def test_an_smtp_refusal_keeps_the_smtp_code_and_drops_the_quoted_recipient() -> None:
    exc = smtplib.SMTPRecipientsRefused(
        {"jane@acme.example": (550, b"5.1.1 <jane@acme.example> unknown")}
    )
    assert "jane" not in stored_error(exc)
    assert stored_error(exc) == "SMTPRecipientsRefused"
    refused = smtplib.SMTPResponseException(554, b"5.7.1 jane@acme.example blocked")
    assert stored_error(refused) == "SMTPResponseException (smtp code 554)"


def test_an_error_without_a_status_keeps_its_class_only() -> None:
    assert error_summary(ValueError("secret=hunter2")) == "ValueError"
    assert error_summary(Flagged("x")) == "Flagged"


def test_our_own_messages_are_kept_but_scrubbed_as_a_safety_net() -> None:
    assert (
        stored_error(GiveUp("the mail was refused (SMTP 550)")) == "the mail was refused (SMTP 550)"
    )
    leaked = RetryLater("could not reach jane@acme.example with Bearer abcdef123456")
    assert stored_error(leaked) == "could not reach [email] with Bearer [redacted]"


def test_mail_errors_say_whether_a_retry_can_help() -> None:
    busy = MailError("451 try later", transient=True, smtp_code=451)
    assert busy.transient and stored_error(busy) == "MailError (smtp code 451)"
