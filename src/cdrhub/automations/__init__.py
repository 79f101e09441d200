"""Automations: rules that act on legs, the outbox and its worker, channels, callback items."""
