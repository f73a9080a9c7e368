"""The log's safety net: token-shaped strings and addresses never reach a log line."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import RedactingFilter
from handlers.redaction import redact

SECRETS = [
    ("bot token xoxb-1234-5678-AbCdEf", "xoxb-1234"),
    ("user xoxp-99-88-77-abc and app xapp-1-A0-123-ff", "xoxp-99"),
    ("Authorization: Bearer ya29.a0AfH6SMBx-long_token", "ya29.a0"),
    ("headers={'Authorization': 'Bearer abc.def.ghi123'}", "abc.def.ghi123"),
    ('{"access_token": "tok-123456", "refresh_token": "1//0gRefresh-abcdefghij"}', "tok-123456"),
    ('{"access_token": "tok-123456", "refresh_token": "1//0gRefresh-abcdefghij"}', "1//0gRefresh"),
    ("client_id=111.222&client_secret=s3cret&code=abc", "s3cret"),
    ("password=hunter2 user=anna", "hunter2"),
    ("smtp://meetline:p4ss@mail.example:587", "p4ss"),
    (
        "550 5.1.1 <jane.doe+crm@acme.example>: Recipient address rejected",
        "jane.doe+crm@acme.example",
    ),
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_redact_removes_tokens_secrets_and_addresses(text: str, secret: str) -> None:
    assert secret not in redact(text)


def test_redact_keeps_ids_and_ordinary_words() -> None:
    text = "job 12 (send_invitation) for meeting 7 of T0001/U1 will be retried: SMTP 451"
    assert redact(text) == text


def test_the_filter_scrubs_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("token %s for %s", "xoxb-1-2-secret", "anna@meetline.example")
        try:
            raise RuntimeError("refused bob@meetline.example with Bearer abcdef123456")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "failed" in out and "RuntimeError" in out
    assert not any(s in out for s in ("xoxb-1-2", "anna@", "bob@", "abcdef123456"))
