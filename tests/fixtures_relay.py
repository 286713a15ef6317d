"""Pytest fixtures for the relay tests."""
