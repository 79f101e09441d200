"""`cdrhub users`: the people who sign in to the dashboard (add, list, disable, enable,
reset-password). Changes made here are audited with the actor `cli`."""

from __future__ import annotations

import typer

from cdrhub.commands.common import migrated_engine, settings_or_exit

users_app = typer.Typer(help="Dashboard users: add, list, disable, enable, reset-password.")

ACTOR = "cli"


def _password(given: str | None) -> tuple[str, bool]:
    """The password to set, and whether it is a one-time password made here: given with
    --password, asked at a terminal, else generated (to change at first sign-in)."""
    from cdrhub.people.passwords import one_time_password

    if given is not None:
        return given, False
    if typer.get_text_stream("stdin").isatty():
        entered = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return str(entered), False
    return one_time_password(), True


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


@users_app.command("add")
def add(
    email: str = typer.Argument(..., help="The address the user signs in with."),
    role: str = typer.Option(..., help="admin, manager or agent."),
    password: str | None = typer.Option(
        None,
        help="The password (at least 10 characters). Asked for at a terminal; otherwise a "
        "one-time password is printed, to be changed at first sign-in.",
    ),
    name: str | None = typer.Option(None, help="The name shown in the dashboard."),
    queue: list[str] = typer.Option(
        [],
        help="A queue in the user's scope (managers, agents) (repeat for more; none: every queue).",
    ),
    department: list[str] = typer.Option(
        [], help="A department in the user's scope (repeat for more; none: every department)."
    ),
    agent_code: str | None = typer.Option(None, help="The user's Voicenter agent code."),
    extension: str | None = typer.Option(None, help="The user's extension, for click-to-call."),
    lang: str | None = typer.Option(None, help="he or en (default: the account's language)."),
) -> None:
    """Add a dashboard user."""
    from cdrhub.people import users
    from cdrhub.people.passwords import WeakPassword
    from cdrhub.people.roles import UnknownRole
    from cdrhub.store.engine import write_transaction

    secret, one_time = _password(password)
    scoped = role != "admin" and bool(queue or department)
    engine = migrated_engine(settings_or_exit())
    try:
        with write_transaction(engine) as conn:
            user = users.add(
                conn,
                email,
                role,
                secret,
                actor=ACTOR,
                name=name,
                queues=queue if scoped else None,
                departments=department if scoped else None,
                agent_code=agent_code,
                extension=extension,
                lang=lang,
                one_time=one_time,
            )
    except (users.UserError, UnknownRole, WeakPassword) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"added {user.email} ({user.role})")
    if one_time:
        typer.echo(f"one-time password: {secret} (to be changed at first sign-in)")


@users_app.command("list")
def list_() -> None:
    """List the users: address, role, scope, state, last sign-in."""
    from cdrhub.people import users
    from cdrhub.timefmt import iso_utc

    engine = migrated_engine(settings_or_exit())
    with engine.connect() as conn:
        everyone = users.all_users(conn)
    if not everyone:
        typer.echo("no users yet: `cdrhub users add EMAIL --role admin`")
        return
    for user in everyone:
        scope = "all"
        if not user.scope.everything:
            parts = [*sorted(user.scope.queues or ()), *sorted(user.scope.departments or ())]
            scope = ",".join(parts)
        state = "disabled" if user.disabled else "active"
        last = iso_utc(user.last_login_at) or "never"
        typer.echo(f"{user.email}\t{user.role}\t{scope}\t{state}\tlast sign-in {last}")


def _set_disabled(email: str, disabled: bool) -> None:
    from cdrhub.people import users
    from cdrhub.store.engine import write_transaction

    engine = migrated_engine(settings_or_exit())
    try:
        with write_transaction(engine) as conn:
            user = users.set_disabled(conn, email, disabled, actor=ACTOR)
    except users.UserError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{user.email} {'disabled; its sessions ended' if disabled else 'enabled'}")


@users_app.command("disable")
def disable(email: str = typer.Argument(..., help="The user's address.")) -> None:
    """Disable a user: they can no longer sign in, and their sessions end now."""
    _set_disabled(email, True)


@users_app.command("enable")
def enable(email: str = typer.Argument(..., help="The user's address.")) -> None:
    """Enable a disabled user again."""
    _set_disabled(email, False)


@users_app.command("reset-password")
def reset_password(
    email: str = typer.Argument(..., help="The user's address."),
    password: str | None = typer.Option(
        None, help="The new password; asked at a terminal, else a one-time password is printed."
    ),
) -> None:
    """Set a new password; the user's sessions end."""
    from cdrhub.people import users
    from cdrhub.people.passwords import WeakPassword
    from cdrhub.store.engine import write_transaction

    secret, one_time = _password(password)
    engine = migrated_engine(settings_or_exit())
    try:
        with write_transaction(engine) as conn:
            user = users.set_password(conn, email, secret, actor=ACTOR, one_time=one_time)
    except (users.UserError, WeakPassword) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"new password set for {user.email}; its sessions ended")
    if one_time:
        typer.echo(f"one-time password: {secret} (to be changed at first sign-in)")
