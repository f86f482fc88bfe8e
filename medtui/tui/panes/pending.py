"""A pane whose feature is not built yet says so in one line and holds no controls."""

from textual.widgets import Static


class PendingPane(Static):
    DEFAULT_CSS = "PendingPane { padding: 1 2; color: $text-muted; }"

    def __init__(self, what: str, issue: int, **kwargs):
        super().__init__(f"{what} is not built yet (issue #{issue}).", **kwargs)
