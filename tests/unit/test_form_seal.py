"""The seal of a /meet form's channel and thread (bot.form_seal): a Save posts in a thread
only when this server sealed it for the submitting team, user and form."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

import pytest

from bot.form_seal import FormSeal
from bot.settings import Settings
from bot.views.form_payload import parse_state
from bot.views.meet_state import FormState
from tests.support.server import OTHER_SECRET_KEY, SECRET_KEY, SIGNING_SECRET

TEAM, USER, KEY, CHANNEL, THREAD = "T0001", "U1", "3f2a9c", "C42", "1765000000.000100"
SEAL = FormSeal([SECRET_KEY])


def opened(server: FormSeal = SEAL, **changes: Any) -> FormState:
    """A form opened by USER on a message in CHANNEL, as its view comes back on Save."""
    state = FormState(timezone="UTC", key=KEY, channel=CHANNEL, thread=THREAD)
    state = replace(state, **({"seal": server.seal(TEAM, USER, KEY, CHANNEL, THREAD)} | changes))
    return parse_state({"private_metadata": state.metadata(), "state": {"values": {}}})


def destination(state: FormState, team: str = TEAM, user: str = USER) -> tuple[object, ...]:
    kept = SEAL.trusted(state, team, user)
    return kept.channel, kept.thread


def test_the_genuine_form_keeps_its_channel_and_thread() -> None:
    state = opened()
    assert state.seal is not None and json.loads(state.metadata())["cs"] == state.seal
    assert destination(state) == (CHANNEL, THREAD)


@pytest.mark.parametrize(
    ("team", "user", "changes"),
    [
        ("T0002", USER, {}),
        (TEAM, "U2", {}),
        (TEAM, USER, {"channel": "C43"}),
        (TEAM, USER, {"thread": "1765000000.000200"}),
        (TEAM, USER, {"key": "3f2a9d"}),
        (TEAM, USER, {"seal": None}),
        (TEAM, USER, {"seal": "A" * 43}),
    ],
    ids=[
        "wrong-team",
        "wrong-user",
        "tampered-channel",
        "tampered-thread",
        "another-form",
        "missing",
        "forged",
    ],
)
def test_a_destination_this_server_did_not_seal_for_the_submitter_is_dropped(
    team: str, user: str, changes: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    state = opened(**changes)
    with caplog.at_level(logging.INFO, logger="bot.form_seal"):
        kept = SEAL.trusted(state, team, user)
    assert (kept.channel, kept.thread, kept.seal) == (None, None, None)
    assert kept.key == state.key  # the meeting is still booked under the form's key
    assert "form destination dropped" in caplog.text
    assert state.seal is None or state.seal not in caplog.text


def test_a_form_opened_before_seals_existed_saves_without_its_thread() -> None:
    pre_deploy = json.dumps({"k": KEY, "tz": "UTC", "ch": CHANNEL, "th": THREAD})
    state = parse_state({"private_metadata": pre_deploy, "state": {"values": {}}})
    assert (state.channel, state.thread, state.key) == (CHANNEL, THREAD, KEY)
    assert destination(state) == (None, None)


def test_a_form_with_no_destination_needs_no_seal() -> None:
    state = FormState(timezone="UTC", key=KEY)
    assert SEAL.seal(TEAM, USER, KEY, None, None) is None
    assert SEAL.trusted(state, TEAM, USER) is state


def test_a_rotation_keeps_open_forms_and_a_foreign_key_seals_nothing() -> None:
    before = opened(FormSeal([OTHER_SECRET_KEY]))
    rotated = FormSeal([SECRET_KEY, OTHER_SECRET_KEY])  # new key first, the old one after
    kept = rotated.trusted(before, TEAM, USER)
    assert (kept.channel, kept.thread) == (CHANNEL, THREAD)
    assert destination(before) == (None, None)  # the old key alone is gone
    assert rotated.seal(TEAM, USER, KEY, CHANNEL, THREAD) == opened().seal


def test_the_key_comes_from_secret_key_else_from_the_signing_secret() -> None:
    # model_construct: these two settings only, whatever the environment holds
    with_key = FormSeal.from_settings(
        Settings.model_construct(SLACK_SIGNING_SECRET=SIGNING_SECRET, SECRET_KEY=SECRET_KEY)
    )
    without = FormSeal.from_settings(Settings.model_construct(SLACK_SIGNING_SECRET=SIGNING_SECRET))
    assert with_key.seal(TEAM, USER, KEY, CHANNEL, THREAD) == opened().seal
    assert without.seal(TEAM, USER, KEY, CHANNEL, THREAD) == FormSeal([SIGNING_SECRET]).seal(
        TEAM, USER, KEY, CHANNEL, THREAD
    )
    assert without.seal(TEAM, USER, KEY, CHANNEL, THREAD) != opened().seal


def test_the_seal_is_hmac_sha256_of_the_values_so_open_forms_survive_an_upgrade() -> None:
    """Forms sealed by an earlier release (one-shot hmac.digest) verify after an upgrade."""
    import base64
    import hmac

    from storage.crypto import FORM_DESTINATIONS, derived_key

    message = json.dumps([TEAM, USER, KEY, CHANNEL, THREAD]).encode()
    digest = hmac.digest(derived_key(SECRET_KEY, FORM_DESTINATIONS), message, "sha256")
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert SEAL.seal(TEAM, USER, KEY, CHANNEL, THREAD) == expected
    assert destination(opened()) == (CHANNEL, THREAD)
