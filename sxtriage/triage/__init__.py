"""Triage: actions with a durable outbox and undo, GitHub tickets, links, shift handoff."""
