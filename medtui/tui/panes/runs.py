"""The Runs pane: every run in a table; the highlighted one's metrics, checkpoints, config and loss
curve beside it; mark two to compare; resume, delete or export from the keyboard.

All reading happens in thread workers through medtui.runs.RunIndex, which rereads only what was
appended to each event log, so the table can refresh every two seconds while a run is training.
Results come back to the UI thread through call_from_thread; no widget is touched from a thread.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Label, Static
from textual_plotext import PlotextPlot

from medtui.tui.keys import DIALOG_HELP
from medtui.tui.layout import ChartBox
from medtui.tui.panes import pane_is_shown
from medtui.config import Config
from medtui.errors import describe_error
from medtui.runs import (
    CORRUPT, Comparison, RunDetails, RunIndex, RunSummary, compare_details, counts_label, data_label, elide_middle, format_bytes,
    format_config_value,
    format_duration, format_loss, format_metric, format_steps, runs_root,
)

REFRESH_SECONDS = 2.0
STATUS_STYLES = {
    "running": "bold green",
    "pending": "green",
    "finished": "bold",
    "stopped": "yellow",
    "failed": "bold red",
    "died": "red",
    CORRUPT: "bold magenta",
}
RUN_COLUMNS = (
    ("mark", " "), ("id", "Run"), ("status", "Status"), ("model", "Model"), ("steps", "Steps"),
    ("best", "Best eval"), ("last", "Last eval"), ("duration", "Duration"), ("ckpts", "Ckpts"),
)
# A narrow pane keeps what tells runs apart; the rest is in the detail view below the table.
NARROW_COLUMNS = ("mark", "id", "status", "steps", "best", "ckpts")
NARROW = 110  # pane columns under which the table shows NARROW_COLUMNS (see medtui.tui.layout.WIDE)


def _status(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def _row(summary: RunSummary, marked: bool, columns: tuple[str, ...], id_width: int = 40) -> tuple:
    best = format_loss(summary.best_eval_loss)
    if summary.best_eval_step is not None:
        best += f" @{summary.best_eval_step}"
    cells = {
        "mark": "●" if marked else " ",
        "id": elide_middle(summary.run_id, id_width),
        "status": _status(summary.status),
        "model": elide_middle(summary.model, 18),  # the full name is in the detail view; ids carry its slug too
        "steps": format_steps(summary),
        "best": best,
        "last": format_loss(summary.last_eval_loss),
        "duration": format_duration(summary.duration_s),
        "ckpts": str(len(summary.checkpoints)) + (" +A" if summary.adapter else ""),
    }
    return tuple(cells[key] for key in columns)


def _value(value) -> str:
    return format_config_value(value)


def describe(details: RunDetails) -> Text:
    """The metrics block of the detail view."""
    s = details.summary
    text = Text()
    text.append(s.run_id, style="bold")
    text.append("  ")
    text.append_text(_status(s.status))
    if s.early_stopped:
        text.append("  early-stopped", style="yellow")
    if s.resumes:
        text.append(f"  resumed {s.resumes}x", style="dim")
    loss = details.loss_curve
    rows = [
        ("model", s.model),
        ("data", data_label(s, with_counts=False)),
        ("records", counts_label(s.data_counts) or "-"),
        ("steps", format_steps(s) + (f"  epoch {s.epoch:.2f}" if s.epoch is not None else "")),
        ("loss", f"{loss[0][1]:.4f} → {loss[-1][1]:.4f}" if loss else "-"),
        ("eval", f"best {format_loss(s.best_eval_loss)}"
                 + (f" @{s.best_eval_step}" if s.best_eval_step is not None else "")
                 + f" · last {format_loss(s.last_eval_loss)}"),
        ("speed", (f"{details.tokens_per_s:.0f} tok/s" if details.tokens_per_s is not None else "-")
                  + (f" · peak {details.peak_memory_mb:.0f} MB" if details.peak_memory_mb is not None else "")),
        ("time", format_duration(s.duration_s)),
    ]
    from medtui.eval.results import headline

    if tested := headline(s.run_dir):  # the newest `medtui eval` of this run
        rows.append(("eval'd", tested))
    if s.message and s.status in ("failed", "stopped", CORRUPT):
        rows.append(("why", s.message))
    if details.incomplete_checkpoints:
        rows.append(("partial", ", ".join(details.incomplete_checkpoints) + " (not usable)"))
    for label, value in rows:
        text.append(f"\n{label:<8}", style="dim")
        text.append(value)
    return text


def config_text(details: RunDetails) -> Text:
    text = Text()
    if details.config_problem:
        text.append(details.config_problem + "\n", style="red")
    for section, keys in details.config.items():
        text.append(f"[{section}]\n", style="bold")
        for key, value in keys.items():
            text.append(f"{key}", style="cyan")
            text.append(f" = {_value(value)}\n")
    return text


def draw_losses(plot: PlotextPlot, series: list[tuple[str, list[tuple[int, float]], str]], title: str) -> None:
    """Draw (label, points, marker) series; an eval series is a few points, so it gets a visible mark."""
    plt = plot.plt
    plt.clear_data()
    plt.clear_figure()
    drawn = False
    for label, curve, marker in series:
        if curve:
            plt.plot([s for s, _ in curve], [v for _, v in curve], label=label, marker=marker)
            drawn = True
    plt.title(title if drawn else f"{title}: no steps logged yet")
    plt.xlabel("step")
    plot.refresh()


class ConfirmDelete(ModalScreen[bool]):
    """Asks before a run's folder (checkpoints, adapter, logs) is removed for good."""

    HELP_TITLE = "Delete-run dialog"

    DEFAULT_CSS = """
    ConfirmDelete { align: center middle; }
    ConfirmDelete > Vertical {
        width: 64; height: auto; padding: 1 2; border: thick $error; background: $surface;
    }
    ConfirmDelete #confirm-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmDelete Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Delete"),
        Binding("n,escape", "answer(False)", "Cancel"),
        *DIALOG_HELP,
    ]

    def __init__(self, summary: RunSummary, size: int | None = None):
        super().__init__()
        self.summary = summary
        self.run_bytes = size

    def compose(self) -> ComposeResult:
        s = self.summary
        what = f"{s.status}, {len(s.checkpoints)} checkpoint(s)" + (", final adapter" if s.adapter else "")
        if self.run_bytes is not None:
            what += f", {format_bytes(self.run_bytes)}"
        with Vertical():
            yield Label(Text.assemble("Delete run ", (s.run_id, "bold"), "?"))
            yield Static(f"{what}.\nIts checkpoints, adapter and logs are removed for good.", classes="muted")
            with Horizontal(id="confirm-buttons"):
                yield Button("Delete (y)", variant="error", id="confirm-yes")
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")


class CompareScreen(ModalScreen[None]):
    """Two runs side by side: metrics, the config keys that differ, both loss curves."""

    HELP_TITLE = "Compare dialog"

    DEFAULT_CSS = """
    CompareScreen { align: center middle; }
    CompareScreen > Vertical {
        width: 96%; height: 92%; border: thick $primary; background: $surface; padding: 0 1;
    }
    CompareScreen #compare-title { height: 1; text-style: bold; }
    CompareScreen #compare-tables { height: 1fr; }
    CompareScreen #compare-metrics { width: 1fr; height: 1fr; }
    CompareScreen #compare-config { width: 1fr; height: 1fr; margin-left: 1; }
    CompareScreen #compare-plot { height: 1fr; min-height: 10; }
    """
    BINDINGS = [Binding("escape,q,c", "close", "Close"), *DIALOG_HELP]

    def __init__(self, comparison: Comparison):
        super().__init__()
        self.comparison = comparison

    def compose(self) -> ComposeResult:
        a, b = self.comparison.a.summary.run_id, self.comparison.b.summary.run_id
        with Vertical():
            yield Label(f"A = {a}    B = {b}    (Esc closes)", id="compare-title")
            with Horizontal(id="compare-tables"):
                yield DataTable(id="compare-metrics", cursor_type="row", zebra_stripes=True)
                yield DataTable(id="compare-config", cursor_type="row", zebra_stripes=True)
            yield PlotextPlot(id="compare-plot")

    def on_mount(self) -> None:
        metrics = self.query_one("#compare-metrics", DataTable)
        metrics.add_columns("Metric", "A", "B")
        for name, va, vb in self.comparison.metrics:
            metrics.add_row(name, _metric(name, va), _metric(name, vb))
        config = self.query_one("#compare-config", DataTable)
        config.add_columns(f"Config differences ({len(self.comparison.config_diff)})", "A", "B")
        for key, va, vb in self.comparison.config_diff:
            config.add_row(key, elide_middle(_missing(va), 24), elide_middle(_missing(vb), 24))
        if not self.comparison.config_diff:
            config.add_row("(same config)", "", "")
        draw_losses(
            self.query_one("#compare-plot", PlotextPlot),
            [("A", self.comparison.a.loss_curve, "braille"), ("B", self.comparison.b.loss_curve, "braille")],
            "training loss",
        )
        metrics.focus()

    def action_close(self) -> None:
        self.dismiss(None)


def _missing(value) -> str:
    return "-" if value is None else _value(value)


def _metric(name: str, value) -> str:
    return elide_middle(format_metric(name, value), 36)


class RunsPane(Widget):
    """Browse runs; the footer lists what each key does."""

    # Unscoped: Textual would prefix the pane's type to rules that start with `Screen.-narrow`
    # (the breakpoint classes, medtui.tui.layout), and they would never match.
    SCOPED_CSS = False
    DEFAULT_CSS = """
    RunsPane { layout: vertical; height: 1fr; }
    RunsPane #runs-table { height: auto; max-height: 11; }
    RunsPane #runs-empty { height: auto; padding: 0 1; color: $text-muted; }
    RunsPane #runs-detail { height: 1fr; }
    RunsPane #runs-left { width: 52; }
    RunsPane #run-metrics { height: auto; padding: 0 1; }
    RunsPane #ckpt-table { height: auto; max-height: 7; margin-top: 1; }
    RunsPane #run-config { height: 1fr; padding: 0 1; margin-top: 1; border-top: solid $primary-background; }
    RunsPane #run-chart { width: 1fr; height: 1fr; margin-left: 1; }
    Screen.-short RunsPane #runs-table { max-height: 7; }
    Screen.-short RunsPane #ckpt-table { max-height: 5; }
    """
    BINDINGS = [
        Binding("space", "toggle_mark", "Mark", tooltip="mark the run under the cursor (two marks: compare)"),
        Binding("c", "compare", "Compare", tooltip="the two marked runs side by side: metrics, config, curves"),
        Binding("r", "resume", "Resume", tooltip="resume the run from its last complete checkpoint"),
        Binding("d,delete", "delete", "Delete", tooltip="delete the run's folder (asks first)"),
        Binding("e", "export", "Export", tooltip="open the Export pane on the run and checkpoint under the cursors"),
    ]

    def __init__(self, cfg: Config, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.root = runs_root(cfg)
        self.index = RunIndex(self.root)
        self._index_lock = threading.Lock()  # refresh and detail workers share one index
        self.summaries: dict[str, RunSummary] = {}
        self.order: list[str] = []
        self.marked: list[str] = []
        self.selected: str | None = None
        self.details: RunDetails | None = None
        self._shown_details_key = None
        self.columns: tuple[str, ...] = tuple(key for key, _ in RUN_COLUMNS)
        self.id_width = 40

    def compose(self) -> ComposeResult:
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="runs-empty")
        with Horizontal(id="runs-detail"):
            with Vertical(id="runs-left"):
                yield Static("", id="run-metrics")
                yield DataTable(id="ckpt-table", cursor_type="row")
                with VerticalScroll(id="run-config"):
                    yield Static("", id="run-config-text")
            yield ChartBox([("run-plot", "loss")], id="run-chart")

    def on_show(self) -> None:
        # Switching to this tab leaves focus on the tab bar, where the pane's keys would not apply.
        if pane_is_shown(self):
            self.query_one("#runs-table", DataTable).focus()

    def on_hide(self) -> None:
        # Leaving the tab with focus inside the pane: Textual would move focus to a widget still
        # in this pane, and a focused widget pulls its tab back to the front.
        if self.screen.focused is not None and self in self.screen.focused.ancestors:
            self.screen.set_focus(None)

    def on_mount(self) -> None:
        self._set_columns()
        ckpts = self.query_one("#ckpt-table", DataTable)
        ckpts.add_column("Checkpoint", key="name")
        ckpts.add_column("Step", key="step")
        ckpts.add_column("Eval loss", key="eval")
        self.refresh_runs()
        self.set_interval(REFRESH_SECONDS, self.refresh_runs)

    def _wanted_columns(self) -> tuple[tuple[str, ...], int]:
        """The columns that fit the pane's width, and the width a run id may take."""
        width = self.size.width or 200
        if width >= NARROW:
            return tuple(key for key, _ in RUN_COLUMNS), 40
        # mark, status, steps, best eval, checkpoints and the cells' padding take about 40 columns.
        return NARROW_COLUMNS, max(width - 40, 16)

    def _set_columns(self) -> None:
        self.columns, self.id_width = self._wanted_columns()
        table = self.query_one("#runs-table", DataTable)
        table.clear(columns=True)
        labels = dict(RUN_COLUMNS)
        for key in self.columns:
            table.add_column(labels[key], key=key)
        self.order = []  # the rows are added again by the next _show_runs

    def on_resize(self) -> None:
        if self._wanted_columns() != (self.columns, self.id_width):
            self._set_columns()
            self._show_runs(list(self.summaries.values()), None)  # keeps the cursor on the selected run

    # -- loading (threads) -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="runs-refresh")
    def refresh_runs(self) -> None:
        with self._index_lock:
            summaries = self.index.refresh()
            selected = self.selected if self.selected in {s.run_id for s in summaries} else (
                summaries[0].run_id if summaries else None)
            details = self.index.details(self.root / selected) if selected else None
        self.app.call_from_thread(self._show_runs, summaries, details)

    @work(thread=True, exclusive=True, group="runs-detail")
    def load_details(self, run_id: str) -> None:
        with self._index_lock:
            run_dir = self.root / run_id
            details = self.index.details(run_dir) if run_dir.is_dir() else None
        if details is not None:
            self.app.call_from_thread(self._show_details, details)

    # -- showing (UI thread) -----------------------------------------------------------------

    def _show_runs(self, summaries: list[RunSummary], details: RunDetails | None) -> None:
        table = self.query_one("#runs-table", DataTable)
        order = [s.run_id for s in summaries]
        self.summaries = {s.run_id: s for s in summaries}
        if self.selected not in self.summaries:
            self.selected = None
        self.marked = [m for m in self.marked if m in self.summaries]
        if order != self.order:
            keep = self.selected
            table.clear()
            for s in summaries:
                table.add_row(*_row(s, s.run_id in self.marked, self.columns, self.id_width), key=s.run_id)
            self.order = order
            if keep in self.summaries:
                table.move_cursor(row=order.index(keep), animate=False)
        else:
            for s in summaries:
                for key, value in zip(self.columns, _row(s, s.run_id in self.marked, self.columns, self.id_width)):
                    table.update_cell(s.run_id, key, value)
        empty = self.query_one("#runs-empty", Static)
        empty.display = not summaries
        empty.update(f"No runs in {self.root} yet. Start one in the Train pane (F2)." if not summaries else "")
        self.query_one("#runs-detail").display = bool(summaries)
        if details is not None and (self.selected is None or details.summary.run_id == self.selected):
            self._show_details(details)

    def _show_details(self, details: RunDetails) -> None:
        if self.selected is not None and details.summary.run_id != self.selected:
            return  # an answer for a row the cursor has already left
        self.selected = details.summary.run_id
        s = details.summary
        key = (s.run_id, s.status, s.step, len(details.eval_curve), tuple(c.name for c in s.exportable),
               round(s.duration_s or 0), details.config_problem)
        if key == self._shown_details_key:
            return
        self._shown_details_key = key
        self.details = details
        self.query_one("#run-metrics", Static).update(describe(details))
        self.query_one("#run-config-text", Static).update(config_text(details))
        ckpts = self.query_one("#ckpt-table", DataTable)
        previous = self._checkpoint_name()
        ckpts.clear()
        for c in s.exportable:
            ckpts.add_row(c.name, "-" if c.step is None else str(c.step), format_loss(c.eval_loss), key=c.name)
        names = [c.name for c in s.exportable]
        if names:
            # The newest (final adapter when there is one) is what one usually exports.
            ckpts.move_cursor(row=names.index(previous) if previous in names else len(names) - 1, animate=False)
        draw_losses(
            self.query_one("#run-plot", PlotextPlot),
            [("train", details.loss_curve, "braille"), ("eval", details.eval_curve, "•")],
            "loss",
        )
        losses = [v for _, v in details.loss_curve]
        self.query_one("#run-chart", ChartBox).spark("run-plot", losses, format_loss(losses[-1]) if losses else "-")

    @on(DataTable.RowHighlighted, "#runs-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        run_id = event.row_key.value
        if run_id and run_id != self.selected:
            self.selected = run_id
            self._shown_details_key = None
            self.load_details(run_id)

    def _checkpoint_name(self) -> str | None:
        ckpts = self.query_one("#ckpt-table", DataTable)
        if ckpts.row_count == 0:
            return None
        return ckpts.coordinate_to_cell_key(ckpts.cursor_coordinate).row_key.value

    def _current(self) -> RunSummary | None:
        """The run under the table's cursor (read from the table: keys can outrun highlight messages)."""
        table = self.query_one("#runs-table", DataTable)
        if table.row_count == 0:
            return None
        run_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.summaries.get(run_id)

    # -- actions -----------------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        run = self._current()
        if run is None:
            return
        if run.run_id in self.marked:
            self.marked.remove(run.run_id)
        else:
            self.marked.append(run.run_id)
            del self.marked[:-2]  # a third mark replaces the oldest: compare takes two
        table = self.query_one("#runs-table", DataTable)
        for run_id in self.order:
            table.update_cell(run_id, "mark", "●" if run_id in self.marked else " ")

    def action_compare(self) -> None:
        pair = list(self.marked)
        current = self._current()
        if len(pair) == 1 and current and current.run_id not in pair:
            pair.append(current.run_id)
        if len(pair) != 2:
            self.notify("Mark two runs with Space (or one, then move to the other), then press c.",
                        title="Compare", severity="warning")
            return
        self.load_comparison(*pair)

    @work(thread=True, exclusive=True, group="runs-compare")
    def load_comparison(self, a: str, b: str) -> None:
        with self._index_lock:
            comparison = compare_details(self.index.details(self.root / a), self.index.details(self.root / b))
        self.app.call_from_thread(self._show_comparison, comparison)

    def _show_comparison(self, comparison: Comparison) -> None:
        self.app.push_screen(CompareScreen(comparison))

    def action_resume(self) -> None:
        run = self._current()
        if run is None:
            return
        if run.busy:
            self.notify(f"Run {run.run_id} is already {run.status}.", title="Resume", severity="warning")
            return
        self.resume(run.run_id)

    @work(thread=True, exclusive=True, group="runs-resume")
    def resume(self, run_id: str) -> None:
        try:
            # Imported here: the launcher belongs to training and is only needed on this key.
            from medtui.train.launch import resume_run
        except ImportError as exc:
            self.app.call_from_thread(
                self.notify, f"Resuming needs medtui.train.launch, which is not available: {exc}",
                title="Resume", severity="error")
            return
        try:
            plan = resume_run(self.root / run_id, self.cfg, checkpoint=None, detach=True)
        except Exception as exc:  # the launcher's refusal (e.g. no checkpoint) is the user's message
            self.app.call_from_thread(self.notify, describe_error(exc), title=f"Resume {run_id}",
                                      severity="error")
            return
        for warning in plan.warnings:
            self.app.call_from_thread(self.notify, warning, title=f"Resume {run_id}", severity="warning", timeout=10)
        self.app.call_from_thread(self.notify, f"Run {run_id} resumed from its last checkpoint.", title="Resume")
        self.app.call_from_thread(self.refresh_runs)

    def action_delete(self) -> None:
        run = self._current()
        if run is None:
            return
        if run.busy:
            self.notify(f"Run {run.run_id} is {run.status}; stop it first.", title="Delete", severity="error")
            return
        self.confirm_delete(run)

    @work(thread=True, exclusive=True, group="runs-delete")
    def confirm_delete(self, run: RunSummary) -> None:
        from medtui.runs import folder_bytes

        size = folder_bytes(run.run_dir)  # walking the folder is I/O: not on the UI thread
        self.app.call_from_thread(self._ask_delete, run, size)

    def _ask_delete(self, run: RunSummary, size: int) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(run.run_id)

        self.app.push_screen(ConfirmDelete(run, size), answered)

    @work(thread=True, exclusive=True, group="runs-delete")
    def delete(self, run_id: str) -> None:
        from medtui.runs import RunBusyError, delete_run

        try:
            with self._index_lock:
                freed = delete_run(self.root / run_id, self.root)
        except (RunBusyError, OSError) as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Delete", severity="error")
            return
        self.app.call_from_thread(self.notify, f"Deleted run {run_id} ({format_bytes(freed)} freed).", title="Delete")
        self.app.call_from_thread(self.refresh_runs)

    def action_export(self) -> None:
        run = self._current()
        if run is None:
            return
        name = self._checkpoint_name()
        if name is None:
            self.notify(f"Run {run.run_id} has no complete checkpoint to export yet.", title="Export",
                        severity="warning")
            return
        # on_hide comes too late when the switch happens inside this key's handler.
        self.screen.set_focus(None)
        # The final adapter is the run itself; a checkpoint is named.
        self.app.open_export(run.run_id, None if name == "adapter" else name)
