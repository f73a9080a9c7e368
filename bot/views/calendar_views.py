"""Pure builders for connecting a calendar: the App Home "Calendar" section, the CalDAV
modal, the reconnect DM and the page-less "continue to Google/Microsoft" modal.

Google and Microsoft buttons are URL buttons to a short-lived signed Meetline link
(built by bot.calendar_oauth), so the OAuth state is created server-side only when the
user actually clicks; CalDAV is a modal because its credentials are checked before they
are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.views.text import EN, clip, escape_mrkdwn, mrkdwn, plain
from handlers.connect_calendar import CalDavAccount
from handlers.i18n import N_, Translator

CALDAV_CALLBACK = "calendar_caldav"
PROVIDER_LABELS = {  # translated where shown (provider_label); product names read the same
    "google": N_("Google Calendar"),
    "microsoft": N_("Microsoft 365"),
    "caldav": N_("CalDAV calendar"),
    "email": N_("email invitations only"),
}
# block ids of the CalDAV modal: errors are reported against them
F_CALDAV_URL = "caldav_url"
F_CALDAV_USER = "caldav_username"
F_CALDAV_PASSWORD = "caldav_password"
F_CALDAV_CALENDAR = "caldav_calendar"


@dataclass(frozen=True)
class CalendarHome:
    """What the Calendar section needs to know (all plain values, no storage types)."""

    provider: str | None = None  # google | microsoft | caldav | email | None
    email: str | None = None
    active: bool = True
    google_url: str | None = None  # None: Google is not set up (or PUBLIC_URL is missing)
    microsoft_url: str | None = None
    can_store: bool = True  # SECRET_KEY is set
    oauth_hint: str | None = None  # why a provider button is missing, for admins
    admin: bool = False  # the reader may change the set-up: server settings are named


def provider_label(provider: str | None, t: Translator = EN) -> str:
    """ "Google Calendar", "Microsoft 365", "CalDAV calendar": a provider as readers name it."""
    label = PROVIDER_LABELS.get(provider or "")
    return t.gettext(label) if label else (provider or "")


def _status_text(home: CalendarHome, t: Translator) -> str:
    label = provider_label(home.provider, t)
    email = escape_mrkdwn(home.email) if home.email else None
    if home.provider is None:
        return t.gettext(
            "No calendar connected. Meetings you host are not added to a calendar, and attendees get "
            "Meetline's email invitation."
        )
    if home.provider == "email":
        return t.gettext(
            "You chose *email invitations only*: attendees get Meetline's invitation by email and "
            "nothing is added to a calendar."
        )
    if not home.active:
        if email:
            lost = t.gettext(
                "Your *{calendar}* connection as {email} stopped working. Reconnect it so meetings "
                "land in your calendar again; until then attendees get Meetline's email invitation.",
                calendar=label,
                email=email,
            )
        else:
            lost = t.gettext(
                "Your *{calendar}* connection stopped working. Reconnect it so meetings land in your "
                "calendar again; until then attendees get Meetline's email invitation.",
                calendar=label,
            )
        return ":warning: " + lost
    if email:
        text = t.gettext(
            "Connected to *{calendar}* as {email}. Meetings you host are added to it.",
            calendar=label,
            email=email,
        )
    else:
        text = t.gettext(
            "Connected to *{calendar}*. Meetings you host are added to it.", calendar=label
        )
    if home.provider == "google":
        text += " " + t.gettext("Google Meet links are made there when you pick Meet.")
    elif home.provider == "microsoft":
        text += " " + t.gettext("Teams links are made there when you pick Teams.")
    elif home.provider == "caldav":
        text += " " + t.gettext("Attendees get Meetline's email invitation.")
    return ":white_check_mark: " + text


def _connect_text(provider: str, name: str, home: CalendarHome, t: Translator) -> str:
    """ "Connect Google Calendar", or "Reconnect …" for the provider already chosen."""
    if home.provider == provider:
        return t.gettext("Reconnect {calendar}", calendar=name)
    return t.gettext("Connect {calendar}", calendar=name)


def calendar_section(home: CalendarHome, *, t: Translator = EN) -> list[dict[str, Any]]:
    """The App Home "Calendar" section (block ids prefixed `calendar_`)."""
    blocks: list[dict[str, Any]] = [
        {"type": "divider", "block_id": "calendar_div"},
        {"type": "header", "block_id": "calendar_head", "text": plain(t.gettext("Calendar"), 150)},
        {
            "type": "section",
            "block_id": "calendar_status",
            "text": mrkdwn(clip(_status_text(home, t), 2900, keep_lines=True)),
        },
    ]
    if not home.can_store:
        setup = (
            t.gettext(
                "Calendars can be connected once an admin sets `SECRET_KEY` (it encrypts the stored tokens)."
            )
            if home.admin
            else t.gettext("Connecting a calendar is not set up in this workspace yet.")
        )
        blocks.append(
            {"type": "context", "block_id": "calendar_setup", "elements": [mrkdwn(setup)]}
        )
        return blocks
    elements: list[dict[str, Any]] = []
    connected = home.provider in ("google", "microsoft", "caldav") and home.active
    if home.google_url:
        text = _connect_text("google", provider_label("google", t), home, t)
        elements.append(
            {
                "type": "button",
                "action_id": "calendar_connect_google",
                "text": plain(text, 75),
                "url": home.google_url,
                **({"style": "primary"} if not connected else {}),
            }
        )
    if home.microsoft_url:
        text = _connect_text("microsoft", provider_label("microsoft", t), home, t)
        elements.append(
            {
                "type": "button",
                "action_id": "calendar_connect_microsoft",
                "text": plain(text, 75),
                "url": home.microsoft_url,
            }
        )
    elements.append(
        {
            "type": "button",
            "action_id": "calendar_connect_caldav",
            "text": plain(_connect_text("caldav", "CalDAV", home, t), 75),
            "value": "caldav",
        }
    )
    if home.provider != "email":
        elements.append(
            {
                "type": "button",
                "action_id": "calendar_email_only",
                "text": plain(t.gettext("Email invitations only"), 75),
                "value": "email",
            }
        )
    if home.provider is not None:
        if home.provider == "email":
            forget = t.gettext("Meetline forgets that you chose email invitations only.")
        else:
            forget = t.gettext(
                "Meetline forgets your {calendar} connection. Meetings already booked stay in your "
                "calendar.",
                calendar=provider_label(home.provider, t),
            )
        elements.append(
            {
                "type": "button",
                "action_id": "calendar_disconnect",
                "style": "danger",
                "text": plain(t.gettext("Disconnect"), 75),
                "value": home.provider,
                "confirm": {
                    "title": plain(t.gettext("Disconnect?"), 100),
                    "text": plain(clip(forget, 300), 300),
                    "confirm": plain(t.gettext("Disconnect"), 30),
                    "deny": plain(t.gettext("Keep it"), 30),
                    "style": "danger",
                },
            }
        )
    blocks.append({"type": "actions", "block_id": "calendar_actions", "elements": elements})
    if home.oauth_hint and home.admin:
        blocks.append(
            {"type": "context", "block_id": "calendar_hint", "elements": [mrkdwn(home.oauth_hint)]}
        )
    return blocks


def _text_input(
    block_id: str,
    label: str,
    value: str | None,
    placeholder: str,
    hint: str | None = None,
    *,
    optional: bool = False,
    max_length: int = 500,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "max_length": max_length,
        "placeholder": plain(placeholder, 150),
    }
    if value:
        element["initial_value"] = value[:max_length]
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    if optional:
        block["optional"] = True
    return block


def caldav_modal(
    url: str = "", username: str = "", calendar: str = "", *, t: Translator = EN
) -> dict[str, Any]:
    """The CalDAV connect form; the password is never pre-filled."""
    return {
        "type": "modal",
        "callback_id": CALDAV_CALLBACK,
        "title": plain(t.gettext("Connect {calendar}", calendar="CalDAV"), 24),
        "submit": plain(t.gettext("Connect"), 24),
        "close": plain(t.gettext("Cancel"), 24),
        "blocks": [
            {
                "type": "section",
                "block_id": "caldav_intro",
                "text": mrkdwn(
                    t.gettext(
                        "Fastmail, iCloud, Nextcloud, Radicale and other CalDAV servers. Meetline checks the details "
                        "before saving them (encrypted)."
                    )
                ),
            },
            _text_input(
                F_CALDAV_URL,
                t.gettext("Server URL"),
                url,
                "https://caldav.example.com/",
                t.gettext("The CalDAV address your provider gives for calendar apps."),
            ),
            _text_input(
                F_CALDAV_USER, t.gettext("Username"), username, "you@example.com", max_length=320
            ),
            _text_input(
                F_CALDAV_PASSWORD,
                t.gettext("App password"),
                None,
                t.gettext("An app-specific password"),
                t.gettext("Create an app password at your provider; it is stored encrypted."),
                max_length=500,
            ),
            _text_input(
                F_CALDAV_CALENDAR,
                t.gettext("Calendar name"),
                calendar,
                t.gettext("e.g. Work"),
                t.gettext("Leave empty to use your first calendar."),
                optional=True,
                max_length=200,
            ),
        ],
    }


def read_caldav_modal(view: dict[str, Any]) -> CalDavAccount:
    values = (view.get("state") or {}).get("values") or {}

    def get(block: str) -> str:
        raw = ((values.get(block) or {}).get("value") or {}).get("value")
        return str(raw or "").strip()

    return CalDavAccount(
        get(F_CALDAV_URL), get(F_CALDAV_USER), get(F_CALDAV_PASSWORD), get(F_CALDAV_CALENDAR)
    )


def reconnect_text(provider: str, *, t: Translator = EN) -> str:
    return t.gettext(
        "Meetline can no longer reach your {calendar}. Meetings you host are not added to it until "
        "you reconnect; attendees get Meetline's email invitation meanwhile.",
        calendar=provider_label(provider, t),
    )


def reconnect_blocks(provider: str, *, t: Translator = EN) -> list[dict[str, Any]]:
    return [
        {
            "type": "section",
            "block_id": "calendar_lost",
            "text": mrkdwn(":warning: " + reconnect_text(provider, t=t)),
        },
        {
            "type": "actions",
            "block_id": "calendar_reconnect_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "calendar_reconnect",
                    "style": "primary",
                    "text": plain(
                        t.gettext("Reconnect {calendar}", calendar=provider_label(provider, t)), 75
                    ),
                    "value": provider,
                }
            ],
        },
    ]


def connect_modal(section: list[dict[str, Any]], *, t: Translator = EN) -> dict[str, Any]:
    """The App Home's calendar choices (`section`, bot.calendar_oauth.home_section) as a
    modal, for the Connect button of the /meet form and of the confirmation."""
    return {
        "type": "modal",
        "callback_id": "calendar_connect",
        "title": plain(t.gettext("Connect a calendar"), 24),
        "close": plain(t.gettext("Close"), 24),
        "blocks": [b for b in section if b.get("type") != "divider"],
    }


def connect_link_modal(provider: str, url: str | None, *, t: Translator = EN) -> dict[str, Any]:
    """A fresh sign-in link (a DM's button is older than any link it could carry)."""
    label = provider_label(provider, t)
    blocks: list[dict[str, Any]]
    if url:
        blocks = [
            {
                "type": "section",
                "block_id": "link_intro",
                "text": mrkdwn(
                    t.gettext(
                        "Sign in to {calendar} in your browser to reconnect it to Meetline.",
                        calendar=label,
                    )
                ),
            },
            {
                "type": "actions",
                "block_id": "link_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "calendar_connect_link",
                        "style": "primary",
                        "text": plain(t.gettext("Continue to {calendar}", calendar=label), 75),
                        "url": url,
                    }
                ],
            },
        ]
    else:
        blocks = [
            {
                "type": "section",
                "block_id": "link_intro",
                "text": mrkdwn(
                    t.gettext(
                        "{calendar} cannot be connected on this Meetline server yet: an admin must set it up first.",
                        calendar=label,
                    )
                ),
            }
        ]
    return {
        "type": "modal",
        "callback_id": "calendar_link",
        "title": plain(t.gettext("Reconnect calendar"), 24),
        "close": plain(t.gettext("Close"), 24),
        "blocks": blocks,
    }


