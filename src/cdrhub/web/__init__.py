"""HTTP: the app factory, Voicenter's ingest endpoint, the JSON API and pages."""
