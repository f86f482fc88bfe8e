"""One module per pane; each pane is a plain widget over a core module (no core logic here)."""


def pane_is_shown(widget) -> bool:
    """Whether the tab holding `widget` is the one in front.

    A hidden tab must never take focus: TabbedContent follows focus, so a pane that focuses one of
    its inputs late (a model list arriving, a Select settling on mount) would pull the user away
    from the pane they are working in.
    """
    from textual.widgets import TabbedContent, TabPane

    tab = next((node for node in widget.ancestors_with_self if isinstance(node, TabPane)), None)
    if tab is None:
        return widget.is_mounted
    tabs = next((node for node in tab.ancestors if isinstance(node, TabbedContent)), None)
    return tabs is None or tabs.active == tab.id
