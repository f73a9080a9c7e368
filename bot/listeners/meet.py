"""/meet: the command, the pickers' options, the modal's live updates and its submission.

Listeners stay thin: read the payload, call one use case, render the result.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.directory import DirectorySync
from bot.errors import modal_errors
from bot.i18n_context import cached_translator, language_of_profile, translator_for
from bot.listeners.report import handle_report_command, report_period_text
from bot.outcome_dms import show_outcome_in_dms
from bot.profiles import ProfileService, phone_region
from bot.services import Services
from bot.views.fields import INVITATION_LANGUAGE_ACTION
from bot.views.form_payload import parse_state
from bot.views.invitation_blocks import calendar_notice_block, picked_language
from bot.views.meet_modal import CALLBACK_ID, loading_view, meet_form_view, message_view
from bot.views.meet_options import attendee_option_groups, opening_form, prefill_choices
from bot.views.meet_state import (
    FormState,
    to_request,
    with_changes,
)
from bot.views.messages import confirmation_blocks, confirmation_text, saved_heading
from bot.views.next_meeting_views import next_meeting_reply
from bot.views.text import parse_record_value, record_option, slack_plain_text
from bot.views.timeline_views import timeline_reply
from handlers.connect_calendar import offers_connect
from handlers.domain import Record, RecordKind
from handlers.errors import DomainError
from handlers.i18n import Translator, translator
from handlers.invitation_language import form_invitation_language
from handlers.meet_form import (
    RecordPrefill,
    default_title,
    draft_meet_form,
    merged,
    prefill_for_record,
    record_picked,
)
from handlers.record_history import record_history
from handlers.scheduling import Scheduled
from handlers.workspace import WorkspaceSettings

log = logging.getLogger(__name__)

MESSAGE_SHORTCUT = "schedule_from_message"  # manifest.yml: features.shortcuts
MAX_MESSAGE_TEXT = 2000  # what of a message is read for the form (a time, a name)


def help_text(t: Translator) -> str:
    """`/meet help` and @-mentions: what the command does, with examples in `t`'s language."""
    return t.gettext(
        "*/meet* opens the scheduling form. Add what you know and Meetline pre-fills it:\n"
        '• `/meet Jane Doe tomorrow 3pm 45m "Demo"`\n'
        "• `/meet jutro o 15 pół godziny`\n"
        "*/meet report [period]* DMs you a meeting report with a chart and a CSV "
        "(`last month`, `this week`, `last 30 days`, `2026-11-01..2026-11-30`, `zeszły miesiąc`…).\n"
        "*/meet timeline [record]* lists a record's meetings.\n"
        "*/meet next* shows your next meeting."
    )


