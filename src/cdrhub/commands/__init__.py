"""The command line's commands, one module per domain (a face, like web/): they parse arguments,
call the domain's own functions and print. src/cdrhub/cli.py attaches them to `cdrhub`; the
domains themselves know no command line."""
