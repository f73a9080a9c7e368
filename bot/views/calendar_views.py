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

from bot.views.text import clip, escape_mrkdwn, mrkdwn, plain

CALDAV_CALLBACK = "calendar_caldav"
PROVIDER_LABELS = {
    "google": "Google Calendar",
    "microsoft": "Microsoft 365",
    "caldav": "CalDAV calendar",
    "email": "email invitations only",
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


def _status_text(home: CalendarHome) -> str:
    label = PROVIDER_LABELS.get(home.provider or "", home.provider or "")
    who = f" as {escape_mrkdwn(home.email)}" if home.email else ""
    if home.provider is None:
        return ("No calendar connected. Meetings you host are not added to a calendar, and attendees get "
                "Meetline's email invitation.")
    if home.provider == "email":
        return ("You chose *email invitations only*: attendees get Meetline's invitation by email and "
                "nothing is added to a calendar.")
    if not home.active:
        return (f":warning: Your *{label}* connection{who} stopped working. Reconnect it so meetings land in "
                "your calendar again; until then attendees get Meetline's email invitation.")
    extra = {"google": " Google Meet links are made there when you pick Meet.",
             "microsoft": " Teams links are made there when you pick Teams.",
             "caldav": " Attendees get Meetline's email invitation."}.get(home.provider, "")
    return f":white_check_mark: Connected to *{label}*{who}. Meetings you host are added to it.{extra}"


def calendar_section(home: CalendarHome) -> list[dict[str, Any]]:
    """The App Home "Calendar" section (block ids prefixed `calendar_`)."""
    blocks: list[dict[str, Any]] = [
        {"type": "divider", "block_id": "calendar_div"},
        {"type": "header", "block_id": "calendar_head", "text": plain("Calendar", 150)},
        {"type": "section", "block_id": "calendar_status", "text": mrkdwn(clip(_status_text(home), 2900))},
    ]
    if not home.can_store:
        blocks.append({"type": "context", "block_id": "calendar_setup", "elements": [mrkdwn(
            "Calendars can be connected once an admin sets `SECRET_KEY` (it encrypts the stored tokens).")]})
        return blocks
    elements: list[dict[str, Any]] = []
    connected = home.provider in ("google", "microsoft", "caldav") and home.active
    verb = "Reconnect" if home.provider in ("google", "microsoft", "caldav") else "Connect"
    if home.google_url:
        text = f"{verb} Google Calendar" if home.provider == "google" else "Connect Google Calendar"
        elements.append({"type": "button", "action_id": "calendar_connect_google", "text": plain(text, 75),
                         "url": home.google_url, **({"style": "primary"} if not connected else {})})
    if home.microsoft_url:
        text = f"{verb} Microsoft 365" if home.provider == "microsoft" else "Connect Microsoft 365"
        elements.append({"type": "button", "action_id": "calendar_connect_microsoft", "text": plain(text, 75),
                         "url": home.microsoft_url})
    caldav_text = f"{verb} CalDAV" if home.provider == "caldav" else "Connect CalDAV"
    elements.append({"type": "button", "action_id": "calendar_connect_caldav", "text": plain(caldav_text, 75),
                     "value": "caldav"})
    if home.provider != "email":
        elements.append({"type": "button", "action_id": "calendar_email_only",
                         "text": plain("Email invitations only", 75), "value": "email"})
    if home.provider is not None:
        label = PROVIDER_LABELS.get(home.provider, home.provider)
        elements.append({
            "type": "button", "action_id": "calendar_disconnect", "style": "danger",
            "text": plain("Disconnect", 75), "value": home.provider,
            "confirm": {
                "title": plain("Disconnect?", 100),
                "text": plain(clip(f"Meetline forgets your {label} connection. Meetings already booked stay "
                                   "in your calendar.", 300), 300),
                "confirm": plain("Disconnect", 30),
                "deny": plain("Keep it", 30),
                "style": "danger",
            },
        })
    blocks.append({"type": "actions", "block_id": "calendar_actions", "elements": elements})
    if home.oauth_hint:
        blocks.append({"type": "context", "block_id": "calendar_hint", "elements": [mrkdwn(home.oauth_hint)]})
    return blocks


def _text_input(block_id: str, label: str, value: str | None, placeholder: str, hint: str | None = None,
                *, optional: bool = False, max_length: int = 500) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": max_length,
                               "placeholder": plain(placeholder, 150)}
    if value:
        element["initial_value"] = value[:max_length]
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element}
    if hint:
        block["hint"] = plain(hint, 2000)
    if optional:
        block["optional"] = True
    return block


