"""What a connector created remotely for a leg (`crm_links`), so retries and redeliveries update
the same remote record instead of creating another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, select

from cdrhub.crm.tables import links
from cdrhub.store.engine import write_transaction


@dataclass(frozen=True, slots=True)
class Link:
    remote_id: str
    remote_contact_id: str | None
    content_hash: str | None


def get_link(engine: Engine, connector: str, ivruniqueid: str) -> Link | None:
    with engine.connect() as conn:
        query = select(links.c.remote_id, links.c.remote_contact_id, links.c.content_hash).where(
            links.c.connector == connector, links.c.ivruniqueid == ivruniqueid
        )
        row = conn.execute(query).tuples().first()
    return Link(*row) if row else None


def save_link(
    engine: Engine,
    connector: str,
    ivruniqueid: str,
    remote_id: str,
    *,
    now: datetime,
    remote_contact_id: str | None = None,
    content_hash: str | None = None,
) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            delete(links).where(links.c.connector == connector, links.c.ivruniqueid == ivruniqueid)
        )
        conn.execute(
            links.insert().values(
                connector=connector,
                ivruniqueid=ivruniqueid,
                remote_id=str(remote_id),
                remote_contact_id=remote_contact_id,
                content_hash=content_hash,
                updated_at=now,
            )
        )
