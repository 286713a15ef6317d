"""The running session (sources, feed, stores, engines), built and driven outside `ui/`."""