def caldav_modal(url: str = "", username: str = "", calendar: str = "") -> dict[str, Any]:
    """The CalDAV connect form; the password is never pre-filled."""
    return {
        "type": "modal",
        "callback_id": CALDAV_CALLBACK,
        "title": plain("Connect CalDAV", 24),
        "submit": plain("Connect", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {"type": "section", "block_id": "caldav_intro", "text": mrkdwn(
                "Fastmail, iCloud, Nextcloud, Radicale and other CalDAV servers. Meetline checks the details "
                "before saving them (encrypted).")},
            _text_input(F_CALDAV_URL, "Server URL", url, "https://caldav.example.com/",
                        "The CalDAV address your provider gives for calendar apps."),
            _text_input(F_CALDAV_USER, "Username", username, "you@example.com", max_length=320),
            _text_input(F_CALDAV_PASSWORD, "App password", None, "An app-specific password",
                        "Create an app password at your provider; it is stored encrypted.", max_length=500),
            _text_input(F_CALDAV_CALENDAR, "Calendar name", calendar, "e.g. Work",
                        "Leave empty to use your first calendar.", optional=True, max_length=200),
        ],
    }


def read_caldav_modal(view: dict[str, Any]) -> dict[str, str]:
    values = (view.get("state") or {}).get("values") or {}

    def get(block: str) -> str:
        raw = ((values.get(block) or {}).get("value") or {}).get("value")
        return str(raw or "").strip()

    return {"url": get(F_CALDAV_URL), "username": get(F_CALDAV_USER), "password": get(F_CALDAV_PASSWORD),
            "calendar": get(F_CALDAV_CALENDAR)}


def reconnect_text(provider: str) -> str:
    label = PROVIDER_LABELS.get(provider, provider)
    return (f"Meetline can no longer reach your {label}. Meetings you host are not added to it until you "
            "reconnect; attendees get Meetline's email invitation meanwhile.")


def reconnect_blocks(provider: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "block_id": "calendar_lost", "text": mrkdwn(":warning: " + reconnect_text(provider))},
        {"type": "actions", "block_id": "calendar_reconnect_actions", "elements": [
            {"type": "button", "action_id": "calendar_reconnect", "style": "primary",
             "text": plain(f"Reconnect {PROVIDER_LABELS.get(provider, provider)}", 75), "value": provider}]},
    ]


def connect_link_modal(provider: str, url: str | None) -> dict[str, Any]:
    """A fresh sign-in link (a DM's button is older than any link it could carry)."""
    label = PROVIDER_LABELS.get(provider, provider)
    blocks: list[dict[str, Any]]
    if url:
        blocks = [
            {"type": "section", "block_id": "link_intro",
             "text": mrkdwn(f"Sign in to {label} in your browser to reconnect it to Meetline.")},
            {"type": "actions", "block_id": "link_actions", "elements": [
                {"type": "button", "action_id": "calendar_connect_link", "style": "primary",
                 "text": plain(f"Continue to {label}", 75), "url": url}]},
        ]
    else:
        blocks = [{"type": "section", "block_id": "link_intro", "text": mrkdwn(
            f"{label} cannot be connected on this Meetline server yet: an admin must set it up first.")}]
    return {"type": "modal", "callback_id": "calendar_link", "title": plain("Reconnect calendar", 24),
            "close": plain("Close", 24), "blocks": blocks}


def connected_text(provider: str, email: str | None) -> str:
    label = PROVIDER_LABELS.get(provider, provider)
    who = f" ({email})" if email else ""
    return f"Your {label}{who} is connected. Meetings you host from now on are added to it."
