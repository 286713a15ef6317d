"""The feed screen and what only it uses (alert toasts)."""
