"""The `cdrhub` command, built from cdrhub.commands: the core commands (serve, quarantine,
secrets) and each domain's. Every module there hands over one `Commands`; the domains themselves
know no command line."""

from __future__ import annotations

from cdrhub import longlived

with longlived.building():  # the commands import every domain (the ingest writer process too)
    import typer

    from cdrhub.commands import analytics, automations, config, core, crm, ops, people
    from cdrhub.commands.common import CommandGroup, input_or_exit, root_options, settings_or_exit
    from cdrhub.commands.core import startup_lines

# CommandGroup turns known errors of every command into one line and an exit code; a traceback
# that does get through shows no local variables (they may hold secrets).
app = typer.Typer(
    cls=CommandGroup,
    no_args_is_help=True,
    help="cdrhub: Voicenter CDRs, stored and put to use.",
    pretty_exceptions_show_locals=False,
)
app.callback()(root_options)

# `cdrhub --help` lists the commands of every module in this order, then their groups.
PARTS = (
    core.COMMANDS,
    analytics.COMMANDS,
    automations.COMMANDS,
    crm.COMMANDS,
    ops.COMMANDS,
    config.COMMANDS,
    people.COMMANDS,
)
for part in PARTS:
    if part.commands is not None:
        app.add_typer(part.commands)
for part in PARTS:
    for name, group in part.groups.items():
        app.add_typer(group, name=name)

__all__ = ["app", "input_or_exit", "settings_or_exit", "startup_lines"]


if __name__ == "__main__":
    app()
