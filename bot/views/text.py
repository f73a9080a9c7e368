"""Small Block Kit text helpers shared by the view builders."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from handlers.domain import Record
from handlers.i18n import N_, Translator, translator
from handlers.ids import parse_prefixed_id

EN: Final[Translator] = translator("en")
"""The default `t` of every view builder: English, as before the texts were translated."""


def clip(text: str, limit: int, *, keep_lines: bool = False) -> str:
    """Slack rejects over-long texts outright, so cut with an ellipsis instead.

    Runs of spaces collapse; line breaks survive only with `keep_lines` (mrkdwn sections
    whose layout is their lines), as labels and titles must stay on one line."""
    if keep_lines:
        text = "\n".join(" ".join(line.split()) for line in text.strip().splitlines())
    else:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def escape_mrkdwn(text: str) -> str:
    """Neutralise `<!channel>`, fake links and mentions in user-supplied text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def slack_plain_text(text: str) -> str:
    """A message's text as its reader sees it: links by their label (an e-mail link by
    its address), mentions and channel links dropped, entities decoded."""

    def shown(link: re.Match[str]) -> str:
        target, label = link.group(1), link.group(2)
        if target[:1] in ("@", "!", "#"):
            return label or ""
        if target.startswith("mailto:"):
            return label or target[len("mailto:") :]
        return label or target

    plain_text = _SLACK_LINK.sub(shown, text)
    return plain_text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text[:limit] or " "}


def slack_date(when: datetime, fmt: str | None = None, *, t: Translator = EN) -> str:
    """A date Slack renders in each reader's own zone, with an explicit-UTC fallback.

    `fmt` holds Slack's tokens ({date_short_pretty}, {time}, …); the words around them
    are in `t`'s language. The fallback (clients that cannot render it) stays UTC."""
    if fmt is None:
        # Translators: Slack fills in {date_short_pretty} ("Dec 3", "today") and {time}; keep both tokens.
        fmt = t.gettext("{date_short_pretty} at {time}")
    epoch = int(when.timestamp())
    fallback = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{fmt}|{fallback}>"


KIND_LABEL = {
    "contact": N_("Contact"),
    "company": N_("Company"),
    "deal": N_("Deal"),
    "ticket": N_("Ticket"),
}


def record_label(record: Record, *, t: Translator = EN) -> str:
    """Option text: name, then what tells two Janes apart (company or email), ≤75 chars."""
    detail = record.company or record.email or ""
    label = KIND_LABEL.get(str(record.kind))
    kind = t.gettext(label) if label else str(record.kind)
    text = f"{record.name} ({detail})" if detail else record.name
    return clip(f"{kind}: {text}", 75)


def deleted_record_label(record: Record, *, t: Translator = EN) -> str:
    """Option text of a record deleted at its source that a meeting keeps (its edit form):
    the name is clipped, never the mark, so the rep always reads why it is there."""
    mark = t.gettext("(deleted in HubSpot)")
    return f"{clip(record_label(record, t=t), 75 - len(mark) - 1)} {mark}"


def guest_label(name: str, email: str, *, t: Translator = EN) -> str:
    """Option text of an attendee with an address only (the edit form keeps them): the
    name is clipped, never the address, so the rep knows who would lose the invitation."""
    frame = len(t.gettext("Guest: {guest}", guest=""))
    email = clip(email, 75 - frame)  # only an address longer than a label can hold
    room = 75 - frame - len(email) - len(" ()")
    named = name.strip() and name.strip().lower() != email.lower() and room >= 5
    who = f"{clip(name, room)} ({email})" if named else email
    return t.gettext("Guest: {guest}", guest=who)


def record_option(record: Record, *, t: Translator = EN) -> dict[str, Any]:
    return {"text": plain(record_label(record, t=t), 75), "value": f"r:{record.id}"}


def parse_record_value(value: str | None) -> int | None:
    """`r:<id>` from an option value; junk and out-of-range ids are None."""
    return parse_prefixed_id(value, "r")
