"""What the keys do: the App's action mixins (triage, Sentry's workflow, your own
commands) and the palette's jumps."""
