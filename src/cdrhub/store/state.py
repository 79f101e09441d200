"""Facts the service keeps for itself, such as the tokens it generated on first start."""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, select

from cdrhub.store.engine import write_transaction
from cdrhub.store.schema import app_state


def get_or_create_secret(engine: Engine, key: str) -> str:
    """Return the secret stored under `key`, generating and keeping one the first time."""
    with write_transaction(engine) as conn:
        value = conn.execute(select(app_state.c.value).where(app_state.c.key == key)).scalar()
        if value is None:
            value = secrets.token_urlsafe(24)
            conn.execute(app_state.insert().values(key=key, value=value))
        return value
