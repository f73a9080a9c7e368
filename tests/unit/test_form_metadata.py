"""The scheduling modal's private_metadata is a wire format: a modal opened before a
deploy is submitted after it, so what older code wrote must still decode the same."""

from __future__ import annotations

import json

from bot.views.form_metadata import FormMetadata
from bot.views.form_payload import parse_state
from bot.views.meet_state import FormState

# Written by the code before the codec had its own module (FormState.metadata()).
PRE_DEPLOY = '{"k":"3f2a9c","tz":"Europe/Warsaw","ch":"C0123ABCD","m":42,"w":2,"lang":"pl"}'


def test_metadata_written_before_a_deploy_still_decodes() -> None:
    assert FormMetadata.decode(PRE_DEPLOY) == FormMetadata(
        key="3f2a9c",
        timezone="Europe/Warsaw",
        channel="C0123ABCD",
        meeting_id=42,
        when_revision=2,
        language="pl",
    )


def test_encode_keeps_the_short_keys_and_round_trips() -> None:
    meta = FormMetadata("3f2a9c", "Europe/Warsaw", "C0123ABCD", 42, 2, "pl")
    assert json.loads(meta.encode()) == json.loads(PRE_DEPLOY)
    assert FormMetadata.decode(meta.encode()) == meta


def test_a_new_meeting_form_carries_only_what_it_has() -> None:
    assert json.loads(FormMetadata("3f2a9c").encode()) == {"k": "3f2a9c", "tz": "UTC"}


def test_untrusted_values_of_the_wrong_shape_are_dropped() -> None:
    forged = json.dumps(
        {"k": "<b>x</b>", "tz": "Z" * 100, "ch": "#general", "m": -1, "w": "3", "lang": "x" * 40}
    )
    assert FormMetadata.decode(forged) == FormMetadata(key="")
    assert FormMetadata.decode("not json") == FormMetadata(key="")
    assert FormMetadata.decode('["k"]') == FormMetadata(key="")
    assert FormMetadata.decode(None) == FormMetadata(key="")
    assert json.loads(
        FormMetadata("<b>x</b>", "Z" * 100, "#general", None, 0, "x" * 40).encode()
    ) == {"k": "", "tz": "UTC"}


def test_the_view_model_and_the_payload_parser_use_the_codec() -> None:
    state = FormState(
        timezone="Europe/Warsaw",
        key="3f2a9c",
        channel="C0123ABCD",
        meeting_id=42,
        when_revision=2,
        language="pl",
    )
    assert json.loads(state.metadata()) == json.loads(PRE_DEPLOY)
    parsed = parse_state({"private_metadata": PRE_DEPLOY, "state": {"values": {}}})
    assert (
        parsed.key,
        parsed.timezone,
        parsed.channel,
        parsed.meeting_id,
        parsed.when_revision,
        parsed.language,
    ) == ("3f2a9c", "Europe/Warsaw", "C0123ABCD", 42, 2, "pl")


def test_how_the_text_was_read_travels_bounded() -> None:
    said = "Read “jutro o 3” as Tue 24 Mar, 15:00."
    meta = FormMetadata("3f2a9c", reading=said)
    assert json.loads(meta.encode())["rd"] == said
    assert FormMetadata.decode(meta.encode()).reading == said
    assert FormMetadata.decode('{"k":"3f2a9c","rd":"' + "x" * 301 + '"}').reading is None
    assert FormMetadata.decode('{"k":"3f2a9c","rd":7}').reading is None


def test_the_destination_seal_travels_as_cs_only_in_its_shape() -> None:
    seal = "Ab0_-" + "x" * 38
    meta = FormMetadata("3f2a9c", channel="C0123ABCD", thread="1765000000.000100", seal=seal)
    assert json.loads(meta.encode())["cs"] == seal
    assert FormMetadata.decode(meta.encode()) == meta
    for forged in ("x" * 42, "x" * 44, "x" * 42 + "=", 7, None):
        assert FormMetadata.decode(json.dumps({"k": "3f2a9c", "cs": forged})).seal is None
    assert "cs" not in json.loads(FormMetadata("3f2a9c", seal="<b>" * 15).encode())
