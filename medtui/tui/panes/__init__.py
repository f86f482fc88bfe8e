"""One module per pane; each pane is a plain widget over a core module (no core logic here)."""