def connected_text(provider: str, email: str | None, *, t: Translator = EN) -> str:
    label = provider_label(provider, t)
    if email:
        return t.gettext(
            "Your {calendar} ({email}) is connected. Meetings you host from now on are added to it.",
            calendar=label,
            email=escape_mrkdwn(email),
        )
    return t.gettext(
        "Your {calendar} is connected. Meetings you host from now on are added to it.",
        calendar=label,
    )


PENDING_CONNECT = "calendar_pending_connect"
PENDING_CANCEL = "calendar_pending_cancel"


def pending_text(provider: str, email: str | None, *, t: Translator = EN) -> str:
    """The question itself ("Connect anna@t1.test?"), also the DM's notification text."""
    if email:
        return t.gettext("Connect {email}?", email=escape_mrkdwn(email))
    return t.gettext("Connect this {calendar} account?", calendar=provider_label(provider, t))


def pending_blocks(
    provider: str, email: str | None, pending_id: str, *, t: Translator = EN
) -> list[dict[str, Any]]:
    """Asked when a sign-in through the user's link ended in an account whose address is
    not the one Slack has for them: only their own click connects it."""
    label = provider_label(provider, t)
    why = t.gettext(
        "Someone finished signing in to {calendar} through your Meetline link with an account that is "
        "not your Slack email address. Connect it only if it is yours: meetings you host would be added "
        "to it and invitations sent from it.",
        calendar=label,
    )
    return [
        {
            "type": "section",
            "block_id": "calendar_pending",
            "text": mrkdwn(
                clip(f"*{pending_text(provider, email, t=t)}*\n{why}", 2900, keep_lines=True)
            ),
        },
        {
            "type": "actions",
            "block_id": "calendar_pending_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": PENDING_CONNECT,
                    "style": "primary",
                    "text": plain(t.gettext("Connect"), 75),
                    "value": pending_id,
                },
                {
                    "type": "button",
                    "action_id": PENDING_CANCEL,
                    "text": plain(t.gettext("Cancel"), 75),
                    "value": pending_id,
                },
            ],
        },
    ]


def pending_answer_text(
    outcome: str, provider: str, email: str | None, *, t: Translator = EN
) -> str:
    """What the confirmation message turns into: connected, cancelled, or gone."""
    if outcome == "connected":
        return ":white_check_mark: " + connected_text(
            provider, escape_mrkdwn(email) if email else None, t=t
        )
    if outcome == "cancelled":
        return t.gettext("Not connected. Nothing from that account was kept.")
    return t.gettext(
        "This confirmation has expired or is not yours. Nothing was connected; to connect a calendar, "
        "use Meetline's Home tab."
    )
