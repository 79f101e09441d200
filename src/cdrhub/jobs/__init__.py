"""Jobs: the transactional outbox every domain uses (`outbox`, its table in `tables`), the
worker that runs them (`worker`, with per-host backoff in `hosts`), the handlers it is handed
(`registry`) and what an outside service's HTTP answer means for a job (`http`).

This package imports no domain (analytics, automations, crm) and no face (web, cli): the
domains import it and hand their handlers to the worker (`cdrhub.domains`)."""
