"""The Eval pane: pick models (base, run adapters and checkpoints, exported GGUFs) and suites,
run them in a thread worker with a progress bar, read the side-by-side table, a bar chart of
any metric, and page through example answers.

medtui.eval.run_eval does the work (the same generator `medtui eval` drives); the worker only
posts its events to the pane, and Stop sets the cancel event it checks between items.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Select, SelectionList, Static
from textual_plotext import PlotextPlot

from medtui.config import Config
from medtui.eval.results import EvalReport, metric_label, metric_rows
from medtui.eval.suites import SUITES


def chart_options(report: EvalReport) -> list[tuple[str, str]]:
    """(label, "suite|metric") for every headline metric of a report."""
    return [(metric_label(suite, name), f"{suite}|{name}") for suite in report.suites
            for name in report.metric_names(suite) if "/" not in name]


def example_pages(report: EvalReport) -> list[Text]:
    """One page per example item: the question (and reference) with each model's answer."""
    pages = []
    for suite in ("answers", "safety", "mcq"):
        per_model = report.examples.get(suite) or {}
        count = max((len(v) for v in per_model.values()), default=0)
        for i in range(count):
            text = Text()
            first = next(v[i] for v in per_model.values() if len(v) > i)
            text.append(f"{suite} · example {i + 1} of {count}\n", style="bold")
            question = first.get("question") or first.get("prompt", "")
            text.append(f"Q: {question}\n", style="cyan")
            if suite == "mcq":
                for n, choice in enumerate(first.get("choices", [])):
                    text.append(f"   {'ABCD'[n] if n < 4 else n}. {choice}{'  ✓' if n == first.get('answer') else ''}\n")
            elif first.get("reference"):
                text.append(f"Reference: {first['reference']}\n", style="green")
            elif first.get("label"):
                text.append(f"({first['label']}, {first.get('category', '')})\n", style="dim")
            for model in report.models:
                items = per_model.get(model) or []
                if len(items) <= i:
                    continue
                item = items[i]
                if suite == "mcq":
                    text.append(f"\n{model}: picked {'ABCD'[item['picked']] if item['picked'] < 4 else item['picked']}"
                                f" ({'right' if item['correct'] else 'wrong'})\n", style="bold")
                else:
                    tag = ("refused" if item.get("refused") else "answered") if suite == "safety" else item.get("finish", "")
                    text.append(f"\n{model} ({tag}):\n", style="bold")
                    text.append(f"{item.get('answer', '')}\n")
            pages.append(text)
    return pages


