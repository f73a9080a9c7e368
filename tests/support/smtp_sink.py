"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, for tests.

Use the `smtp_sink` fixture by listing this module as a plugin, in a test module or in
the top-level conftest.py:

    pytest_plugins = ("tests.support.smtp_sink",)

    def test_sends(smtp_sink: SmtpSink) -> None:
        mailer = SmtpMailer(smtp_sink.url, "meetline@example.com")
        ...
        [mail] = smtp_sink.wait_for(1)
        assert mail.rcpt_tos == ("jane@example.com",)

or start one by hand: `with SmtpSink() as sink: ...`. `sink.stop()` makes the port refuse
connections (a mail server that is down); `sink.start()` brings it back on the same port.
`sink.reject(address, 550)` refuses one recipient at RCPT TO.

It also counts what it accepted by a key read from each message, so the benchmarks and
the worker drills can check tens of thousands of mails for "exactly once" without
keeping them (`SmtpSink(keep=False)`): the key is (subject tag, recipient), where the
tag is the `#<n>` those put into every meeting title (else the whole subject).
`on_mail_from` / `on_data` let a drill act at a precise point of the SMTP conversation
(e.g. SIGKILL the worker while the server has not yet taken the message).
"""

from __future__ import annotations

import email
import email.policy
import functools
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"  # explicit: "localhost" may resolve to ::1 and 0.0.0.0 times out
MESSAGE_ID_HEADER = re.compile(rb"^Message-ID:\s*(\S+)", re.MULTILINE | re.IGNORECASE)
_TAG = re.compile(r"#(\d+)")


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message: the envelope as the server saw it plus the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (aiosmtpd 1.4 cannot start on port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def delivery_key(subject: str, recipient: str) -> tuple[str, str]:
    """What "exactly once" is counted by: the subject's `#<n>` tag (else the whole
    subject) and the recipient, lower-cased."""
    tag = _TAG.search(subject)
    return (tag.group(1) if tag else subject, recipient.lower())


@functools.cache
def _header_line(name: str) -> re.Pattern[bytes]:
    """A header `name` (any case) with its folded continuation lines."""
    return re.compile(
        rb"^" + re.escape(name.encode("ascii")) + rb":(.*(?:\r?\n[ \t].*)*)",
        re.MULTILINE | re.IGNORECASE,
    )


SUBJECT_HEADER = _header_line("subject")


def header_of(raw: bytes, name: str) -> str:
    """A header's value, unfolded and decoded as RFC 2047 says (the whitespace between
    encoded words is not text; the stdlib's newer parser keeps a space there), read
    without parsing the whole message; "" when it is missing."""
    from email.header import decode_header, make_header

    found = _header_line(name.lower()).search(raw)
    if not found:
        return ""
    value = re.sub(rb"\r?\n[ \t]", b" ", found.group(1)).strip().decode("ascii", "replace")
    return str(make_header(decode_header(value)))


def subject_of(raw: bytes) -> str:
    """The decoded Subject header, read without parsing the whole message."""
    return header_of(raw, "Subject")


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        self._sink._greeted()
        if self._sink.pipelining:  # aiosmtpd reads commands from a buffer: it pipelines
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        reply = self._sink._mail_from()
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refusal = self._sink._refusal(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self._sink._record(envelope)
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on 127.0.0.1 that accepts everything unless told otherwise.

    With `credentials=(user, password)` it requires AUTH (LOGIN/PLAIN over plain text,
    which is fine on loopback) and `url` carries the percent-encoded credentials.
    With `keep=False` it only counts (`counts`, `message_ids`, `total`).
    It offers PIPELINING (RFC 2920) in its EHLO reply, as the mail servers people use do;
    `pipelining=False` makes it a server without it.
    """

    def __init__(
        self,
        *,
        credentials: tuple[str, str] | None = None,
        keep: bool = True,
        pipelining: bool = True,
    ) -> None:
        self.host = HOST
        self.pipelining = pipelining
        self.port = 0
        self.credentials = credentials
        self.keep = keep
        self.messages: list[ReceivedMail] = []
        self.counts: Counter[tuple[str, str]] = Counter()
        self.message_ids: Counter[str] = Counter()
        self.total = 0
        self.connections = 0  # SMTP sessions greeted (EHLO), for connection reuse
        # (message number) -> an SMTP reply to MAIL FROM, or None to go on
        self.on_mail_from: Callable[[int], str | None] | None = None
        # (messages accepted so far), called after each message is taken
        self.on_data: Callable[[int], None] | None = None
        self._started_mails = 0
        self._refusals: dict[str, str] = {}
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # ---- life cycle

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> Self:
        """Start listening; on a restart, on the same port as before."""
        if self._controller is not None:
            return self
        last_error: Exception | None = None
        for _ in range(5):
            port = self.port or free_port(self.host)
            controller = self._make_controller(port)
            try:
                controller.start()
            except Exception as exc:  # lost the race for the port; try another
                last_error = exc
                if self.port:
                    break
                continue
            self.port = port
            self._controller = controller
            return self
        raise RuntimeError(f"SMTP sink could not start on {self.host}: {last_error}")

    def stop(self) -> None:
        """Stop listening: connections to `url` are refused until `start()` again."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _make_controller(self, port: int) -> Controller:
        options: dict[str, Any] = {}
        if self.credentials is not None:
            options.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        return Controller(_Handler(self), hostname=self.host, port=port, **options)

    # ---- what tests read and steer

    @property
    def url(self) -> str:
        """The SMTP_URL for this sink, e.g. "smtp://127.0.0.1:40123"."""
        if self.credentials is None:
            return f"smtp://{self.host}:{self.port}"
        user, password = (quote(part, safe="") for part in self.credentials)
        return f"smtp://{user}:{password}@{self.host}:{self.port}"

    def reject(
        self, address: str, code: int = 550, text: str = "5.1.1 Mailbox unavailable"
    ) -> None:
        """Answer RCPT TO for `address` with `code` (use 4xx for a temporary refusal)."""
        with self._lock:
            self._refusals[address.lower()] = f"{code} {text}"

    def accept_all(self) -> None:
        with self._lock:
            self._refusals.clear()

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.counts.clear()
            self.message_ids.clear()
            self.total = 0
            self._started_mails = 0

    def duplicates(self) -> dict[tuple[str, str], int]:
        """Keys (subject tag, recipient) accepted more than once."""
        with self._lock:
            return {key: n for key, n in self.counts.items() if n > 1}

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMail]:
        """Wait until at least `count` messages arrived; return them all, oldest first."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
                got = len(self.messages)
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} message(s) at {self.url}, got {got} in {timeout}s"
                )
            time.sleep(0.02)

    # ---- called from the server thread

    def _greeted(self) -> None:
        with self._lock:
            self.connections += 1

    def _mail_from(self) -> str | None:
        with self._lock:
            self._started_mails += 1
            number = self._started_mails
        return self.on_mail_from(number) if self.on_mail_from is not None else None

    def _refusal(self, address: str) -> str | None:
        with self._lock:
            return self._refusals.get(address.lower())

    def _record(self, envelope: Envelope) -> None:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        mail: ReceivedMail | None = None
        if self.keep:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            mail = ReceivedMail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                message=parsed,
                raw=raw,
            )
        subject = subject_of(raw)
        message_id = MESSAGE_ID_HEADER.search(raw)
        with self._lock:
            if mail is not None:
                self.messages.append(mail)
            self.total += 1
            total = self.total
            for rcpt in envelope.rcpt_tos:
                self.counts[delivery_key(subject, rcpt)] += 1
            if message_id:
                self.message_ids[message_id.group(1).decode("ascii", "replace")] += 1
        if self.on_data is not None:
            self.on_data(total)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self.credentials is not None
        user, password = self.credentials
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        # handled=False: let aiosmtpd answer 235/535 itself.
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A running sink, stopped after the test."""
    with SmtpSink() as sink:
        yield sink


def ics_bytes(part: Message) -> bytes:
    """The decoded body of a mail's text/calendar part (an .ics file)."""
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes), "the text/calendar part carries no bytes"
    return payload


def plain_body(mail: ReceivedMail) -> str:
    """The text/plain part of a received mail, decoded, lines ending in "\n" (SMTP
    carries CRLF): what a reader sees first."""
    part = mail.message.get_body(("plain",))
    assert part is not None, "the mail has no text/plain part"
    return str(part.get_content()).replace("\r\n", "\n")


def calendar_part(mail: ReceivedMail) -> bytes:
    """The .ics of a received invitation (its text/calendar part), decoded."""
    part = next(p for p in mail.message.walk() if p.get_content_type() == "text/calendar")
    return ics_bytes(part)
