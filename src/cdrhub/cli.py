"""The `cdrhub` command, built from cdrhub.commands: the core commands (serve, quarantine,
secrets) and each domain's, attached here by name (the domains themselves know no command
line)."""

from __future__ import annotations

import typer

from cdrhub.commands import analytics, automations, core, crm, ops
from cdrhub.commands.common import input_or_exit, settings_or_exit
from cdrhub.commands.core import startup_lines

app = typer.Typer(no_args_is_help=True, help="cdrhub: Voicenter CDRs, stored and put to use.")

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

__all__ = ["app", "input_or_exit", "settings_or_exit", "startup_lines"]


if __name__ == "__main__":
    app()
