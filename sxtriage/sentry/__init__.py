"""Sentry web API: typed async client, incremental poller, typed errors."""
