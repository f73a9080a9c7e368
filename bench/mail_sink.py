"""A mail server for the jobs benchmark that costs the machine as little as it can.

The benchmark measures how reminder workers scale on this 2-CPU machine. Its mail
server shares those CPUs, where a real one runs elsewhere. The tests' server
(tests.support.smtp_sink, aiosmtpd) took 1.5-1.9 ms of CPU per mail in the benchmark's
process: with two workers sending ~190 mails a second it held a third of a CPU, and as
one asyncio thread it was also a queue both workers waited in. So the benchmark's
instrument was a share of what it measured.

This one speaks the part of SMTP that smtplib's `sendmail` uses (EHLO/HELO, MAIL, RCPT,
DATA, RSET, NOOP, QUIT), with PIPELINING as mail servers offer it, on a raw asyncio
protocol and, while mail arrives, only keeps
each message's Subject and Message-ID header bytes with its recipients. The counts that
prove "exactly once" (the same keys as SmtpSink's: the `#<n>` tag of the subject and
the recipient) are worked out when read, after the drain.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter
from types import TracebackType
from typing import Self

from tests.support.smtp_sink import (
    HOST,
    MESSAGE_ID_HEADER,
    SUBJECT_HEADER,
    delivery_key,
    subject_of,
)

_END_OF_DATA = b"\r\n.\r\n"
_ADDRESS = re.compile(rb"<([^>]*)>")
_EHLO = b"250-meetline-bench\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"


class _Session(asyncio.Protocol):
    """One SMTP connection: commands line by line, then a message up to "\\r\\n.\\r\\n"."""

    def __init__(self, server: CountingSmtpServer) -> None:
        self._server = server
        self._buffer = bytearray()
        self._data = False  # between DATA's 354 and the end of the message
        self._rcpts: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self._replies: list[bytes] = []  # to the commands of the data being read

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(b"220 meetline-bench ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        """Replies to pipelined commands go out in one write, as Postfix sends them."""
        self._buffer += data
        self._replies = []
        try:
            self._read()
        finally:
            if self._replies and self._transport is not None:
                self._transport.write(b"".join(self._replies))

    def _read(self) -> None:
        while self._transport is not None:
            if self._data:
                # The message began right after "354": a sentinel CRLF lets a message
                # whose first line is the "." end too.
                end = (b"\r\n" + self._buffer).find(_END_OF_DATA)
                if end < 0:
                    return
                message = bytes(self._buffer[: max(end, 0)])
                del self._buffer[: end + len(_END_OF_DATA) - 2]
                self._server._took(message, self._rcpts)
                self._data, self._rcpts = False, []
                self._replies.append(b"250 OK\r\n")
                continue
            line_end = self._buffer.find(b"\r\n")
            if line_end < 0:
                return
            line = bytes(self._buffer[:line_end])
            del self._buffer[: line_end + 2]
            self._command(line)

    def _command(self, line: bytes) -> None:
        assert self._transport is not None
        verb = line[:4].upper()
        if verb == b"EHLO":
            reply = _EHLO
        elif verb in (b"HELO", b"NOOP"):
            reply = b"250 OK\r\n"
        elif verb in (b"MAIL", b"RSET"):
            self._rcpts = []
            reply = b"250 OK\r\n"
        elif verb == b"RCPT":
            found = _ADDRESS.search(line)
            if found is None:
                reply = b"501 Syntax: RCPT TO:<address>\r\n"
            else:
                self._rcpts.append(found.group(1))
                reply = b"250 OK\r\n"
        elif verb == b"DATA":
            if not self._rcpts:
                reply = b"503 Error: need RCPT command\r\n"
            else:
                self._data = True
                reply = b"354 End data with <CR><LF>.<CR><LF>\r\n"
        elif verb == b"QUIT":
            self._transport.write(b"".join(self._replies) + b"221 Bye\r\n")
            self._replies = []
            self._transport.close()
            self._transport = None
            return
        else:
            reply = b"502 Command not implemented\r\n"
        self._replies.append(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


class CountingSmtpServer:
    """An SMTP server on 127.0.0.1 (its own thread and event loop) that accepts every
    message and counts it: `total`, and `counts` keyed as SmtpSink's are."""

    def __init__(self) -> None:
        self.host = HOST
        self.port = 0
        self._taken: list[tuple[bytes, tuple[bytes, ...]]] = []  # headers kept, recipients
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def total(self) -> int:
        with self._lock:
            return len(self._taken)

    @property
    def counts(self) -> Counter[tuple[str, str]]:
        """(subject tag, recipient) -> messages accepted."""
        with self._lock:
            taken = list(self._taken)
        counts: Counter[tuple[str, str]] = Counter()
        for headers, rcpts in taken:
            subject = subject_of(headers)
            for rcpt in rcpts:
                counts[delivery_key(subject, rcpt.decode())] += 1
        return counts

    @property
    def message_ids(self) -> Counter[str]:
        with self._lock:
            taken = list(self._taken)
        found = (MESSAGE_ID_HEADER.search(headers) for headers, _ in taken)
        return Counter(m.group(1).decode("ascii", "replace") for m in found if m)

    def _took(self, message: bytes, rcpts: list[bytes]) -> None:
        headers_end = message.find(b"\r\n\r\n")
        headers = message[: headers_end if headers_end >= 0 else len(message)]
        kept = b"\r\n".join(
            m.group(0)
            for m in (SUBJECT_HEADER.search(headers), MESSAGE_ID_HEADER.search(headers))
            if m
        )
        with self._lock:
            self._taken.append((kept, tuple(rcpts)))

    def start(self) -> Self:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            self._server = loop.run_until_complete(
                loop.create_server(lambda: _Session(self), self.host, 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=serve, name="bench-mail-sink", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the benchmark's mail server did not start")
        return self

    def stop(self) -> None:
        loop, server, thread = self._loop, self._server, self._thread
        if loop is None or server is None or thread is None:
            return

        async def close() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
