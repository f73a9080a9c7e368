"""Workspace settings stored as JSON on the workspaces row."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from handlers.workspace import WorkspaceSettings
from storage.db import Sessions, write_session
from storage.models import WorkspaceModel
from storage.read_cache import ReadCache, forget


class SqlWorkspaceRepository:
    def __init__(
        self, sessions: Sessions, cache: ReadCache[str, WorkspaceSettings] | None = None
    ) -> None:
        self._sessions = sessions
        self._cache = cache

    def get(self, team_id: str) -> WorkspaceSettings:
        if self._cache is None:
            return self._read(team_id)
        return self._cache.get(team_id, lambda: self._read(team_id))

    def _read(self, team_id: str) -> WorkspaceSettings:
        with self._sessions() as session:
            row = session.get(WorkspaceModel, team_id)
            if row is None:
                return WorkspaceSettings()
            return WorkspaceSettings.from_json(
                row.settings,
                is_sandbox=row.is_sandbox,
                default_timezone=row.default_timezone,
                default_language=row.default_language,
            )

    def save(self, team_id: str, settings: WorkspaceSettings) -> None:
        for _ in range(2):  # two first saves at once: the loser updates the winner's row
            try:
                with write_session(self._sessions) as session:
                    row = session.get(WorkspaceModel, team_id)
                    if row is None:
                        row = WorkspaceModel(team_id=team_id)
                        session.add(row)
                    row.settings = settings.to_json()
                    row.is_sandbox = settings.is_sandbox
                    row.default_timezone = settings.default_timezone
                    row.default_language = settings.default_language
                forget(self._sessions, self._cache, team_id)
                return
            except IntegrityError:
                continue
