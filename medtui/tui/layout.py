"""How the TUI fits the terminal: the breakpoints that put size classes on the screen, and the two
widgets that adapt inside whatever room a pane gives them.

- The screen has `-narrow` (under WIDE columns) or `-wide`, and `-short` (under TALL rows) or
  `-tall`. A pane's CSS keys on them (`Screen.-narrow ExportPane #export-choose {...}`), so a new
  pane gets them for free. A pane is *compact* on a narrow or short screen. A pane whose
  DEFAULT_CSS has such rules sets `SCOPED_CSS = False`: Textual otherwise prefixes the pane's type
  to a rule that starts with `Screen`, and the rule never matches.
- On a compact screen Textual's bordered controls (Button, Input, Select, SelectionList) switch to
  their one-row borderless style (`fit_controls`, called by the app on every resize).
- `ElidedLine` is one line of text whose long part (a path, a run id) is elided in the middle to
  the width it is given (medtui.runs.elide_middle), never cut at the end.
- `ChartBox` holds plotext charts that keep a readable height; with less room than that, each
  chart gives way to a one-line sparkline with its latest value.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from medtui.runs import elide_middle, sparkline

WIDE = 110  # columns: below this, side-by-side layouts stack
TALL = 34  # rows: below this, panes show one view at a time and drop the header
HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]
VERTICAL_BREAKPOINTS = [(0, "-short"), (TALL, "-tall")]

MIN_CHART_HEIGHT = 10  # rows a plotext chart needs for its title, axes and a curve one can read
MIN_CHART_WIDTH = 24


def compact_size(width: int, height: int) -> bool:
    """Whether a terminal this size gets the compact layouts (the breakpoints' -narrow or -short)."""
    return width < WIDE or height < TALL


# Textual's controls that have a borderless one-row style (their `compact` reactive).
COMPACT_CONTROLS = "Button, Input, Select, SelectionList"


def fit_controls(root, compact: bool) -> None:
    """Borderless one-row controls on a compact screen: a bordered Select or Button takes 3 rows."""
    for widget in root.query(COMPACT_CONTROLS):
        widget.compact = compact


def is_compact(widget) -> bool:
    """Whether `widget`'s screen is narrow or short (breakpoint classes set on resize)."""
    try:
        screen = widget.screen
    except Exception:  # not mounted yet
        return False
    return screen.has_class("-narrow") or screen.has_class("-short")


@dataclass(frozen=True)
class Elide:
    """The part of an ElidedLine that gives way when the line is too long."""

    text: str
    style: str = ""


class ElidedLine(Static):
    """Text whose `Elide` part is shortened in the middle to fit the line; other parts are kept
    whole (and wrap, as a long message should)."""

    DEFAULT_CSS = "ElidedLine { height: auto; }"

    def __init__(self, *parts, **kwargs):
        super().__init__("", **kwargs)
        self.parts = parts

    def set_parts(self, *parts) -> None:
        self.parts = parts
        self.refresh(layout=True)

    @property
    def plain(self) -> str:
        return "".join(p.text if isinstance(p, Elide) else (p if isinstance(p, str) else p[0]) for p in self.parts)

    def render(self) -> Text:
        width = self.content_region.width or self.size.width or 80
        fixed = sum(len(p if isinstance(p, str) else p[0]) for p in self.parts if not isinstance(p, Elide))
        room = max(width - fixed, 12)
        text = Text()
        for part in self.parts:
            if isinstance(part, Elide):
                text.append(elide_middle(part.text, room), part.style)
            elif isinstance(part, str):
                text.append(part)
            else:
                text.append(*part)
        return text


class SparkLine(Static):
    """A chart's one-line stand-in: its title, a sparkline of its values, the latest value."""

    DEFAULT_CSS = "SparkLine { height: 1; }"

    def __init__(self, title: str, **kwargs):
        super().__init__("", **kwargs)
        self.title = title
        self.values: list[float] = []
        self.latest = "-"

    def show(self, values: list[float], latest: str) -> None:
        self.values, self.latest = list(values), latest
        self.refresh()

    def render(self) -> Text:
        width = self.content_region.width or self.size.width or 40
        head = f"{self.title} "
        tail = f" {self.latest}"
        room = max(width - len(head) - len(tail), 1)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(head, "dim")
        text.append(sparkline(self.values, room) if self.values else "no steps yet", "green" if self.values else "dim")
        text.append(tail, "bold")
        return text


class ChartBox(Vertical):
    """Charts side by side while each keeps MIN_CHART_HEIGHT rows; below that, sparklines.

    The box takes the room its pane's layout gives it (height 1fr) and decides from its own size,
    so showing one form or the other never changes that size (no flicker between the two).
    """

    DEFAULT_CSS = """
    ChartBox { height: 1fr; min-height: 2; }
    ChartBox > #chart-plots { height: 1fr; }
    ChartBox > #chart-plots > PlotextPlot { width: 1fr; height: 1fr; }
    ChartBox > #chart-sparks { height: auto; display: none; }
    ChartBox.-spark > #chart-plots { display: none; }
    ChartBox.-spark > #chart-sparks { display: block; }
    """

    def __init__(self, charts: list[tuple[str, str]], **kwargs):
        """`charts`: (plot id, title) for each chart, left to right."""
        super().__init__(**kwargs)
        self.charts = charts

    def compose(self) -> ComposeResult:
        with Horizontal(id="chart-plots"):
            for plot_id, _ in self.charts:
                yield PlotextPlot(id=plot_id)
        with Vertical(id="chart-sparks"):
            for plot_id, title in self.charts:
                yield SparkLine(title, id=f"{plot_id}-spark")

    def on_resize(self) -> None:
        width, height = self.size
        room_for_plots = height >= MIN_CHART_HEIGHT and width >= MIN_CHART_WIDTH * len(self.charts)
        self.set_class(not room_for_plots, "-spark")

    @property
    def sparks(self) -> bool:
        return self.has_class("-spark")

    def spark(self, plot_id: str, values: list[float], latest: str) -> None:
        """Give chart `plot_id`'s stand-in the series it plots and its latest value."""
        self.query_one(f"#{plot_id}-spark", SparkLine).show(values, latest)
