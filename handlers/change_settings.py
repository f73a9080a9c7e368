"""Use case: an admin changes their workspace's settings."""

from __future__ import annotations

from handlers.domain import UserProfile
from handlers.errors import NotAllowed, Reason
from handlers.i18n import Translator
from handlers.policy import can_change_settings
from handlers.ports import UnitOfWorkFactory
from handlers.workspace import SettingsChange, WorkspaceSettings, changed_settings


class ChangeSettings:
    """Read the settings, apply the change and save them in one unit of work (one commit):
    two admins saving at once each change the settings the other saved, never a mix."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(
        self, actor: UserProfile, change: SettingsChange, t: Translator | None = None
    ) -> WorkspaceSettings:
        """Raises NotAllowed for anyone but an admin of that workspace, ValidationFailed for
        a change the rules refuse; saved before returning, so the next /meet sees it."""
        if not can_change_settings(actor, actor.team_id):
            raise NotAllowed(Reason.CHANGE_SETTINGS)
        with self._uow() as uow:
            settings = changed_settings(uow.workspaces.get(actor.team_id), change, t)
            uow.workspaces.save(actor.team_id, settings)
            uow.commit()
        return settings
