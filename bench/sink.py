"""A light SMTP sink (aiosmtpd) that counts what it accepted, by a key read from each
message, so tens of thousands of mails can be checked for "exactly once" without
keeping them. The key is (subject tag, recipient): the benchmark puts a unique tag
(`#<n>`) into every meeting title, so one key is one reminder job.

`on_mail_from` lets a drill act at a precise point of the SMTP conversation (e.g.
SIGKILL the worker while the server has not yet taken the message).
"""

from __future__ import annotations

import re
import socket
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
_SUBJECT = re.compile(rb"^Subject:(.*(?:\r?\n[ \t].*)*)", re.MULTILINE | re.IGNORECASE)
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.MULTILINE | re.IGNORECASE)
_TAG = re.compile(r"#(\d+)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def subject_of(raw: bytes) -> str:
    from email.header import decode_header, make_header

    found = _SUBJECT.search(raw)
    if not found:
        return ""
    value = re.sub(rb"\r?\n[ \t]", b" ", found.group(1)).strip().decode("ascii", "replace")
    return str(make_header(decode_header(value)))


class CountingSink:
    def __init__(self) -> None:
        self.port = _free_port()
        self.counts: Counter[tuple[str, str]] = Counter()
        self.message_ids: Counter[str] = Counter()
        self.total = 0
        self.on_mail_from: Callable[[int], str | None] | None = None  # (message number) -> SMTP reply or None
        self.on_data: Callable[[int], None] | None = None
        self._started_mails = 0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    def start(self) -> CountingSink:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname=HOST, port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> CountingSink:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def clear(self) -> None:
        with self._lock:
            self.counts.clear()
            self.message_ids.clear()
            self.total = 0
            self._started_mails = 0

    def duplicates(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return {k: n for k, n in self.counts.items() if n > 1}

    # -- from the server's thread
    def _mail_from(self) -> str | None:
        with self._lock:
            self._started_mails += 1
            number = self._started_mails
        return self.on_mail_from(number) if self.on_mail_from is not None else None

    def _record(self, envelope: Envelope) -> None:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        subject = subject_of(raw)
        tag = _TAG.search(subject)
        message_id = _MESSAGE_ID.search(raw)
        with self._lock:
            self.total += 1
            for rcpt in envelope.rcpt_tos:
                self.counts[(tag.group(1) if tag else subject, rcpt.lower())] += 1
            if message_id:
                self.message_ids[message_id.group(1).decode("ascii", "replace")] += 1
        if self.on_data is not None:
            self.on_data(self.total)


class _Handler:
    def __init__(self, sink: CountingSink) -> None:
        self._sink = sink

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        reply = self._sink._mail_from()
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self._sink._record(envelope)
        return "250 Message accepted for delivery"
