"""Call-centre analytics: hourly/daily/monthly rollups kept by ingest, and reports over them."""