def team_of(body: dict[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, dict):
        return str(team.get("id") or "")
    return str(body.get("team_id") or "")


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id") or "")
    return str(body.get("user_id") or "")


def channel_of(body: dict[str, Any]) -> str | None:
    """The channel of a command (`channel_id`) or of a click or shortcut (`channel.id`)."""
    channel = body.get("channel")
    found = channel.get("id") if isinstance(channel, dict) else body.get("channel_id")
    return str(found) if found else None


Reply = dict[str, Any]
"""The keyword arguments of an ephemeral ack: `text`, and `blocks` when there are any."""

SubCommand = Callable[[Services, str, str, str], Reply]
"""A `/meet` sub-command: (services, team id, user id, the text after its word) -> reply."""


def _timeline(services: Services, team_id: str, user_id: str, rest: str) -> Reply:
    t, query = cached_translator(services, team_id, user_id), rest.strip()
    history = record_history(services.records, services.meetings, team_id, query) if query else None
    url = services.crm_record_url(team_id, history.record) if history else None
    return timeline_reply(query, history, t=t, crm_url=url)


def _next(services: Services, team_id: str, user_id: str, rest: str) -> Reply:
    t = cached_translator(services, team_id, user_id)
    return next_meeting_reply(services.next_meeting(team_id, user_id), user_id, t=t)


HELP_TEXTS = ("help", "pomoc", "?")
"""The whole text asks for help ("help me" is a scheduling text, as it always was)."""

SUB_COMMANDS: dict[str, SubCommand] = {
    "timeline": _timeline,
    "historia": _timeline,
    "next": _next,
    "nastepne": _next,
    "następne": _next,
}
"""Sub-commands answered in the ack (due within 3 s), by their first word, any case."""


def sub_command_reply(services: Services, body: dict[str, Any], text: str) -> Reply | None:
    """The ephemeral answer to `/meet text`, or None when the text opens the form.

    Without a trigger id no form can open, so the caller gets the help instead."""
    team_id, user_id = team_of(body), user_of(body)
    if text.lower() in HELP_TEXTS or not body.get("trigger_id"):
        return {"text": help_text(cached_translator(services, team_id, user_id))}
    word, _, rest = text.partition(" ")
    answer = SUB_COMMANDS.get(word.lower())
    return None if answer is None else answer(services, team_id, user_id, rest)


def open_meet_modal(
    client: WebClient,
    services: Services,
    profiles: ProfileService,
    *,
    trigger_id: str,
    team_id: str,
    user_id: str,
    text: str = "",
    channel_id: str | None = None,
    record_id: int | None = None,
    thread: str | None = None,
    from_message: bool = False,
) -> bool:
    """Open the light view first (the trigger lives 3 s); the full form is built and sent
    from the small fill pool, so a burst of form building never delays another opening.
    It is filled from `text` (a message's when `from_message`), on `record_id` when given;
    `thread` is the message whose thread gets the confirmation."""
    try:  # the stored profile's language: no Slack call before the trigger expires
        opened = client.views_open(
            trigger_id=trigger_id,
            view=loading_view(t=cached_translator(services, team_id, user_id)),
        )
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        return False
    services.after_ack.fill(
        fill_meet_form,
        client,
        services,
        profiles,
        opened["view"],
        team_id=team_id,
        user_id=user_id,
        text=text,
        channel_id=channel_id,
        record_id=record_id,
        thread=thread,
        from_message=from_message,
    )
    return True


def fill_meet_form(
    client: WebClient,
    services: Services,
    profiles: ProfileService,
    view: dict[str, Any],
    *,
    team_id: str,
    user_id: str,
    text: str,
    channel_id: str | None,
    record_id: int | None,
    thread: str | None,
    from_message: bool,
) -> None:
    """The full form in place of the loading view: the caller's profile (zone, language),
    the typed text read in their zone, the record's prefill and the free/busy notice.
    `channel_id` and `thread` come from Slack's signed request: the form carries them
    sealed (bot.form_seal), as only this server's seal makes a Save post there."""
    profile = profiles.get(client, team_id, user_id)
    ws = services.workspaces.get(team_id)
    t = translator_for(profile, ws)
    draft = draft_meet_form(
        text,
        services.clock.now(),
        profile,
        services.records,
        team_id,
        record_id=record_id,
        from_message=from_message,
    )
    prefill = (
        prefill_for_record(services.records, team_id, draft.record)
        if draft.record is not None
        else None
    )
    form = opening_form(draft, prefill, ws, channel_id, t)
    opening = invitation_defaults(
        services,
        team_id,
        user_id,
        form,
        (draft.record, *(prefill.attendees if prefill else ())),
        thread=thread,
        seal=services.form_seal.seal(team_id, user_id, form.key, form.channel, thread),
    )
    state = services.free_busy.form(team_id, user_id, opening)
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=render(state, ws, t))
    except SlackApiError as exc:
        log.warning("views.update failed: %s", exc.response.get("error"))


def invitation_defaults(
    services: Services,
    team_id: str,
    user_id: str,
    state: FormState,
    records: Sequence[Record | None],
    **changes: Any,
) -> FormState:
    """A new form's invitation parts: the language of its record and contacts (else the
    form's own), and the email-only notice when the user has no calendar to add it to;
    with `changes` made in the same copy."""
    return with_changes(
        state,
        invitation_language=form_invitation_language(records, state.language or "en"),
        email_only=offers_connect(
            services.connections.status(team_id, user_id),
            can_connect=services.connections.can_store_secrets,
        ),
        **changes,
    )


def proposed_language(
    state: FormState, prefill: RecordPrefill | None, host_language: str
) -> str | None:
    """The invitation language after a record or a host was picked: the rep's own pick
    stays, else the record's (or its contacts') language, else the host's."""
    if state.language_picked:
        return state.invitation_language
    records = (prefill.record, *prefill.attendees) if prefill is not None else ()
    return form_invitation_language(records, host_language)


def host_language(
    client: WebClient,
    services: Services,
    profiles: ProfileService,
    body: dict[str, Any],
    state: FormState,
    t: Translator,
) -> str:
    """The language of the form's host: the form's own while the user books for
    themselves, else the chosen teammate's (their Slack locale, else the workspace's)."""
    if not state.host or state.host == user_of(body):
        return t.language
    host = profiles.get(client, team_of(body), state.host)
    return language_of_profile(host, services.workspaces.get(team_of(body)))


