"""Pytest fixtures for the triage tests."""
