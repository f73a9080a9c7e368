"""Pytest fixtures for the Slack test harness.

Enable them in a conftest: ``from tests.support.fixtures import clean_slack_env, fake_slack``
(top-level ``tests/conftest.py`` may instead use ``pytest_plugins = ["tests.support.fixtures"]``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_slack import FakeSlack

#: Environment variables Bolt / slack_sdk read implicitly; cleared by ``clean_slack_env``.
SLACK_ENV_VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_SCOPES",
    "SLACK_USER_SCOPES",
    "SLACK_INSTALL_PATH",
    "SLACK_REDIRECT_URI_PATH",
    "SLACK_REDIRECT_URI",
    "SLACK_STATE_SECRET",
    "SLACK_API_URL",
)


@pytest.fixture
def clean_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove Slack settings inherited from the shell (Bolt builds OAuth from them)."""
    for name in SLACK_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started :class:`FakeSlack`; stopped after the test."""
    with FakeSlack() as fake:
        yield fake