def _host_chosen(
    client: WebClient, body: dict[str, Any], services: Services, profiles: ProfileService
) -> None:
    """Booking for a teammate: the invitation proposed in their language (fill pool)."""
    state = parse_state(body.get("view") or {})
    if state.language_picked:
        return  # the rep's own pick stays: nothing on the form changes
    t = form_translator(services, body, state)
    language = host_language(client, services, profiles, body, state, t)
    proposed = proposed_language(state, form_record(services, body, state), language)
    if proposed != state.invitation_language:
        _redraw(client, body, with_changes(state, invitation_language=proposed), services)


def open_form_or_apologise(
    client: WebClient,
    services: Services,
    profiles: ProfileService,
    body: dict[str, Any],
    text: str,
    *,
    record_id: int | None = None,
    thread: str | None = None,
    from_message: bool = False,
) -> None:
    """Open the form pre-filled from `text`; when Slack is too slow, say so in the channel
    the request came from (App Home has none: the user just clicks again)."""
    channel = channel_of(body)
    opened = open_meet_modal(
        client,
        services,
        profiles,
        trigger_id=str(body.get("trigger_id") or ""),
        team_id=team_of(body),
        user_id=user_of(body),
        text=text,
        channel_id=channel,
        record_id=record_id,
        thread=thread,
        from_message=from_message,
    )
    if not opened and channel:
        t = cached_translator(services, team_of(body), user_of(body))
        client.chat_postEphemeral(
            channel=channel,
            user=user_of(body),
            text=t.gettext("Slack took too long to open the form. Please run /meet again."),
        )


def render(state: FormState, ws: WorkspaceSettings, t: Translator | None = None) -> dict[str, Any]:
    return meet_form_view(state, ws.offered_types, ws.durations, outcomes=ws.outcomes, t=t)


def form_translator(services: Services, body: dict[str, Any], state: FormState) -> Translator:
    """The language the form was opened in (its metadata), else the user's."""
    if state.language:
        return translator(state.language)
    return cached_translator(services, team_of(body), user_of(body))


def form_record(services: Services, body: dict[str, Any], state: FormState) -> RecordPrefill | None:
    """What the form's record brings, if it is a record of the caller's workspace."""
    record_id = parse_record_value(state.record[0] if state.record else None)
    return record_picked(services.records, team_of(body), record_id)


def _rebuild(client: WebClient, body: dict[str, Any], state: FormState, services: Services) -> None:
    """The form redrawn with `state`, from the fill pool (after the ack)."""
    if (body.get("view") or {}).get("id"):  # else a forged or broken payload: nothing to update
        services.after_ack.fill(_redraw, client, body, state, services)


def _redraw(client: WebClient, body: dict[str, Any], state: FormState, services: Services) -> None:
    view = body["view"]
    ws = services.workspaces.get(team_of(body))
    t = form_translator(services, body, state)
    state = services.free_busy.form(team_of(body), user_of(body), state)
    try:
        client.views_update(
            view_id=view.get("id"), hash=view.get("hash"), view=render(state, ws, t)
        )
    except SlackApiError as exc:
        # hash_conflict means the user changed something meanwhile: their newer view wins.
        log.info("views.update skipped: %s", exc.response.get("error"))


def _record_chosen(
    client: WebClient, body: dict[str, Any], services: Services, profiles: ProfileService
) -> None:
    """The picked record's contacts, its related records offered, and a title (fill pool)."""
    state = parse_state(body.get("view") or {})
    prefill = form_record(services, body, state)
    if prefill is None:
        return
    t = form_translator(services, body, state)
    attendees, suggested = prefill_choices(prefill, t)
    title = state.title or default_title(
        prefill.record, profiles.get(client, team_of(body), user_of(body)), t
    )
    _rebuild(
        client,
        body,
        with_changes(
            state,
            attendees=merged(state.attendees, attendees),
            title=title,
            suggested=suggested,
            notices=(),
            invitation_language=proposed_language(
                state, prefill, host_language(client, services, profiles, body, state, t)
            ),
        ),
        services,
    )


def _expired_errors(
    services: Services, body: dict[str, Any], state: FormState, view: dict[str, Any]
) -> dict[str, str]:
    """A form without its key (opened before a deploy, or forged) cannot be saved."""
    t = form_translator(services, body, state)
    expired = DomainError(t.gettext("This form has expired. Close it and run /meet again."))
    return modal_errors(expired, view, t)


