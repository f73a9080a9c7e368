"""Edit, cancel and the App Home: a meeting after it was booked."""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import tell_error
from bot.i18n_context import language_of_profile, translator_for
from bot.listeners.meet import render, team_of, user_of
from bot.profiles import ProfileService
from bot.services import Services
from bot.views.crm_views import hubspot_home_blocks
from bot.views.home import home_view
from bot.views.meet_modal import loading_view
from bot.views.meet_state import FormState, from_meeting
from bot.views.messages import cancelled_blocks, cancelled_text
from bot.views.text import deleted_record_label, record_label
from handlers.connect_calendar import offers_connect
from handlers.domain import UserProfile
from handlers.editing import MeetingToEdit
from handlers.errors import DomainError
from handlers.i18n import Translator
from handlers.invitation_language import form_invitation_language
from handlers.policy import can_change_settings, can_set_outcome
from handlers.workspace import WorkspaceSettings

log = logging.getLogger(__name__)


def publish_home(client: WebClient, services: Services, team_id: str, user_id: str) -> None:
    """The user's App Home, in their language (the stored profile: no Slack call)."""
    now = services.clock.now()
    ws = services.workspaces.get(team_id)
    profile = services.users.get(team_id, user_id)
    t = translator_for(profile, ws)
    is_admin = bool(profile and can_change_settings(profile, team_id))
    view = home_view(
        user_id,
        services.meetings.upcoming_for(team_id, user_id, now),
        services.meetings.awaiting_outcome(team_id, user_id, now),
        ws.outcomes,
        extra_blocks=[
            *services.home_sections(team_id, user_id, t, is_admin),
            *(hubspot_home_blocks(services.crm.get(team_id), t=t) if is_admin else ()),
        ],
        is_admin=is_admin,
        t=t,
    )
    client.views_publish(user_id=user_id, view=view)


def _meeting_id(body: dict[str, Any]) -> int | None:
    try:
        value = json.loads((body.get("actions") or [{}])[0].get("value") or "{}")
    except ValueError:
        return None
    return value.get("m") if isinstance(value, dict) and isinstance(value.get("m"), int) else None


def edit_form(
    found: MeetingToEdit,
    ws: WorkspaceSettings,
    t: Translator,
    actor: UserProfile,
    *,
    email_only: bool = False,
    host_language: str | None = None,
) -> FormState:
    """The /meet form filled in with the meeting, under a fresh submission key; with its
    outcome for those who may set it (the host, an admin), the email-only notice
    (`email_only`) as a new booking's form has it, and the invitation language its
    contacts read (else the host's: `host_language`, default the form's)."""
    labels = {
        rid: (deleted_record_label if rid in found.deleted else record_label)(r, t=t)
        for rid, r in found.records.items()
    }
    meeting = found.meeting
    state = from_meeting(
        meeting,
        key=uuid.uuid4().hex,
        labels=labels,
        durations=ws.durations,
        t=t,
        with_outcome=can_set_outcome(actor, meeting),
    )
    state = replace(state, email_only=email_only)
    if state.invitation_language is None:  # booked before the form asked: what it proposes
        ids = (meeting.record_id, *(a.record_id for a in meeting.attendees))
        records = [found.records.get(rid) for rid in ids if rid is not None]
        proposed = form_invitation_language(records, host_language or t.language)
        state = replace(state, invitation_language=proposed)
    return state


def edit_context(
    client: WebClient,
    services: Services,
    profiles: ProfileService,
    actor: UserProfile,
    found: MeetingToEdit,
) -> dict[str, Any]:
    """`edit_form`'s `email_only` and `host_language`. The host editing their meeting
    without a calendar is told the update goes by email, as after a new booking (the
    Connect button connects the clicker's own calendar, so nobody else is offered it);
    someone editing another's meeting sees the language its contacts read, the host's."""
    host_id = found.meeting.host_id
    if actor.slack_user_id != host_id:
        host = profiles.get(client, actor.team_id, host_id)
        language = language_of_profile(host, services.workspaces.get(actor.team_id))
        return {"email_only": False, "host_language": language}
    status = services.connections.status(actor.team_id, actor.slack_user_id)
    offer = offers_connect(status, can_connect=services.connections.can_store_secrets)
    return {"email_only": offer, "host_language": None}


def register(app: App, services: Services, profiles: ProfileService) -> None:
    @app.action(re.compile(r"^meeting_edit:\d+$"))
    def edit_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        meeting_id = _meeting_id(body)
        if meeting_id is None:
            return  # not one of our buttons' values
        actor = profiles.get(client, team_of(body), user_of(body))
        ws = services.workspaces.get(team_of(body))
        t = translator_for(actor, ws)
        try:
            found = services.manage.to_edit(meeting_id, actor)
        except DomainError as error:
            tell_error(client, body, user_of(body), error, t)
            return
        try:
            opened = client.views_open(trigger_id=body["trigger_id"], view=loading_view(t=t))
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error"))
            return
        view = opened["view"]
        client.views_update(
            view_id=view["id"],
            hash=view.get("hash"),
            view=render(
                edit_form(
                    found, ws, t, actor, **edit_context(client, services, profiles, actor, found)
                ),
                ws,
                t,
            ),
        )

    @app.action(re.compile(r"^meeting_cancel:\d+$"))
    def cancel_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        meeting_id = _meeting_id(body)
        if meeting_id is None:
            return
        actor = profiles.get(client, team_of(body), user_of(body))
        t = translator_for(actor, services.workspaces.get(team_of(body)))
        try:
            cancelled = services.manage.cancel(meeting_id, actor)
        except DomainError as error:
            tell_error(client, body, user_of(body), error, t)
            return
        container = body.get("container") or {}
        if container.get("type") == "message":
            client.chat_update(
                channel=str(container.get("channel_id")),
                ts=str(container.get("message_ts")),
                text=cancelled_text(cancelled.meeting, t=t),
                blocks=cancelled_blocks(cancelled, t=t),
            )
        else:
            publish_home(client, services, team_of(body), user_of(body))
            client.chat_postMessage(
                channel=user_of(body),
                text=cancelled_text(cancelled.meeting, t=t),
                blocks=cancelled_blocks(cancelled, t=t),
            )

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home" or not isinstance(event.get("user"), str):
            return
        team_id, user_id = str(body.get("team_id") or ""), str(event["user"])
        profiles.get(
            client, team_id, user_id
        )  # refresh the profile (Slack's admin flags, name, zone)
        publish_home(client, services, team_id, user_id)
