"""Settings: defaults, TOML file, environment over file, and clear errors."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from cdrhub.config import ConfigError, load_settings


def test_defaults() -> None:
    s = load_settings(env={"HOME": "/home/agent"})
    assert s.database_url == "sqlite:////home/agent/.local/share/cdrhub/cdrhub.db"
    assert (s.timezone, s.time_mode, s.default_region) == ("Asia/Jerusalem", "local", "IL")
    assert s.ingest_token is None and s.api_key is None and s.ingest_allow == ()
    assert s.max_body_bytes == 1048576 and s.run_worker is True


def test_the_default_database_is_in_the_users_data_folder_whatever_the_current_one() -> None:
    xdg = {"HOME": "/home/agent", "XDG_DATA_HOME": "/srv/data"}
    assert load_settings(env=xdg).database_url == "sqlite:////srv/data/cdrhub/cdrhub.db"
    relative = {"HOME": "/home/agent", "XDG_DATA_HOME": "data"}  # not absolute: ignored (XDG)
    assert load_settings(env=relative).database_url == (
        "sqlite:////home/agent/.local/share/cdrhub/cdrhub.db"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://cdrhub:hunter2-secret@db/cdrhub",
            "database_url: 'mysql' databases are not supported; use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
        ),
        (
            "cdrhub.db",
            "database_url: a URL without a scheme is not supported; use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
        ),
        (
            "postgresql+psycopg2://cdrhub:hunter2-secret@db/cdrhub",
            "database_url: 'postgresql+psycopg2' is not supported; use postgresql:// "
            "(cdrhub uses psycopg 3)",
        ),
    ],
)
def test_an_unsupported_database_url_is_one_line_without_its_password(
    url: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"CDRHUB_DATABASE_URL": url})
    assert str(caught.value) == message


def test_environment_wins_over_file(tmp_path: Path) -> None:
    path = tmp_path / "cdrhub.toml"
    path.write_text(
        'database_url = "sqlite:///file.db"\ningest_token = "from-file-0123456789"\n'
        'ingest_allow = ["10.0.0.0/8"]\nrun_worker = false\n[analytics]\nservice_level_seconds = 30\n'
    )
    s = load_settings(env={"CDRHUB_CONFIG": str(path), "CDRHUB_INGEST_TOKEN": "from-env-0123456789",
                           "CDRHUB_TIME_MODE": "utc", "CDRHUB_MAX_BODY_BYTES": "2048"})  # fmt: skip
    assert s.database_url == "sqlite:///file.db"
    assert s.ingest_token == "from-env-0123456789"
    assert s.ingest_allow == (ipaddress.ip_network("10.0.0.0/8"),)
    assert s.run_worker is False and s.time_mode == "utc" and s.max_body_bytes == 2048
    assert s.section("analytics") == {"service_level_seconds": 30}
    assert s.section("missing") == {}


def test_storage_deadlines() -> None:
    s = load_settings(env={})
    assert (s.ack_deadline_seconds, s.db_timeout_seconds, s.ready_timeout_seconds) == (5, 5, 2)
    env = {"CDRHUB_ACK_DEADLINE_SECONDS": "2.5", "CDRHUB_DB_TIMEOUT_SECONDS": "3"}
    s = load_settings(env=env)
    assert (s.ack_deadline_seconds, s.db_timeout_seconds) == (2.5, 3.0)


def test_allow_list_from_env() -> None:
    s = load_settings(env={"CDRHUB_INGEST_ALLOW": "203.0.113.0/24, 198.51.100.7"})
    assert s.ingest_allow == (
        ipaddress.ip_network("203.0.113.0/24"),
        ipaddress.ip_network("198.51.100.7/32"),
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CDRHUB_TIME_MODE": "martian"}, "time_mode must be one of"),
        ({"CDRHUB_TIMEZONE": "Mars/Olympus"}, "unknown time zone"),
        ({"CDRHUB_INGEST_ALLOW": "300.1.1.1"}, "CDRHUB_INGEST_ALLOW"),
        ({"CDRHUB_MAX_BODY_BYTES": "lots"}, "max_body_bytes must be an integer"),
        ({"CDRHUB_RUN_WORKER": "perhaps"}, "not a boolean"),
        ({"CDRHUB_CONFIG": "/nonexistent/cdrhub.toml"}, "cannot read"),
        ({"CDRHUB_ACK_DEADLINE_SECONDS": "soon"}, "ack_deadline_seconds must be a number"),
        ({"CDRHUB_DB_TIMEOUT_SECONDS": "0"}, "db_timeout_seconds must be more than 0"),
        ({"CDRHUB_READY_TIMEOUT_SECONDS": "nan"}, "ready_timeout_seconds must be more than 0"),
        ({"CDRHUB_ACK_DEADLINE_SECONDS": "86400"}, "at most 3600 seconds"),
    ],
)
def test_bad_settings_are_explained(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env)


def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('database_url = "x"\nthis is not toml\n')
    with pytest.raises(ConfigError, match="line 2"):
        load_settings(env={"CDRHUB_CONFIG": str(path)})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"CDRHUB_INGEST_TOKEN": "fifteen-chars.."},
            "ingest_token (CDRHUB_INGEST_TOKEN) must be at least 16 characters long",
        ),
        (
            {"CDRHUB_API_KEY": "short-api-key"},
            "api_key (CDRHUB_API_KEY) must be at least 16 characters long",
        ),
    ],
)
def test_short_secrets_are_refused_without_showing_them(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env=env)
    assert str(caught.value) == message
    assert next(iter(env.values())) not in str(caught.value)
    ok = {k: "sixteen-chars..." for k in env}  # exactly the minimum is accepted
    assert load_settings(env=ok)


def test_short_embed_secret_is_refused() -> None:
    from cdrhub.crm.settings import load_crm_settings

    with pytest.raises(ConfigError) as caught:
        load_crm_settings(load_settings(env={}), env={"CDRHUB_EMBED_SECRET": "tiny-secret"})
    assert str(caught.value) == (
        "[crm.embed] secret (CDRHUB_EMBED_SECRET) must be at least 16 characters long"
    )
    crm = load_crm_settings(load_settings(env={}), env={"CDRHUB_EMBED_SECRET": "x" * 16})
    assert crm.embed.secret == "x" * 16


def test_masked_database_url() -> None:
    from cdrhub.store.engine import masked_url

    assert masked_url("postgresql://cdr:hunter2-pw@db:5432/cdrhub") == (
        "postgresql://cdr:***@db:5432/cdrhub"
    )
    assert masked_url("postgres://cdr@db/cdrhub?password=hunter2-pw&sslmode=require") == (
        "postgres://cdr@db/cdrhub?password=[redacted]&sslmode=require"
    )
    assert masked_url("sqlite:///./cdrhub.db") == "sqlite:///./cdrhub.db"
    assert masked_url("postgresql://cdr:hunter2-pw@db:port/x") == "postgresql://***@db:port/x"
