"""The issue list: the virtual list widget, its row rendering and the status badges."""
