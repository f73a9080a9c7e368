"""Every job kind the use cases can queue has a handler in the composed worker: a kind
without one would sit in the queue, retried until it fails, and its effect never happen."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from bot.wiring import build_services, build_worker
from handlers.jobs import ATTENDEE_KINDS, CALENDAR_KINDS, TIMED_KINDS, JobKind


def test_every_job_kind_has_a_handler(tmp_path: Path) -> None:
    services = build_services(Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'kinds.db'}"))
    try:
        assert build_worker(services).kinds == set(JobKind)
    finally:
        services.engine.dispose()


def test_stored_kind_values_never_change() -> None:
    """Queued rows hold these strings; renaming one strands every job already queued."""
    assert {k.value for k in JobKind} == {
        "send_invitation",
        "send_reminder",
        "send_reminder_email",
        "mention_dm",
        "outcome_prompt",
        "outcome_nudge",
        "outcome_digest",
        "calendar_create",
        "calendar_update",
        "calendar_cancel",
        "calendar_sync",
        "crm_sync",
        "crm_log",
    }
    assert set(CALENDAR_KINDS) | set(TIMED_KINDS) <= set(JobKind)
    assert set(TIMED_KINDS) <= set(ATTENDEE_KINDS)
