"""Bring a database's schema up to date with Alembic, on SQLite or PostgreSQL.

Domains add their tables as their own migration branches off the core revision, so `upgrade`
goes to every head. On PostgreSQL an advisory lock keeps replicas that start together from
migrating at the same time.

A database already at every head (the usual start) is told apart without Alembic: the heads
are read from the migration files' `revision` and `down_revision` lines and compared with the
`alembic_version` rows. Alembic itself, a tenth of a second of CPU to import, runs only when
they differ or when a migration file is not written in the plain form read here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_KEY = 0x636472687562  # "cdrhub"
# `name = value` or `name: type = value` at the start of a line, as Alembic's templates write
_ASSIGNED = re.compile(
    r"^(revision|down_revision|depends_on)[ \t]*(?::[^=\n]*)?=[ \t]*(.*?)[ \t]*$", re.M
)


def alembic_config(location: Path = MIGRATIONS) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    return cfg


def _parents(value: object) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def script_heads(location: Path = MIGRATIONS) -> frozenset[str] | None:
    """The head revisions of the migration files in `location`/versions (those no other
    revision names as its down_revision), or None when a file does not state its revision
    and down_revision once each as literals, or states a `depends_on` (then Alembic decides)."""
    parents: dict[str, tuple[str, ...]] = {}
    for path in (location / "versions").glob("*.py"):
        if path.name.startswith((".#", "__init__")):  # the files Alembic passes over
            continue
        found: dict[str, list[str]] = {}
        for name, value in _ASSIGNED.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(value)
        if len(found.get("revision", ())) != 1 or len(found.get("down_revision", ())) != 1:
            return None
        try:
            revision = ast.literal_eval(found["revision"][0])
            down = _parents(ast.literal_eval(found["down_revision"][0]))
            depends = [ast.literal_eval(v) for v in found.get("depends_on", [])]
        except (ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or down is None or revision in parents:
            return None
        if any(d is not None for d in depends):
            return None
        parents[revision] = down
    named = {p for ps in parents.values() for p in ps}
    return frozenset(parents) - named if parents else None


def database_heads(conn: Connection) -> frozenset[str]:
    """The revisions the database is at (`alembic_version`); none for a new database."""
    if not conn.dialect.has_table(conn, "alembic_version"):
        return frozenset()
    return frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def upgrade(engine: Engine, location: Path = MIGRATIONS) -> bool:
    """Migrate the database to every head of the migrations in `location`; whether Alembic
    ran (False: the database was at every head already)."""
    heads = script_heads(location)
    with engine.connect() as conn:
        if heads is not None and database_heads(conn) == heads:
            return False
        conn.rollback()
        _alembic_upgrade(conn, location)
    return True


def _alembic_upgrade(conn: Connection, location: Path) -> None:
    from alembic import command

    cfg = alembic_config(location)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
        conn.commit()
    try:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
        conn.commit()
    finally:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
            conn.commit()
