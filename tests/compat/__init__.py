"""Compatibility suite against real Sentry-compatible servers (GlitchTip, Bugsink)."""
