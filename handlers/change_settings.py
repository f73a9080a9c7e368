"""Use case: an admin changes their workspace's settings."""

from __future__ import annotations

from handlers.domain import UserProfile
from handlers.errors import NotAllowed, Reason
from handlers.i18n import Translator
from handlers.policy import can_change_settings
from handlers.workspace import (
    SettingsChange,
    WorkspaceRepository,
    WorkspaceSettings,
    changed_settings,
)


class ChangeSettings:
    def __init__(self, workspaces: WorkspaceRepository) -> None:
        self._workspaces = workspaces

    def __call__(self, actor: UserProfile, change: SettingsChange, t: Translator | None = None) -> WorkspaceSettings:
        """Raises NotAllowed for anyone but an admin of that workspace, ValidationFailed for
        a change the rules refuse; saved before returning, so the next /meet sees it."""
        if not can_change_settings(actor, actor.team_id):
            raise NotAllowed(Reason.CHANGE_SETTINGS)
        settings = changed_settings(self._workspaces.get(actor.team_id), change, t)
        self._workspaces.save(actor.team_id, settings)
        return settings
