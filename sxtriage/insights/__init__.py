"""What the feed means: alert rules and their windows, the alert engine, correlation
across services and the releases seen."""
