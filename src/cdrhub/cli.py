"""The `cdrhub` command, built from cdrhub.commands: the core commands (serve, quarantine,
secrets) and each domain's, attached here by name (the domains themselves know no command
line)."""

from __future__ import annotations

import typer

from cdrhub.commands import analytics, automations, core, crm, ops, people
from cdrhub.commands.common import CommandGroup, input_or_exit, root_options, settings_or_exit
from cdrhub.commands.config import config_app
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

# `cdrhub --help` lists the commands in this order, then the groups in theirs.
app.command()(core.serve)
app.command()(analytics.report)
app.command("import")(analytics.import_)
app.command()(analytics.demo)
app.command()(automations.worker)
app.command("embed-link")(crm.embed_link)
app.command()(ops.backup)
app.command()(ops.purge)
app.add_typer(core.quarantine_app, name="quarantine")
app.add_typer(core.secrets_app, name="secrets")
app.add_typer(analytics.analytics_app, name="analytics")
app.add_typer(automations.rules_app, name="rules")
app.add_typer(automations.jobs_app, name="jobs")
app.add_typer(automations.callbacks_app, name="callbacks")
app.add_typer(automations.optout_app, name="optout")
app.add_typer(crm.crm_app, name="crm")
app.add_typer(crm.contacts_app, name="contacts")
app.add_typer(crm.recordings_app, name="recordings")
app.add_typer(config_app, name="config")
app.add_typer(people.users_app, name="users")

__all__ = ["app", "input_or_exit", "settings_or_exit", "startup_lines"]


if __name__ == "__main__":
    app()
