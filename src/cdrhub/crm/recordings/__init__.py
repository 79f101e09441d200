"""Recording archive: download, verify, store (local folder or S3-compatible), serve, prune."""
