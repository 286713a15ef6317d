"""Widgets; each takes data through methods and never does I/O."""
