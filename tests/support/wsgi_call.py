"""Call a WSGI app in-process the way a browser would (for the /oauth/ pages)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def browse(
    app: WsgiApp, url: str, form: str | None = None, cookie: str | None = None
) -> tuple[str, dict[str, str], str]:
    """(status line, headers, body) of a GET, or of a POST when `form` is given.
    `cookie` is a Set-Cookie header the browser got earlier (its name=value is sent back)."""
    parts = urlsplit(url)
    environ: dict[str, Any] = {
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "REQUEST_METHOD": "GET" if form is None else "POST",
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie.split(";")[0]
    if form is not None:
        environ.update({"CONTENT_LENGTH": str(len(form)), "wsgi.input": io.BytesIO(form.encode())})
    setup_testing_defaults(environ)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.update(status=status, headers=dict(headers))

    body = b"".join(app(environ, start_response)).decode()
    return seen["status"], seen["headers"], body
