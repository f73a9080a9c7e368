"""Workspace settings rules (handlers.workspace): who may change them, what is allowed,
and the working day the free/busy check reads."""

from __future__ import annotations

from datetime import time

import pytest

from bot.views.settings_form import read_reminder
from handlers.change_settings import ChangeSettings
from handlers.domain import UserProfile
from handlers.errors import Field, NotAllowed, Reason, ValidationFailed
from handlers.meetings import ReminderUnit
from handlers.workspace import (
    ReminderLine,
    SettingsChange,
    WorkspaceSettings,
    changed_settings,
)
from tests.fakes import InMemoryUnitOfWorkFactory


def workspace_in_polish() -> InMemoryUnitOfWorkFactory:
    uow = InMemoryUnitOfWorkFactory()
    uow.workspaces.save("T1", WorkspaceSettings(default_language="pl"))
    return uow


ADMIN = UserProfile(team_id="T1", slack_user_id="UADM", is_admin=True)
CHANGE = SettingsChange(
    durations=(45, 30, 30),
    types=("Demo", " Demo ", ""),
    outcomes=("demo given",),
    reminders=(ReminderLine(1, ReminderUnit.DAYS, "1 day"),),
    timezone=" Europe/Warsaw ",
)


def test_an_admin_changes_the_settings_of_their_workspace() -> None:
    uow = workspace_in_polish()
    saved = ChangeSettings(uow)(ADMIN, CHANGE)
    assert uow.store.workspaces == {"T1": saved} and uow.commits == 1
    assert saved.durations == (30, 45) and saved.meeting_types == ("Demo",)
    assert saved.custom_outcomes == ("DEMO_GIVEN",) and saved.default_reminders == ((1, "days"),)
    assert (
        saved.default_timezone == "Europe/Warsaw" and saved.default_language == "pl"
    )  # kept when not chosen
    assert saved.working_hours == ("09:00", "17:00")


@pytest.mark.parametrize(
    "who",
    [
        UserProfile(team_id="T1", slack_user_id="UMEM"),
        UserProfile(team_id="T1", slack_user_id="UMGR", is_manager=True),
    ],
)
def test_only_admins_change_settings(who: UserProfile) -> None:
    uow = workspace_in_polish()
    with pytest.raises(NotAllowed) as refused:
        ChangeSettings(uow)(who, CHANGE)
    assert refused.value.reason is Reason.CHANGE_SETTINGS and uow.commits == 0


def test_every_broken_rule_is_named_at_once() -> None:
    change = SettingsChange(
        durations=(30, None),
        reminders=(ReminderLine(1, None, "1 fortnight"),),
        timezone="Mars/Olympus",
        work_start="18:00",
        work_end="17:00",
    )
    with pytest.raises(ValidationFailed) as refused:
        changed_settings(WorkspaceSettings(), change)
    assert set(refused.value.errors) == {
        Field.DURATIONS,
        Field.DEFAULT_REMINDERS,
        Field.TIMEZONE,
        Field.WORK_END,
    }
    assert "1 fortnight" in refused.value.errors[Field.DEFAULT_REMINDERS]


def test_limits_on_durations_and_reminders() -> None:
    for durations in ((), (4,), (721,)):
        with pytest.raises(ValidationFailed) as refused:
            changed_settings(WorkspaceSettings(), SettingsChange(durations=durations))
        assert set(refused.value.errors) == {Field.DURATIONS}
    four = tuple(ReminderLine(n, ReminderUnit.HOURS, f"{n} hours") for n in range(1, 5))
    with pytest.raises(ValidationFailed) as refused:
        changed_settings(WorkspaceSettings(), SettingsChange(durations=(30,), reminders=four))
    assert refused.value.errors == {Field.DEFAULT_REMINDERS: "At most 3 default reminders."}


def test_reminder_lines_are_read_in_both_languages() -> None:
    assert read_reminder("2 godziny przed") == ReminderLine(
        2, ReminderUnit.HOURS, "2 godziny przed"
    )
    assert read_reminder("1 week before") == ReminderLine(1, ReminderUnit.WEEKS, "1 week before")
    assert read_reminder("soon") == ReminderLine(None, None, "soon")


def test_unreadable_stored_hours_read_as_the_default_day() -> None:
    assert WorkspaceSettings(working_hours=("08:30", "16:00")).work_day == (time(8, 30), time(16))
    assert WorkspaceSettings(working_hours=("late", "never")).work_day == (time(9), time(17))
