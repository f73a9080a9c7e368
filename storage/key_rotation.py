"""`meetline rotate-keys`: re-encrypt every stored secret with the first key of SECRET_KEY.

Rotation is: put the new key in front (`SECRET_KEY=new,old`), run this, then drop the old
key. Everything is read and rewritten in one transaction, so a value that no key can
decrypt stops the run with nothing changed, rather than leaving a mix that only the old
key can read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, MetaData, Table, inspect, select, update
from sqlalchemy.orm import sessionmaker

import storage.calendar_models  # noqa: F401  (registers the calendar tables on Base.metadata)
import storage.crm_connections  # noqa: F401  (registers crm_connections on Base.metadata)
from storage.crypto import SecretBox, SecretBoxError
from storage.db import write_session
from storage.models import Base

# (table, primary key columns, encrypted columns): every column SecretBox writes.
ENCRYPTED_COLUMNS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("calendar_connections", ("id",), ("credentials",)),
    ("calendar_oauth_flows", ("state",), ("flow",)),
    ("calendar_pending_connections", ("id",), ("credentials",)),
    # slack_sdk's installation store, encrypted by storage.slack_stores
    (
        "slack_installations",
        ("id",),
        ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    ),
    ("slack_bots", ("id",), ("bot_token", "bot_refresh_token")),
    ("crm_connections", ("team_id",), ("token",)),
)


class RotationError(Exception):
    """A stored value could not be decrypted with any key; nothing was changed."""


@dataclass(frozen=True)
class Rotated:
    values: int
    tables: dict[str, int]


def rotate_secrets(engine: Engine, box: SecretBox) -> Rotated:
    present = set(inspect(engine).get_table_names())
    metadata = MetaData()
    counts: dict[str, int] = {}
    sessions = sessionmaker(engine)
    with write_session(sessions) as session:
        for name, keys, columns in ENCRYPTED_COLUMNS:
            if name not in present:
                continue
            table = Base.metadata.tables.get(name)
            if table is None:
                table = Table(name, metadata, autoload_with=session.connection())
            counts[name] = 0
            rows = session.execute(
                select(*(table.c[k] for k in keys), *(table.c[c] for c in columns))
            ).all()
            for row in rows:
                changes: dict[str, str | None] = {}
                for column in columns:
                    value = row._mapping[table.c[column]]
                    if not value:
                        continue
                    try:
                        changes[column] = box.rotate(value)
                    except SecretBoxError:
                        ident = f" (id {row._mapping[table.c['id']]})" if "id" in keys else ""
                        raise RotationError(
                            f"{name}.{column}{ident} cannot be decrypted with any key in "
                            "SECRET_KEY; nothing was changed"
                        ) from None
                if changes:
                    condition = [table.c[k] == row._mapping[table.c[k]] for k in keys]
                    session.execute(update(table).where(*condition).values(**changes))
                    counts[name] += len(changes)
    return Rotated(sum(counts.values()), counts)
