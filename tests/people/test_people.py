"""Users, passwords, sessions, sign-in limits, the set-up token and the audit log, on both
engines."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update

from cdrhub.people import audit, sessions, setup, signin, users
from cdrhub.people.passwords import WeakPassword, verify_password
from cdrhub.people.roles import Scope, UnknownRole
from cdrhub.people.tables import sessions as sessions_table
from cdrhub.people.tables import users as users_table
from cdrhub.store.engine import write_transaction
from tests.schemadiff import differences

PASSWORD = "correct horse battery"


def _add(
    engine: Engine, email: str = "Dana@Example.com", role: str = "manager", **kw: object
) -> users.User:
    with write_transaction(engine) as conn:
        return users.add(conn, email, role, PASSWORD, actor="cli", **kw)  # type: ignore[arg-type]


def test_tables_match_the_migration(engine: Engine) -> None:
    names = {"users", "user_sessions", "login_failures", "audit_log"}
    assert differences(engine, names) == []


def test_add_keeps_the_address_lower_cased_and_the_password_hashed(engine: Engine) -> None:
    user = _add(engine, queues=["sales"], agent_code="12", extension="201")
    assert (user.email, user.role, user.agent_code, user.extension) == (
        "dana@example.com",
        "manager",
        "12",
        "201",
    )
    assert user.scope == Scope(queues=frozenset({"sales"}), departments=None)
    with engine.connect() as conn:
        stored = conn.execute(select(users_table.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD) is True
    assert verify_password(stored, PASSWORD + "x") is False


def test_add_refuses_a_second_user_of_one_address_a_bad_role_and_a_short_password(
    engine: Engine,
) -> None:
    _add(engine)
    with pytest.raises(users.UserError, match=r"^a user dana@example.com exists already$"):
        _add(engine, "DANA@example.com")
    with pytest.raises(
        UnknownRole, match=r"^unknown role 'boss': use one of admin, manager, agent$"
    ):
        _add(engine, "x@example.com", role="boss")
    with write_transaction(engine) as conn, pytest.raises(WeakPassword):
        users.add(conn, "y@example.com", "agent", "short", actor="cli")
    with pytest.raises(users.UserError, match=r"^not an e-mail address: 'nobody'$"):
        _add(engine, "nobody")


def test_scope_covers_its_queues_and_departments() -> None:
    scope = Scope.of(["sales"], ["north"])
    assert scope.covers("sales", None) is True
    assert scope.covers("support", "north") is True
    assert scope.covers("support", "south") is False
    assert scope.covers(None, None) is False
    assert Scope.of(None, None).covers(None, None) is True


def test_sign_in_opens_a_session_that_sign_out_ends(engine: Engine) -> None:
    _add(engine)
    with write_transaction(engine) as conn:
        done = signin.sign_in(conn, " DANA@example.com ", PASSWORD, "10.0.0.1")
    assert done is not None and done.user.email == "dana@example.com"
    with write_transaction(engine) as conn:
        live = sessions.resolve(conn, done.token)
        assert live is not None and live.user.email == "dana@example.com"
        assert sessions.csrf_matches(live, live.csrf) is True
        assert sessions.csrf_matches(live, "forged") is False
        # the cookie's token is not what the database keeps
        kept = conn.execute(select(sessions_table.c.id)).scalar_one()
        assert kept != done.token and kept == sessions.session_id(done.token)
        sessions.end(conn, done.token)
        assert sessions.resolve(conn, done.token) is None


def test_a_wrong_password_or_address_opens_nothing(engine: Engine) -> None:
    _add(engine)
    with write_transaction(engine) as conn:
        assert signin.sign_in(conn, "dana@example.com", "wrong password!", "10.0.0.1") is None
        assert signin.sign_in(conn, "who@example.com", PASSWORD, "10.0.0.1") is None


def test_sign_in_is_refused_after_five_failures_for_an_address(engine: Engine) -> None:
    _add(engine)
    for n in range(5):
        with write_transaction(engine) as conn:
            assert (
                signin.sign_in(conn, "dana@example.com", f"wrong-{n}-password", f"10.0.0.{n}")
                is None
            )
    with write_transaction(engine) as conn, pytest.raises(signin.TooManyAttempts):
        # the right password too, until the window has passed
        signin.sign_in(conn, "dana@example.com", PASSWORD, "10.0.0.9")


def test_sign_in_is_refused_after_thirty_failures_from_a_client(engine: Engine) -> None:
    for n in range(30):
        with write_transaction(engine) as conn:
            assert (
                signin.sign_in(conn, f"u{n}@example.com", "whatever-password", "10.9.9.9") is None
            )
    _add(engine)
    with write_transaction(engine) as conn, pytest.raises(signin.TooManyAttempts):
        signin.sign_in(conn, "dana@example.com", PASSWORD, "10.9.9.9")
    with write_transaction(engine) as conn:
        assert signin.sign_in(conn, "dana@example.com", PASSWORD, "10.1.1.1") is not None


def test_a_password_change_ends_every_other_session(engine: Engine) -> None:
    _add(engine)
    with write_transaction(engine) as conn:
        one = signin.sign_in(conn, "dana@example.com", PASSWORD, "c")
        two = signin.sign_in(conn, "dana@example.com", PASSWORD, "c")
    assert one is not None and two is not None
    with write_transaction(engine) as conn:
        users.set_password(
            conn,
            "dana@example.com",
            "a new long password",
            actor="dana@example.com",
            keep_session=sessions.session_id(two.token),
        )
    with write_transaction(engine) as conn:
        assert sessions.resolve(conn, one.token) is None
        assert sessions.resolve(conn, two.token) is not None
        assert signin.sign_in(conn, "dana@example.com", PASSWORD, "c") is None
        assert signin.sign_in(conn, "dana@example.com", "a new long password", "c") is not None


def test_a_disabled_user_loses_their_sessions_and_cannot_sign_in(engine: Engine) -> None:
    _add(engine)
    with write_transaction(engine) as conn:
        done = signin.sign_in(conn, "dana@example.com", PASSWORD, "c")
    assert done is not None
    with write_transaction(engine) as conn:
        users.set_disabled(conn, "dana@example.com", True, actor="cli")
    with write_transaction(engine) as conn:
        assert sessions.resolve(conn, done.token) is None
        assert signin.sign_in(conn, "dana@example.com", PASSWORD, "c") is None


def test_an_idle_session_ends(engine: Engine) -> None:
    _add(engine)
    with write_transaction(engine) as conn:
        done = signin.sign_in(conn, "dana@example.com", PASSWORD, "c")
    assert done is not None
    with write_transaction(engine) as conn:
        seen = conn.execute(select(sessions_table.c.last_seen_at)).scalar_one()
        conn.execute(update(sessions_table).values(last_seen_at=seen - sessions.IDLE))
        assert sessions.resolve(conn, done.token) is None


def test_the_set_up_token_creates_one_admin_once(engine: Engine) -> None:
    token = setup.new_setup_token(engine)
    assert token is not None and len(token) == 32
    with write_transaction(engine) as conn:
        assert setup.setup_open(conn, "not-the-token") is False
        admin = setup.create_first_admin(conn, token, "Boss@example.com", PASSWORD)
    assert (admin.email, admin.role) == ("boss@example.com", "admin")
    with write_transaction(engine) as conn, pytest.raises(setup.SetupClosed):
        setup.create_first_admin(conn, token, "other@example.com", PASSWORD)
    # with a user, no set-up link is printed again
    assert setup.new_setup_token(engine) is None


def test_a_newer_set_up_token_replaces_the_older(engine: Engine) -> None:
    old = setup.new_setup_token(engine)
    new = setup.new_setup_token(engine)
    with write_transaction(engine) as conn:
        assert setup.setup_open(conn, old) is False
        assert setup.setup_open(conn, new) is True


def test_the_audit_log_records_who_did_what(engine: Engine) -> None:
    _add(engine, role="agent")
    with write_transaction(engine) as conn:
        users.set_disabled(conn, "dana@example.com", True, actor="boss@example.com")
        audit.record(
            conn, "boss@example.com", "callback.close", "callback:7", detail={"note": "done"}
        )
    with engine.connect() as conn:
        got = [(e.actor, e.action, e.target, e.detail) for e in audit.entries(conn)]
    assert got == [
        ("boss@example.com", "callback.close", "callback:7", {"note": "done"}),
        ("boss@example.com", "user.disable", "dana@example.com", None),
        ("cli", "user.add", "dana@example.com", {"role": "agent"}),
    ]
