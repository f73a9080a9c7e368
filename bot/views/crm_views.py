"""HubSpot in Slack: the admin's App Home section and the token form (pure builders)."""

from __future__ import annotations

from typing import Any

from bot.views.text import EN, escape_mrkdwn, mrkdwn, plain, slack_date
from handlers.connect_crm import CrmConnection
from handlers.i18n import Translator

HUBSPOT_CALLBACK = "hubspot_connect"
F_CRM_TOKEN = "crm_token"
HUBSPOT_OPEN = "hubspot_open"
HUBSPOT_SYNC = "hubspot_sync"
OPEN_IN_CRM = "open_in_crm"


def hubspot_home_blocks(
    connection: CrmConnection | None, *, t: Translator = EN
) -> list[dict[str, Any]]:
    """The admin's HubSpot section of App Home: whether it is connected, and a button
    to connect it (or to replace the token)."""
    if connection is None:
        status = t.gettext(
            "*HubSpot*: not connected. Records come from `meetline import` (CSV) only."
        )
        label = t.gettext("Connect HubSpot")
    else:
        status = t.gettext(
            "*HubSpot*: connected by <@{user}> on {when}.",
            user=connection.connected_by,
            when=slack_date(connection.connected_at, t=t),
        )
        if connection.synced_up_to is not None:
            status += "\n" + t.gettext(
                "Records synced up to {when}; changes follow every few minutes.",
                when=slack_date(connection.synced_up_to, t=t),
            )
        if connection.owners:
            matched = [f"<@{user}>" for _, user in connection.owners if user]
            unmatched = [email for email, user in connection.owners if not user]
            status += "\n" + t.gettext(
                "HubSpot owners matched to Slack by e-mail: {matched}.",
                matched=", ".join(matched) or "–",
            )
            if unmatched:
                status += " " + t.gettext(
                    "Not in Slack (meetings they host get no HubSpot owner): {emails}.",
                    emails=", ".join(escape_mrkdwn(e) for e in unmatched[:20]),
                )
        label = t.gettext("Replace HubSpot token")
    buttons = [{"type": "button", "action_id": HUBSPOT_OPEN, "text": plain(label, 75)}]
    if connection is not None:
        buttons.append(
            {
                "type": "button",
                "action_id": HUBSPOT_SYNC,
                "text": plain(t.gettext("Sync now"), 75),
            }
        )
    return [
        {"type": "section", "block_id": "hubspot_status", "text": mrkdwn(status)},
        {
            "type": "actions",
            "block_id": "hubspot_actions",
            "elements": buttons,
        },
    ]


def hubspot_token_view(*, t: Translator = EN) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": HUBSPOT_CALLBACK,
        "title": plain(t.gettext("Connect HubSpot"), 24),
        "submit": plain(t.gettext("Connect"), 24),
        "close": plain(t.gettext("Cancel"), 24),
        "blocks": [
            {
                "type": "section",
                "block_id": "hubspot_help",
                "text": mrkdwn(
                    t.gettext(
                        "In HubSpot, create a private app (Settings → Integrations → "
                        "Private apps) with the scopes listed in Meetline's README, "
                        "and paste its access token here. It is stored encrypted."
                    )
                ),
            },
            {
                "type": "input",
                "block_id": F_CRM_TOKEN,
                "label": plain(t.gettext("Access token")),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "placeholder": plain("pat-…", 150),
                    "max_length": 200,
                },
            },
        ],
    }


def hubspot_connected_view(*, t: Translator = EN) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "hubspot_done",
        "title": plain(t.gettext("Connect HubSpot"), 24),
        "close": plain(t.gettext("Done"), 24),
        "blocks": [
            {
                "type": "section",
                "block_id": "hubspot_done",
                "text": mrkdwn(t.gettext("HubSpot is connected.")),
            }
        ],
    }


def read_token(view: dict[str, Any]) -> str:
    state = view.get("state", {}).get("values", {})
    value = state.get(F_CRM_TOKEN, {}).get("value", {}).get("value")
    return value if isinstance(value, str) else ""


def sync_queued_text(*, t: Translator = EN) -> str:
    return t.gettext("HubSpot sync started: changes arrive within a minute.")


def crm_link_button(url: str, *, t: Translator = EN) -> dict[str, Any]:
    """A link to the record's page in HubSpot (Slack opens it; the click is only acked)."""
    return {
        "type": "button",
        "action_id": OPEN_IN_CRM,
        "text": plain(t.gettext("Open in HubSpot"), 75),
        "url": url[:3000],
    }
