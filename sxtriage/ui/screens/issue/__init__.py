"""The issue screen and its tabs (overview, stack trace, breadcrumbs, trace, events), the
live "N new events" and the trend chart."""
