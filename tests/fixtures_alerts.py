"""Pytest fixtures for the alerts tests."""
