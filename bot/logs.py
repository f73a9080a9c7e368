"""Logging set-up: ids in the log, never tokens, email addresses, titles or notes.

Meetline's own log lines name ids only. Two things would still leak: third-party
clients log whole request and response bodies at DEBUG (Slack's `oauth.v2.access`
answer holds the bot token, Google's and Microsoft's token responses theirs, and
SQLAlchemy logs every statement's parameters), and exception texts quote whatever a
server said. So `-v` turns on DEBUG for Meetline's packages only, the third-party
loggers stay at INFO or above, and a filter on every root handler scrubs token-shaped
strings and email addresses from each record before it is written.
"""

from __future__ import annotations

import logging
from typing import Final

from handlers.redaction import redact

OWN_PACKAGES: Final = ("bot", "handlers", "adapters", "storage", "__main__")
# Loggers that print request/response bodies or SQL parameters below these levels.
THIRD_PARTY_FLOORS: Final[dict[str, int]] = {
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "urllib3": logging.INFO,
    "urllib3_future": logging.INFO,
    "requests": logging.INFO,
    "niquests": logging.INFO,
    "httpx": logging.INFO,
    "httpcore": logging.INFO,
    "google": logging.INFO,
    "googleapiclient": logging.INFO,
    "google_auth_httplib2": logging.INFO,
    "google_auth_oauthlib": logging.INFO,
    "oauthlib": logging.INFO,
    "requests_oauthlib": logging.INFO,
    "msal": logging.INFO,
    "caldav": logging.INFO,
    "waitress": logging.INFO,
    "sqlalchemy": logging.WARNING,  # INFO logs every statement with its parameters
}
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, traceback and stack with `handlers.redaction.redact`."""

    def __init__(self) -> None:
        super().__init__()
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep the template, drop the arguments
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info:
            record.exc_text = redact(
                record.exc_text or self._formatter.formatException(record.exc_info)
            )
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(verbose: bool = False) -> None:
    """Root at INFO with the redacting filter on its handlers; `verbose` adds DEBUG for
    Meetline's own packages only."""
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    for name in OWN_PACKAGES:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.NOTSET)
    for name, floor in THIRD_PARTY_FLOORS.items():
        logging.getLogger(name).setLevel(floor)
