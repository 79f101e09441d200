"""The CDR path apart from HTTP: one job per module.

- `messages`: what crosses between the route, the writers and the pipeline (Delivery, Received,
  Outcome, LegNote) and their tuple forms for the writer process's pipe.
- `pipeline`: bytes to legs (`receive`), and `store_batch`: legs, quarantine and the domains'
  hooks in the caller's transaction. Every way in (webhook, replay, import, backfill) goes
  through it; the hooks are handed in (`cdrhub.domains.hooks`), it imports no domain.
- `parts`: a delivery's legs in parts of a batch, and what a failure to store one means.
- `writer`, `thread_writer`, `process_writer`: where the webhook's deliveries are stored.
- `replay`: quarantined bodies through the pipeline again.

Layers: this package imports the ground (config, calls/), voicenter/'s pure modules and store/;
never a domain (analytics, automations, crm), web or the CLI.
"""
