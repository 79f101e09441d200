"""make_engine's settings of a PostgreSQL connection."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cdrhub.store.engine import make_engine


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgresql_plans_each_execution_for_its_parameters(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        for _ in range(2):  # a new connection, and one back from the pool
            with engine.connect() as conn:
                mode = conn.execute(text("SHOW plan_cache_mode")).scalar_one()
                assert mode == "force_custom_plan"
                conn.execute(text("SELECT 1"))
                conn.commit()
    finally:
        engine.dispose()