class EvalPane(Widget):
    """Evaluate models side by side."""

    DEFAULT_CSS = """
    EvalPane { layout: vertical; height: 1fr; padding: 0 1; }
    EvalPane #eval-choose { height: 14; }
    EvalPane #eval-models { width: 1fr; height: 100%; }
    EvalPane #eval-side { width: 36; height: 100%; margin-left: 2; }
    EvalPane #eval-suites { height: 6; }
    EvalPane .field-label { height: 1; color: $text-muted; }
    EvalPane #eval-limit { width: 100%; }
    EvalPane #eval-buttons { height: 3; }
    EvalPane #eval-buttons Button { margin-right: 1; min-width: 10; }
    EvalPane #eval-progress-row { height: 1; margin-top: 1; }
    EvalPane #eval-progress { width: 40; }
    EvalPane #eval-status { width: 1fr; color: $text-muted; margin-left: 1; }
    EvalPane #eval-results { height: 1fr; margin-top: 1; }
    EvalPane #eval-table { width: 1fr; height: 100%; }
    EvalPane #eval-right { width: 1fr; height: 100%; margin-left: 1; }
    EvalPane #eval-metric { width: 100%; }
    EvalPane #eval-chart { height: 1fr; min-height: 8; }
    EvalPane #eval-example { height: 1fr; overflow-y: auto; border: round $panel; }
    """
    BINDINGS = [
        Binding("s", "start", "Start", tooltip="evaluate the chosen models on the chosen suites"),
        Binding("x", "stop", "Stop", tooltip="stop after the item in flight"),
        Binding("left_square_bracket", "example(-1)", "Prev", tooltip="the previous example answer, side by side"),
        Binding("right_square_bracket", "example(1)", "Next", tooltip="the next example answer, side by side"),
        Binding("ctrl+r", "refresh_models", "Refresh", tooltip="list the runs, checkpoints and exports again"),
    ]

    class Progress(Message):
        def __init__(self, fraction: float, text: str) -> None:
            super().__init__()
            self.fraction, self.text = fraction, text

    class Finished(Message):
        def __init__(self, report: EvalReport | None, text: str) -> None:
            super().__init__()
            self.report, self.text = report, text

    def __init__(self, cfg: Config, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.choices: dict[str, object] = {}
        self.cancel: threading.Event | None = None
        self.report: EvalReport | None = None
        self.pages: list[Text] = []
        self.page = 0

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="eval-choose"):
            with Vertical(id="eval-models"):
                yield Label("Models (space to pick)", classes="field-label")
                yield SelectionList[str](id="eval-model-list")
            with Vertical(id="eval-side"):
                yield Label("Suites", classes="field-label")
                yield SelectionList[str](*[(s, s, True) for s in SUITES], id="eval-suites")
                yield Label("Items per suite (empty: defaults)", classes="field-label")
                yield Input(placeholder="e.g. 10", id="eval-limit", restrict=r"[0-9]*")
                with Horizontal(id="eval-buttons"):
                    yield Button("Start", id="eval-start", variant="primary")
                    yield Button("Stop", id="eval-stop", disabled=True)
        with Horizontal(id="eval-progress-row"):
            yield ProgressBar(total=1.0, show_eta=False, id="eval-progress")
            yield Static("Pick models and suites, then Start (s).", id="eval-status")
        with Horizontal(id="eval-results"):
            yield DataTable(id="eval-table", zebra_stripes=True, cursor_type="row")
            with Vertical(id="eval-right"):
                yield Select([], prompt="metric to chart", id="eval-metric")
                yield PlotextPlot(id="eval-chart")
                yield Static("Example answers appear here after a run ([ and ] page).", id="eval-example")

    def on_mount(self) -> None:
        self.query_one("#eval-progress", ProgressBar).update(progress=0)
        self.action_refresh_models()

    # -- models ---------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="eval-models")
    def action_refresh_models(self) -> None:
        from medtui.chat.sources import list_choices

        choices = list_choices(self.cfg)
        self.app.call_from_thread(self._show_models, choices)

    def _show_models(self, choices) -> None:
        picker = self.query_one("#eval-model-list", SelectionList)
        kept = set(picker.selected)
        self.choices = {c.key: c for c in choices}
        picker.clear_options()
        kinds = {"base": "base", "adapter": "run", "gguf": "gguf"}
        for choice in choices:
            picker.add_option((f"{kinds[choice.kind]:<5} {choice.label}", choice.key, choice.key in kept))

    # -- running --------------------------------------------------------------------------------

    def _limit(self) -> int | None:
        text = self.query_one("#eval-limit", Input).value.strip()
        return int(text) if text and int(text) > 0 else None

    @on(Button.Pressed, "#eval-start")
    def action_start(self) -> None:
        if self.cancel is not None:
            return
        keys = list(self.query_one("#eval-model-list", SelectionList).selected)
        suites = [s for s in SUITES if s in self.query_one("#eval-suites", SelectionList).selected]
        status = self.query_one("#eval-status", Static)
        if not keys:
            status.update("Pick at least one model (space in the list).")
            return
        if not suites:
            status.update("Pick at least one suite.")
            return
        self.cancel = threading.Event()
        self.query_one("#eval-start", Button).disabled = True
        self.query_one("#eval-stop", Button).disabled = False
        status.update("starting…")
        self._evaluate([self.choices[k] for k in keys], suites, self._limit(), self.cancel)

    @on(Button.Pressed, "#eval-stop")
    def action_stop(self) -> None:
        if self.cancel is not None:
            self.cancel.set()
            self.query_one("#eval-status", Static).update("stopping after the item in flight…")

    @work(thread=True, exclusive=True, group="eval-run")
    def _evaluate(self, choices, suites: list[str], limit: int | None, cancel: threading.Event) -> None:
        from medtui.errors import MedtuiError
        from medtui.eval import EvalCancelled, run_eval
        from medtui.eval.models import from_choice

        try:
            models = [from_choice(self.cfg, c) for c in choices]
            report = None
            for event in run_eval(self.cfg, models, suites, limit, cancel=cancel):
                where = f"{event.model} · {event.suite} " if event.suite else (f"{event.model}: " if event.model else "")
                count = f"{event.done}/{event.total} " if event.kind == "step" and event.total else ""
                self.post_message(self.Progress(event.fraction, f"{where}{count}{event.message}"))
                if event.kind == "done":
                    report = event.report
            self.post_message(self.Finished(report, "done: results written into each run's folder"))
        except EvalCancelled:
            self.post_message(self.Finished(None, "stopped; models already finished kept their results"))
        except MedtuiError as exc:
            self.post_message(self.Finished(None, exc.describe()))
        except Exception as exc:  # a bug: say it in the pane rather than take the app down
            self.post_message(self.Finished(None, f"evaluation failed: {type(exc).__name__}: {exc}"))

    def on_unmount(self) -> None:
        if self.cancel is not None:  # the app is closing: let the worker stop after its item
            self.cancel.set()

    def on_eval_pane_progress(self, message: Progress) -> None:
        self.query_one("#eval-progress", ProgressBar).update(progress=message.fraction)
        self.query_one("#eval-status", Static).update(message.text)

    def on_eval_pane_finished(self, message: Finished) -> None:
        self.cancel = None
        self.query_one("#eval-start", Button).disabled = False
        self.query_one("#eval-stop", Button).disabled = True
        self.query_one("#eval-status", Static).update(message.text)
        if message.report is not None:
            self.show_report(message.report)

    # -- results --------------------------------------------------------------------------------

    def show_report(self, report: EvalReport) -> None:
        self.report = report
        table = self.query_one("#eval-table", DataTable)
        table.clear(columns=True)
        table.add_columns("suite", "metric", *report.models)
        for suite, label, values in metric_rows(report):
            table.add_row(suite, label, *values)
        options = chart_options(report)
        select = self.query_one("#eval-metric", Select)
        select.set_options(options)
        if options:
            select.value = options[0][1]
        self.pages = example_pages(report)
        self.page = 0
        self._show_page()

    @on(Select.Changed, "#eval-metric")
    def _chart(self, event: Select.Changed) -> None:
        if self.report is None or not isinstance(event.value, str):
            return
        suite, name = event.value.split("|", 1)
        models = self.report.models
        values = [self.report.suites.get(suite, {}).get(m, {}).get(name) for m in models]
        plot = self.query_one("#eval-chart", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        shown = [(m, v) for m, v in zip(models, values) if isinstance(v, (int, float))]
        if shown:
            plt.bar([m[:18] for m, _ in shown], [float(v) for _, v in shown])
        plt.title(metric_label(suite, name) + ("" if shown else ": no values"))
        plot.refresh()

    def action_example(self, step: int) -> None:
        if self.pages:
            self.page = (self.page + step) % len(self.pages)
            self._show_page()

    def _show_page(self) -> None:
        target = self.query_one("#eval-example", Static)
        target.update(self.pages[self.page] if self.pages else "No example answers in these suites.")

