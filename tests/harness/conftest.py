from __future__ import annotations

from tests.support.fixtures import clean_slack_env, fake_slack

__all__ = ["clean_slack_env", "fake_slack"]
