"""Which workspaces Meetline is installed in (multi-workspace mode), for the command line."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError


def installed_teams(engine: Engine, client_id: str) -> list[str]:
    """Team ids with a bot installed for this Slack app (enterprise-wide installs, which
    have no team id, are left out: their records need an explicit `--team`)."""
    bots = SQLAlchemyInstallationStore.build_bots_table(
        MetaData(), SQLAlchemyInstallationStore.default_bots_table_name
    )
    query = (
        select(bots.c.team_id)
        .distinct()
        .where(bots.c.client_id == client_id, bots.c.team_id.is_not(None))
        .order_by(bots.c.team_id)
    )
    try:
        with engine.connect() as conn:
            return [str(team) for team in conn.execute(query).scalars() if team]
    except DBAPIError:  # no install yet: Bolt creates its tables on the first `serve`
        return []
