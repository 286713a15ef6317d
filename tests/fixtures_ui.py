"""Pytest fixtures for the ui tests."""
