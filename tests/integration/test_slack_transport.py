"""The Slack Web API client's keep-alive transport (bot.slack_clients), against a local
HTTP/1.1 server that counts the connections it accepts and can misbehave on demand."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack_clients import make_client


class Api(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.connections = 0
        self.requests: list[dict[str, Any]] = []
        self.answers: list[tuple[int, dict[str, str], bool]] = []  # status, headers, close
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Api

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        with self.server.lock:
            self.server.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            status, headers, close = (
                self.server.answers.pop(0) if self.server.answers else (200, {}, False)
            )
        data = json.dumps(
            {"ok": True, "channel": "D1", "ts": "1.2"} if status == 200 else {"ok": False}
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[Api]:
    server = Api()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_calls_in_a_row_share_one_connection(api: Api) -> None:
    client = make_client(api.url, "xoxb-transport-1")
    for i in range(20):
        reply = client.chat_postMessage(channel="U1", text=f"hello {i}")
        assert reply["ok"] is True
    assert api.connections == 1
    assert len(api.requests) == 20
    assert api.requests[0]["path"] == "/api/chat.postMessage"
    assert api.requests[0]["auth"] == "Bearer xoxb-transport-1"
    assert "hello 0" in api.requests[0]["body"]


def test_a_connection_the_server_closes_is_replaced(api: Api) -> None:
    client = make_client(api.url, "xoxb-transport-2")
    api.answers.append((200, {}, True))  # the first answer closes its connection
    client.chat_postMessage(channel="U1", text="one")
    client.chat_postMessage(channel="U1", text="two")
    client.chat_postMessage(channel="U1", text="three")
    assert [r["body"].count("one") + r["body"].count("two") for r in api.requests] == [1, 1, 0]
    assert len(api.requests) == 3
    assert api.connections == 2


@pytest.mark.parametrize(
    "answer", [(429, {"Retry-After": "0"}, False), (500, {}, False)], ids=["429", "500"]
)
def test_rate_limits_and_server_errors_reach_the_sdk_retry_handlers(
    api: Api, answer: tuple[int, dict[str, str], bool]
) -> None:
    client = make_client(api.url, "xoxb-transport-3")
    api.answers.append(answer)
    reply = client.chat_postMessage(channel="U1", text="eventually")
    assert reply["ok"] is True
    assert len(api.requests) == 2  # the refusal, then the retry's answer


def test_an_error_answer_is_raised_as_the_sdk_does(api: Api) -> None:
    client = make_client(api.url, "xoxb-transport-4")
    api.answers += [(404, {}, False)]
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="U1", text="nowhere")
    # the connection stays usable after an error answer read in full
    assert client.chat_postMessage(channel="U1", text="after")["ok"] is True


def test_threads_at_once_each_get_a_connection_and_reuse_it(api: Api) -> None:
    client = make_client(api.url, "xoxb-transport-5")
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def calls() -> None:
        start.wait()
        try:
            for i in range(15):
                client.chat_postMessage(channel="U1", text=f"n{i}")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=calls) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(api.requests) == 90
    assert api.connections <= 6


HEADER_BLOCKS = [
    b"Content-Type: application/json; charset=utf-8\r\nContent-Length: 12\r\n\r\n",
    # repeated names, any case, a folded line, space before the colon's value
    b"set-cookie: a=1\r\nSet-Cookie: b=2\r\nX-Slack-Req-Id:   abc  \r\n"
    b"X-Long: first\r\n  second part\r\n\tthird\r\nretry-after: 3\r\n\r\n",
    # a line with no colon ends the headers (the rest is no header); an empty block has none
    b"X-OK: yes\r\nnot a header line\r\nX-After: 1\r\n\r\n",
    b"\r\n",
    b'Content-Type: text/plain; CHARSET="iso-8859-1"; format=flowed\n\n',
]


@pytest.mark.parametrize("block", HEADER_BLOCKS, ids=range(len(HEADER_BLOCKS)))
def test_response_headers_read_as_http_client_reads_them(block: bytes) -> None:
    """The short header loop (bot.slack_clients.SlackResponse) gives the same headers as
    http.client's email-based parser for what HTTP servers send."""
    import io
    from http.client import parse_headers

    from bot.slack_clients import _parse_headers, charset_of

    ours, theirs = _parse_headers(io.BytesIO(block)), parse_headers(io.BytesIO(block))
    normalise = " ".join  # the email parser keeps the fold's line break and indent
    assert [(k.lower(), normalise(v.split())) for k, v in ours.items()] == [
        (k.lower(), normalise(v.split())) for k, v in theirs.items()
    ]
    for name in ("set-cookie", "Content-Type", "RETRY-AFTER", "x-after"):
        expected = [normalise(v.split()) for v in theirs.get_all(name) or []]
        assert ours.get_all(name) == (expected or None)
    assert charset_of(ours.get("content-type")) == theirs.get_content_charset()


def test_a_chunked_answer_in_another_charset_is_read_whole(api: Api) -> None:
    """Slack's answers come with a length; a proxy may re-frame them chunked."""

    class Chunked(Handler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            data = json.dumps({"ok": True, "text": "Zażółć"}, ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (data[:7], data[7:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")

    api.RequestHandlerClass = Chunked
    client = make_client(api.url, "xoxb-transport-6")
    assert client.chat_postMessage(channel="U1", text="x")["text"] == "Zażółć"
    assert client.chat_postMessage(channel="U1", text="y")["text"] == "Zażółć"
    assert api.connections == 1
