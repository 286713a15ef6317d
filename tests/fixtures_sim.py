"""Pytest fixtures for the sim tests."""
