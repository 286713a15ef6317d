"""The local relay: SDK ingest, Sentry normalization + PII scrubbing, grouping, SQLite,
and a Spotlight-compatible live stream."""