def submitted_form(services: Services, body: dict[str, Any], view: dict[str, Any]) -> FormState:
    """The Save's form. Its metadata is the member's to forge, so its channel and thread
    stay only when this server sealed them for the submitting team, user and form
    (bot.form_seal); else the meeting is booked without the post in a thread."""
    return services.form_seal.trusted(parse_state(view), team_of(body), user_of(body))


def email_only_notice(state: FormState, result: Scheduled, t: Translator) -> list[dict[str, Any]]:
    """The "sent as email invitations" notice with its Connect button, after a booking or
    an edit by someone without a calendar (not again for a repeated Save)."""
    confirmed = result.created or state.meeting_id is not None
    return [calendar_notice_block(t)] if state.email_only and confirmed else []


def _send_confirmation(
    client: WebClient,
    services: Services,
    user_id: str,
    result: Scheduled,
    heading: str,
    t: Translator,
    state: FormState,
    notice: Sequence[dict[str, Any]] = (),
    text: str | None = None,
) -> None:
    """The saved meeting in the caller's DM (with the email-only `notice`, if any), and
    for a form opened from a message, in that message's thread too: there without the
    calendar's notes about the host's other meetings and without Edit/Cancel, as the
    channel (a shared one, maybe with the customer) reads it. The modal already told the
    caller, so a failure only logs. After an edit whose form carried the outcome, the
    host's outcome DMs show it too (else they offer buttons for a recorded outcome)."""
    if state.thread and state.channel and state.meeting_id is None and result.created:
        public = replace(result, warnings=())
        try:
            client.chat_postMessage(
                channel=state.channel,
                thread_ts=state.thread,
                text=confirmation_text(public, t=t),
                blocks=confirmation_blocks(public, heading, t=t, manage=False),
            )
        except SlackApiError as exc:
            log.info("confirmation in the thread failed: %s", exc.response.get("error"))
    text = confirmation_text(result, t=t) if text is None else text  # the ack's, if given
    try:
        client.chat_postMessage(
            channel=user_id,
            text=text,
            blocks=[*confirmation_blocks(result, heading, t=t, text=text), *notice],
        )
    except SlackApiError as exc:
        log.warning("confirmation DM failed: %s", exc.response.get("error"))
    if state.meeting_id is not None and state.outcome is not None:
        show_outcome_in_dms(client, services, result.meeting)


