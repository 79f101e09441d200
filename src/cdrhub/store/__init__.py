"""Persistence: engine set-up, schema, migrations and the repositories over them."""
