"""slack_sdk's SQLAlchemy installation store, with tokens encrypted at rest.

slack_sdk stores tokens in plain text; we encrypt on the way in and decrypt in the
entity builders so Bolt's authorize sees ordinary tokens.
"""

from __future__ import annotations

import copy
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy.engine import Engine

from storage.crypto import SecretBox

_INSTALLATION_TOKENS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
_BOT_TOKENS = ("bot_token", "bot_refresh_token")


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    def __init__(self, client_id: str, engine: Engine, box: SecretBox) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self._box = box

    def _encrypted(self, entity: Any, fields: tuple[str, ...]) -> Any:
        clone = copy.copy(entity)
        for name in fields:
            setattr(clone, name, self._box.encrypt(getattr(clone, name, None)))
        return clone

    def _decrypted(self, entity: Any, fields: tuple[str, ...]) -> Any:
        for name in fields:
            setattr(entity, name, self._box.decrypt(getattr(entity, name, None)))
        return entity

    def save(self, installation: Installation) -> None:
        super().save(self._encrypted(installation, _INSTALLATION_TOKENS))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self._encrypted(bot, _BOT_TOKENS))

    def build_installation_entity(self, row: Any) -> Installation:  # type: ignore[override]
        entity = SQLAlchemyInstallationStore.build_installation_entity(row)
        return self._decrypted(entity, _INSTALLATION_TOKENS)  # type: ignore[no-any-return]

    def build_bot_entity(self, row: Any) -> Bot:  # type: ignore[override]
        entity = SQLAlchemyInstallationStore.build_bot_entity(row)
        return self._decrypted(entity, _BOT_TOKENS)  # type: ignore[no-any-return]
