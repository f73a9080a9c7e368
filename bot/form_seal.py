"""Where a /meet form may post: the channel and thread in its private_metadata, sealed by
the server that wrote them.

A view's private_metadata comes back in the view_submission as the member's client sent
it, so it is no more trusted than a typed value. Its `ch` and `th` say where the Save
posts the meeting's confirmation (the thread of the message the form was opened from),
and the bot may write to every public channel (`chat:write.public`): taken as sent, a
forged pair would have the bot post into any channel of the workspace, in the thread of
a message the member never saw.

So the form is sealed when it opens: an HMAC-SHA256 over the team, the user, the form's
submission key, the channel and the thread, all read from Slack's signed request (never
from a view), kept in the metadata as `cs`. The Save takes the channel and thread only
when the seal verifies for the team and user Slack names in the submission, and drops
both otherwise: the meeting is still booked, only the post in the thread is missing (as
for a form opened before seals existed). The submission key makes a seal good for one
form: another Save of it finds its meeting booked already and posts nothing again.

Why not ask Slack instead (conversations.members: is the member in that channel)? It
costs a Web API call on every Save, and being in the channel does not show that the
member saw the message whose thread is named, nor that the app opened this form there.

The key is derived with HKDF under its own label (storage.crypto.FORM_DESTINATIONS) from
SECRET_KEY: the first key seals, every key verifies, so forms stay good across a
rotation. A single workspace runs without SECRET_KEY; it then comes from
SLACK_SIGNING_SECRET, which every HTTP server has and only Slack shares (whoever holds it
can forge Slack's requests anyway). Socket Mode with neither gets a random key per
process, so a form opened before a restart loses the thread post.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import replace

from bot.settings import Settings
from bot.views.meet_state import FormState
from storage.crypto import FORM_DESTINATIONS, derived_key, parse_secret_keys

log = logging.getLogger(__name__)


class FormSeal:
    """Seals a form's destination with the first key and verifies with any."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a form seal needs a key")
        # Keyed HMAC states, copied per seal: hmac.digest's one-shot call releases the GIL
        # for a 70-byte message, and under a burst of Saves each release is a wait for the
        # GIL again behind the other requests.
        self._keys = tuple(
            hmac.new(derived_key(k, FORM_DESTINATIONS), digestmod=hashlib.sha256) for k in keys
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> FormSeal:
        if settings.SECRET_KEY:
            return cls(parse_secret_keys(settings.SECRET_KEY))
        return cls([settings.SLACK_SIGNING_SECRET or secrets.token_urlsafe(32)])

    def seal(
        self, team_id: str, user_id: str, key: str, channel: str | None, thread: str | None
    ) -> str | None:
        """The `cs` of a form opened by `user_id` in `channel` (on `thread`), or None when
        it has no destination to seal."""
        if not channel and not thread:
            return None
        return _mac(self._keys[0], team_id, user_id, key, channel, thread)

    def trusted(self, state: FormState, team_id: str, user_id: str) -> FormState:
        """`state` as submitted by `user_id` of `team_id`, with its channel and thread only
        when this server sealed them for that team, user and form; else without them."""
        if not state.channel and not state.thread:
            return state
        if state.seal is not None:
            for key in self._keys:
                expected = _mac(key, team_id, user_id, state.key, state.channel, state.thread)
                if hmac.compare_digest(expected.encode(), state.seal.encode()):
                    return state
        log.info(
            "form destination dropped (%s): team %s user %s channel %s",
            "no seal" if state.seal is None else "seal does not verify",
            team_id,
            user_id,
            state.channel,
        )
        return replace(state, channel=None, thread=None, seal=None)


def _mac(
    key: hmac.HMAC,
    team_id: str,
    user_id: str,
    form_key: str,
    channel: str | None,
    thread: str | None,
) -> str:
    """base64url (unpadded) HMAC-SHA256 of the five values as a JSON list: unambiguous
    whatever they hold, so no value can borrow another's characters."""
    message = json.dumps([team_id, user_id, form_key, channel or "", thread or ""])
    mac = key.copy()
    mac.update(message.encode())
    digest = mac.digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
