"""Simulators for tests and `sxtriage demo`: Sentry API (`server`), GitHub API, traffic."""
