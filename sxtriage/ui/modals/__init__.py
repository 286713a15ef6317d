"""Modal screens used by the triage keys: assign, ignore, confirm, GitHub ticket preview."""
