"""Screens: the live feed, one issue's detail, the generated help."""