def register(app: App, services: Services, profiles: ProfileService) -> None:
    directory = DirectorySync(services.users, services.clock)

    @app.command("/meet")
    def meet_command(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        text = (body.get("text") or "").strip()
        period_text = report_period_text(text)
        if period_text is not None:
            handle_report_command(
                ack,
                body,
                client,
                services,
                profiles,
                team_id=team_of(body),
                user_id=user_of(body),
                period_text=period_text,
            )
            return
        reply = sub_command_reply(services, body, text)
        if reply is not None:
            ack(response_type="ephemeral", **reply)
            return
        ack()
        directory.maybe_start(client, team_of(body))
        services.after_ack.open(open_form_or_apologise, client, services, profiles, body, text)

    # Bolt tries listeners in the order they are registered, building each one's
    # arguments to match it: the Save comes right after /meet, not nineteenth.
    @app.view(CALLBACK_ID)
    def meet_submission(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        state = submitted_form(services, body, view)
        team_id, user_id = team_of(body), user_of(body)
        if not state.key:
            ack(response_action="errors", errors=_expired_errors(services, body, state, view))
            return
        profile = profiles.get(client, team_id, user_id)
        t = translator_for(profile, services.workspaces.get(team_id))
        request = to_request(
            state,
            team_id=team_id,
            user_id=user_id,
            phone_region=phone_region(profile.locale),
            language=t.language,
        )
        try:
            result = services.save(request, profile, state.meeting_id)
        except DomainError as error:
            ack(response_action="errors", errors=modal_errors(error, view, t))
            return
        heading = saved_heading(edited=state.meeting_id is not None, t=t)
        notice = email_only_notice(state, result, t)
        text = confirmation_text(result, t=t)
        ack(response_action="update", view=message_view(heading, text, t=t, extra=notice))
        if result.created or state.meeting_id is not None:  # after the ack: Slack has its answer
            dm = (client, services, user_id, result, heading, t, state, notice, text)
            services.after_ack.later(_send_confirmation, *dm)

    @app.action("book_on_record")
    def book_on_record(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The timeline's button: the form on that record (re-checked in the workspace)."""
        ack()
        value = str((body.get("actions") or [{}])[0].get("value") or "")
        record_id = parse_record_value(value)
        if record_id is not None:
            services.after_ack.open(
                open_form_or_apologise, client, services, profiles, body, "", record_id=record_id
            )

    @app.shortcut(MESSAGE_SHORTCUT)
    def schedule_from_message(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """A message about a customer: the form read from its text; the confirmation goes
        to the message's thread."""
        ack()
        message = body.get("message") or {}
        message = message if isinstance(message, dict) else {}
        thread = message.get("thread_ts") or message.get("ts")
        text = slack_plain_text(str(message.get("text") or ""))[:MAX_MESSAGE_TEXT]
        services.after_ack.open(
            open_form_or_apologise,
            client,
            services,
            profiles,
            body,
            text,
            thread=str(thread) if thread else None,
            from_message=True,
        )

    @app.options("record_select")
    def record_options(ack: Ack, payload: dict[str, Any], body: dict[str, Any]) -> None:
        found = services.records.search(
            team_of(body), str(payload.get("value") or "")[:200], limit=50
        )
        t = form_translator(services, body, parse_state(body.get("view") or {}))
        ack(options=[record_option(r, t=t) for r in found])

    @app.options("associated_select")
    def associated_options(ack: Ack, payload: dict[str, Any], body: dict[str, Any]) -> None:
        found = services.records.search(
            team_of(body), str(payload.get("value") or "")[:200], limit=50
        )
        t = form_translator(services, body, parse_state(body.get("view") or {}))
        ack(options=[record_option(r, t=t) for r in found])

    @app.options("attendee_select")
    def attendee_options(
        ack: Ack, payload: dict[str, Any], body: dict[str, Any], client: WebClient
    ) -> None:
        query, team_id = str(payload.get("value") or "")[:200], team_of(body)
        directory.maybe_start(client, team_id)
        contacts = services.records.search(team_id, query, kinds=[RecordKind.CONTACT], limit=40)
        teammates = services.users.search(team_id, query, limit=20)
        t = form_translator(services, body, parse_state(body.get("view") or {}))
        ack(option_groups=attendee_option_groups(contacts, teammates, t))

    @app.action("record_select")
    def record_chosen(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        services.after_ack.fill(_record_chosen, client, body, services, profiles)

    @app.action("more_options")
    def more_options(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Show the host, notes and associations, with the record's related ones offered."""
        ack()
        state = parse_state(body.get("view") or {})
        prefill = form_record(services, body, state)
        _, suggested = prefill_choices(prefill, form_translator(services, body, state))
        _rebuild(client, body, with_changes(state, advanced=True, suggested=suggested), services)

    @app.action("host_select")
    def host_chosen(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        services.after_ack.fill(_host_chosen, client, body, services, profiles)

    @app.action("duration_select")
    @app.action("date_pick")
    @app.action("time_pick")
    @app.action("location_kind_select")
    def form_shape_changed(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        _rebuild(client, body, parse_state(body.get("view") or {}), services)

    @app.action(INVITATION_LANGUAGE_ACTION)
    def invitation_language_picked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        picked = picked_language(body)
        if picked is not None:
            state = parse_state(body.get("view") or {})
            chosen = with_changes(state, invitation_language=picked, language_picked=True)
            _rebuild(client, body, chosen, services)

    @app.action(re.compile(r"^use_slot_\d+$"))
    def use_slot(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """A suggested free time: set it (new block ids, or Slack keeps the old value)."""
        ack()
        state = parse_state(body.get("view") or {})
        value = str((body.get("actions") or [{}])[0].get("value") or "")
        try:
            picked = datetime.strptime(value, "%Y-%m-%dT%H:%M")
        except ValueError:
            return
        _rebuild(
            client,
            body,
            with_changes(
                state,
                day=picked.date(),
                time=picked.strftime("%H:%M"),
                when_revision=state.when_revision + 1,
                reading=None,  # the time is no longer the one read from the text
            ),
            services,
        )

    @app.action("add_reminder")
    def add_reminder(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        state = parse_state(body.get("view") or {})
        _rebuild(client, body, state.with_reminder_added(), services)

    @app.action(re.compile(r"^rem_remove_\d+$"))
    def remove_reminder(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        state = parse_state(body.get("view") or {})
        slot = str((body.get("actions") or [{}])[0].get("value") or "")
        if slot.isdigit():
            _rebuild(client, body, state.with_reminder_removed(int(slot)), services)

    @app.action(re.compile(r"^rem_(amount|unit)_\d+$"))
    def reminder_changed(ack: Ack) -> None:
        """A reminder line's select: Slack keeps the choice in the view's state until Save."""
        ack()
