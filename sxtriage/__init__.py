"""sxtriage — one live feed of Sentry issues for the engineer on call."""

__version__ = "0.1.0"
