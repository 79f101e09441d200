"""The command line's commands, one module per domain (a face, like web/): they parse arguments,
call the domain's own functions and print. Each module hands over one `COMMANDS`
(common.Commands) and src/cdrhub/cli.py attaches them all to `cdrhub`; the domains themselves
know no command line."""
