"""The Textual UI: FeedScreen ⇄ IssueScreen, one key registry, themes, command palette."""
