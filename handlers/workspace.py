"""Workspace settings: what admins choose for their whole team."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import time
from typing import Any, Protocol

from handlers.meetings import DEFAULT_OUTCOMES, MAX_REMINDERS, ReminderUnit

DEFAULT_DURATIONS = (15, 30, 45, 60, 90, 120)


@dataclass(frozen=True)
class WorkspaceSettings:
    custom_types_enabled: bool = False
    meeting_types: tuple[str, ...] = ()
    default_reminders: tuple[tuple[int, str], ...] = ()  # (amount, unit)
    custom_outcomes: tuple[str, ...] = ()
    durations: tuple[int, ...] = DEFAULT_DURATIONS
    working_hours: tuple[str, str] = ("09:00", "17:00")
    default_timezone: str = "UTC"
    default_language: str = "en"
    video_default_on: bool = False
    is_sandbox: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outcomes(self) -> tuple[str, ...]:
        return (*DEFAULT_OUTCOMES, *(o for o in self.custom_outcomes if o not in DEFAULT_OUTCOMES))

    @property
    def offered_types(self) -> tuple[str, ...]:
        return self.meeting_types if self.custom_types_enabled else ()

    @property
    def work_start(self) -> time:
        return time.fromisoformat(self.working_hours[0])

    @property
    def work_end(self) -> time:
        return time.fromisoformat(self.working_hours[1])

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("is_sandbox")
        data.pop("default_timezone")
        data.pop("default_language")
        return data

    @staticmethod
    def from_json(data: dict[str, Any] | None, *, is_sandbox: bool = False, default_timezone: str = "UTC",
                  default_language: str = "en") -> WorkspaceSettings:
        """Tolerant of settings written by older versions: unknown or bad parts fall back."""
        data = data or {}
        base = WorkspaceSettings()

        def tup(key: str, kind: type, default: tuple[Any, ...]) -> tuple[Any, ...]:
            value = data.get(key)
            if not isinstance(value, list):
                return default
            return tuple(v for v in value if isinstance(v, kind))

        reminders = []
        for item in data.get("default_reminders") or []:
            if (isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], int) and item[0] > 0
                    and item[1] in {u.value for u in ReminderUnit}):
                reminders.append((item[0], item[1]))
        hours = data.get("working_hours")
        working = (tuple(hours) if isinstance(hours, list | tuple) and len(hours) == 2 else base.working_hours)
        return WorkspaceSettings(
            custom_types_enabled=bool(data.get("custom_types_enabled", False)),
            meeting_types=tup("meeting_types", str, ()),
            default_reminders=tuple(reminders[:MAX_REMINDERS]),
            custom_outcomes=tup("custom_outcomes", str, ()),
            durations=tup("durations", int, DEFAULT_DURATIONS) or DEFAULT_DURATIONS,
            working_hours=(str(working[0]), str(working[1])),
            default_timezone=default_timezone,
            default_language=default_language,
            video_default_on=bool(data.get("video_default_on", False)),
            is_sandbox=is_sandbox,
        )


class WorkspaceRepository(Protocol):
    def get(self, team_id: str) -> WorkspaceSettings: ...

    def save(self, team_id: str, settings: WorkspaceSettings) -> None: ...
