"""The Train pane: the config that will run (common fields editable, checked as you type), start,
stop and resume from the keyboard, and a live view of the run drawn from its `events.jsonl`.

The pane owns no training state: it tails the run folder's event log on a timer, so it can be
closed and reopened at any time and always shows a run's whole history. Starting, stopping and
resuming run in thread workers (they check data, signal a process, wait); results come back as
messages and only message handlers touch widgets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Log, ProgressBar, Static
from textual_plotext import PlotextPlot

from medtui.tui.layout import ChartBox, Elide, ElidedLine, is_compact
from medtui.tui.panes import pane_is_shown
from medtui.config import Config, ConfigError
from medtui.errors import describe_error
from medtui.train.events import (
    describe_event,
    format_duration,
    format_number,
    list_runs,
    read_events_from,
    run_state,
    timeline,
)

POLL_S = 0.5
NEW_RUN_CHECK_S = 2.0
LOG_LINES = 500

# field id -> (section, key, label)
FIELDS = {
    "model": ("model", "name", "Model"),
    "data": ("data", "train_files", "Data files"),
    "steps": ("train", "max_steps", "Max steps"),
    "lr": ("train", "learning_rate", "Learn. rate"),
    "rank": ("lora", "r", "LoRA rank"),
}


def field_values(cfg: Config) -> dict[str, str]:
    """What each editable field shows for a config."""
    return {
        "model": cfg.model.name,
        "data": ", ".join(cfg.train_files),
        "steps": str(cfg.train.max_steps),
        "lr": f"{cfg.train.learning_rate:g}",
        "rank": str(cfg.lora.r),
    }


def config_from_fields(cfg: Config, values: dict[str, str], load_in_4bit: bool) -> tuple[Config | None, dict[str, str]]:
    """The config the fields describe, or the problems, keyed by field, that stop it from running."""
    from medtui.data.loaders import is_hub_id

    def number(text: str) -> str:
        # An empty field is a value of the wrong type (named in the problem), not a missing key.
        return text.strip() or '""'

    files = [p.strip() for p in values["data"].split(",") if p.strip()]
    overrides = [
        f"model.name={json.dumps(values['model'].strip())}",
        f"data.train_files={json.dumps(files)}",
        f"train.max_steps={number(values['steps'])}",
        f"train.learning_rate={number(values['lr'])}",
        f"lora.r={number(values['rank'])}",
        f"model.load_in_4bit={'true' if load_in_4bit else 'false'}",
    ]
    problems: dict[str, str] = {}
    new_cfg = None
    try:
        new_cfg = cfg.with_overrides(overrides)
    except ConfigError as exc:
        for problem in exc.problems:
            for field_id, (section, key, _) in FIELDS.items():
                if f"[{section}] {key} " in problem:
                    problems[field_id] = problem.split(": ", 1)[-1]
                    break
            else:
                problems.setdefault("other", problem)
    if new_cfg is not None and new_cfg.train.max_steps == 0:
        problems["steps"] = "[train] max_steps must be a positive number of steps, or -1 for num_train_epochs"
    if not files:
        problems["data"] = "[data] train_files: name at least one data file"
    missing = [f for f in files if not is_hub_id(f, cfg.root) and not cfg.path(f).exists()]
    if missing:
        problems["data"] = f"[data] train_files: no such file {missing[0]}"
    name = values["model"].strip()
    if name and name.startswith((".", "/", "~")) and not cfg.path(name).is_dir():
        problems["model"] = f"[model] name: no such folder {name}"
    return (None if problems else new_cfg), problems


class RunView:
    """A run's events and what the pane draws from them."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.events: list[dict[str, Any]] = []
        self.offset = 0
        self.status = "pending"

    def poll(self) -> list[dict[str, Any]]:
        new, self.offset = read_events_from(self.run_dir, self.offset)
        self.events.extend(new)
        self.status = run_state(self.run_dir, self.events).status
        return new

    @property
    def current(self) -> list[dict[str, Any]]:
        return timeline(self.events)

    @property
    def steps(self) -> list[dict[str, Any]]:
        return [e for e in self.current if e["event"] == "step"]

    @property
    def evals(self) -> list[dict[str, Any]]:
        return [e for e in self.current if e["event"] == "eval"]

    @property
    def total(self) -> int | None:
        steps = self.steps
        if steps and steps[-1].get("total"):
            return steps[-1]["total"]
        for event in reversed(self.events):
            if event["event"] in ("started", "resumed") and event.get("total"):
                return event["total"]
        return None


class TrainPane(Widget):
    """Configure, start, stop and resume training; watch a run live."""

    # Unscoped: Textual would prefix the pane's type to rules that start with `Screen.-narrow`
    # (the breakpoint classes, medtui.tui.layout), and they would never match.
    SCOPED_CSS = False
    # Wide and tall: the form beside the run's status, the charts and the log below. Compact (a
    # narrow or short screen, see medtui.tui.layout): one view at a time, ctrl+f between them, the
    # run view while a run is shown, so its curves get the room.
    DEFAULT_CSS = """
    TrainPane { height: 1fr; layout: vertical; }
    TrainPane #train-top { height: 12; }
    TrainPane #train-form { width: 62; padding: 0 1; border-right: solid $primary-background; overflow-y: auto; }
    TrainPane .train-row { height: 1; }
    TrainPane .train-label { width: 12; color: $text-muted; }
    TrainPane .train-row Input { width: 1fr; height: 1; border: none; padding: 0 1; }
    TrainPane .train-row Input.-invalid { background: $error 25%; }
    TrainPane #train-4bit { height: 1; border: none; padding: 0; background: transparent; }
    TrainPane #train-problems { height: auto; max-height: 3; color: $error; }
    TrainPane #train-others { height: auto; color: $text-muted; }
    TrainPane #train-status-box { width: 1fr; padding: 0 1; }
    TrainPane #train-run { text-style: bold; }
    TrainPane #train-progress { height: 1; }
    TrainPane #train-progress-text { height: 1; width: 1fr; }
    TrainPane #train-metrics { height: auto; }
    TrainPane #train-message { color: $text-muted; }
    TrainPane #train-log { height: 8; border-top: solid $primary-background; }

    Screen.-narrow TrainPane #train-top, Screen.-short TrainPane #train-top { height: auto; layout: vertical; }
    Screen.-narrow TrainPane #train-form, Screen.-short TrainPane #train-form { width: 1fr; border-right: none; }
    Screen.-narrow TrainPane #train-status-box, Screen.-short TrainPane #train-status-box { height: auto; }
    Screen.-narrow TrainPane #train-log, Screen.-short TrainPane #train-log { height: 4; scrollbar-size-horizontal: 0; }
    Screen.-narrow TrainPane.-view-run #train-form, Screen.-short TrainPane.-view-run #train-form { display: none; }
    Screen.-narrow TrainPane.-view-form #train-status-box, Screen.-short TrainPane.-view-form #train-status-box,
    Screen.-narrow TrainPane.-view-form #train-charts, Screen.-short TrainPane.-view-form #train-charts,
    Screen.-narrow TrainPane.-view-form #train-log, Screen.-short TrainPane.-view-form #train-log { display: none; }
    """

    BINDINGS = [
        Binding("ctrl+s", "start", "Start", tooltip="start a run with the config in the fields (checked first)"),
        Binding("ctrl+t", "stop", "Stop", tooltip="stop the running run; it saves a checkpoint first"),
        Binding("ctrl+r", "resume", "Resume", tooltip="resume a stopped, failed or died run from its last checkpoint"),
        Binding("ctrl+l", "latest", "Latest", tooltip="show the newest run"),
        Binding("ctrl+f", "toggle_view", "Form/run",
                tooltip="on a small terminal: switch between the config form and the run's progress and curves"),
    ]

    class Launched(Message):
        def __init__(self, run_dir: Path, note: str) -> None:
            super().__init__()
            self.run_dir, self.note = run_dir, note

    class Failed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Stopped(Message):
        def __init__(self, run_dir: Path, ok: bool) -> None:
            super().__init__()
            self.run_dir, self.ok = run_dir, ok

    def __init__(self, cfg: Config, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.view: RunView | None = None
        self.busy = False
        self._drawn_steps = -1
        self._drawn_evals = -1
        self._since_run_check = 0.0
        self.view_mode = "form"  # which view a compact layout shows: "form" or "run"

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        values = field_values(self.cfg)
        with Horizontal(id="train-top"):
            with Vertical(id="train-form"):
                for field_id, (_, _, label) in FIELDS.items():
                    with Horizontal(classes="train-row"):
                        yield Label(label, classes="train-label")
                        placeholder = "(embedded SmolLM2-135M-Instruct)" if field_id == "model" else ""
                        yield Input(values[field_id], placeholder=placeholder, id=f"train-{field_id}")
                with Horizontal(classes="train-row"):
                    yield Label("4-bit NF4", classes="train-label")
                    yield Checkbox("load the base model in 4 bits", self.cfg.model.load_in_4bit, id="train-4bit")
                yield Static("", id="train-problems", markup=False)
                yield Static(self._others_text(self.cfg), id="train-others", markup=False)
            with Vertical(id="train-status-box"):
                yield ElidedLine("No run yet: check the fields and press ctrl+s to start.", id="train-run")
                yield ProgressBar(total=None, show_eta=False, id="train-progress")
                yield Label("", id="train-progress-text")
                yield Static("", id="train-metrics")
                yield ElidedLine(id="train-message")
        yield ChartBox([("train-loss-chart", "loss"), ("train-lr-chart", "learning rate")], id="train-charts")
        yield Log(max_lines=LOG_LINES, id="train-log", auto_scroll=True)

    @staticmethod
    def _others_text(cfg: Config) -> str:
        t = cfg.train
        schedule = f"{t.lr_scheduler_type}, warm-up {t.warmup_ratio:g}"
        early = f"patience {t.early_stopping_patience}" if t.early_stopping_patience else "off"
        return (f"batch {t.per_device_train_batch_size} x accum {t.gradient_accumulation_steps} x "
                f"{t.num_processes} proc · {schedule} · max_length {cfg.model.max_length}\n"
                f"save/eval every {t.save_steps}/{t.eval_steps} · early stop {early} · "
                f"alpha {cfg.lora.lora_alpha} · seed {t.seed} · assistant-only loss "
                f"{'on' if t.assistant_only_loss else 'off'}")

    def on_show(self) -> None:
        # Other panes focus their inputs on mount, even hidden; the keys of this pane need focus here.
        if pane_is_shown(self) and not self.has_focus_within:
            self._focus_view()

    def on_mount(self) -> None:
        self._set_view("form")
        self._draw_charts()
        self.check_fields()
        self.attach(self._initial_run())
        self.set_interval(POLL_S, self._tick)

    def on_resize(self) -> None:
        self.refresh_bindings()  # ctrl+f is offered only where the layout is compact

    # ---- the two views of a compact layout ---------------------------------------------------

    def _set_view(self, mode: str) -> None:
        self.view_mode = mode
        self.set_class(mode == "form", "-view-form")
        self.set_class(mode == "run", "-view-run")

    def _focus_view(self) -> None:
        """Focus what the view shows: the first field, or the log (the pane's keys need focus inside)."""
        if self.view_mode == "run" and is_compact(self):
            self.query_one("#train-log", Log).focus()
        else:
            self.query_one("#train-model", Input).focus()

    def show_view(self, mode: str) -> None:
        if mode == self.view_mode:
            return
        self._set_view(mode)
        if pane_is_shown(self) and is_compact(self):
            self._focus_view()

    def action_toggle_view(self) -> None:
        self.show_view("form" if self.view_mode == "run" else "run")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "toggle_view":
            return is_compact(self)
        return True

    # ---- which run -----------------------------------------------------------------------

    def _runs_root(self) -> Path:
        from medtui.runs import runs_root

        return runs_root(self.cfg)

    def _initial_run(self) -> Path | None:
        """The newest running run, else the newest run: reopening shows what is going on."""
        runs = list_runs(self._runs_root())
        for run_dir in reversed(runs[-20:]):
            if run_state(run_dir).status in ("running", "pending"):
                return run_dir
        return runs[-1] if runs else None

    def attach(self, run_dir: Path | None) -> None:
        if run_dir is None:
            return
        if self.view is not None and self.view.run_dir == run_dir:
            return
        self.view = RunView(run_dir)
        self.show_view("run")
        self._drawn_steps = self._drawn_evals = -1
        log = self.query_one("#train-log", Log)
        log.clear()
        new = self.view.poll()
        log.write_lines([describe_event(e) for e in new])
        self._refresh()

    def _tick(self) -> None:
        self._since_run_check += POLL_S
        if self._since_run_check >= NEW_RUN_CHECK_S:
            self._since_run_check = 0.0
            self._follow_newer_run()
        if self.view is None:
            return
        before = self.view.status
        new = self.view.poll()
        if new:
            self.query_one("#train-log", Log).write_lines([describe_event(e) for e in new])
        if new or self.view.status != before:
            self._refresh()

    def _follow_newer_run(self) -> None:
        """A run started elsewhere (the CLI, another TUI) while this one shows an idle run."""
        if self.view is not None and self.view.status in ("running", "pending"):
            return
        runs = list_runs(self._runs_root())
        if runs and (self.view is None or runs[-1].name > self.view.run_dir.name):
            if run_state(runs[-1]).status in ("running", "pending"):
                self.attach(runs[-1])

    # ---- drawing -------------------------------------------------------------------------

    def _refresh(self) -> None:
        view = self.view
        if view is None:
            return
        steps = view.steps
        last = steps[-1] if steps else {}
        total = view.total
        status = view.status
        style = {"running": "bold green", "finished": "bold", "failed": "bold red", "died": "bold red",
                 "stopped": "bold yellow"}.get(status, "bold")
        self.query_one("#train-run", ElidedLine).set_parts(Elide(view.run_dir.name, "bold"), "  ", (status, style))

        bar = self.query_one("#train-progress", ProgressBar)
        step = last.get("step", 0)
        if total:
            bar.update(total=total, progress=step)
        else:
            bar.update(total=None)
        parts = [f"step {step}/{total if total else '?'}"]
        if status == "running":
            parts.append(f"ETA {format_duration(last.get('eta'))}" if last else "loading the model")
        if last.get("elapsed") is not None:
            parts.append(f"elapsed {format_duration(last.get('elapsed'))}")
        self.query_one("#train-progress-text", Label).update(" · ".join(parts))

        evals = view.evals
        metrics = Text()
        metrics.append("loss ", "dim").append(format_number(last.get("loss")))
        metrics.append("   eval loss ", "dim").append(format_number(evals[-1]["eval_loss"]) if evals else "-")
        metrics.append("   grad norm ", "dim").append(format_number(last.get("grad_norm"), 3))
        metrics.append("\nlr ", "dim").append(format_number(last.get("learning_rate"), 3))
        metrics.append("   tokens/s ", "dim").append(format_number(last.get("tokens_per_s"), 0))
        metrics.append("   memory ", "dim").append(f"{format_number(last.get('memory_mb'), 0)} MB" if last else "-")
        metrics.append("   epoch ", "dim").append(format_number(last.get("epoch"), 3))
        self.query_one("#train-metrics", Static).update(metrics)
        self.query_one("#train-message", ElidedLine).set_parts(*self._status_message(view))

        if len(steps) != self._drawn_steps or len(evals) != self._drawn_evals:
            self._drawn_steps, self._drawn_evals = len(steps), len(evals)
            self._draw_charts(steps, evals)

    def _status_message(self, view: RunView) -> tuple:
        """The parts of the line under the metrics (a path in it is elided, not cut)."""
        status = view.status
        terminal = next((e for e in reversed(view.events) if e["event"] in ("finished", "stopped", "failed")), None)
        if status == "failed" and terminal:
            return ((f"failed: {terminal.get('message')}  (ctrl+r resumes from the last checkpoint)", "red"),)
        if status == "died":
            return (("the worker died without a final event; ctrl+r resumes from the last complete checkpoint", "red"),)
        if status == "stopped" and terminal and terminal.get("checkpoint"):
            return ("stopped with a checkpoint; ctrl+r resumes it",)
        if status == "stopped":
            return ("stopped before its first step: nothing to resume; ctrl+s starts a new run",)
        if status == "finished" and terminal:
            return ("adapter: ", Elide(str(terminal.get("adapter"))))
        if status == "running":
            return ("running in its own process: close the TUI at will; ctrl+t stops with a checkpoint",)
        return ("",)

    def _draw_charts(self, steps: list[dict] | None = None, evals: list[dict] | None = None) -> None:
        steps = steps or []
        evals = evals or []
        loss_chart = self.query_one("#train-loss-chart", PlotextPlot)
        plt = loss_chart.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("loss")
        xs = [e["step"] for e in steps if e.get("loss") is not None]
        ys = [e["loss"] for e in steps if e.get("loss") is not None]
        box = self.query_one("#train-charts", ChartBox)
        box.spark("train-loss-chart", ys, format_number(ys[-1]) if ys else "-")
        if xs:
            plt.plot(xs, ys, label="train", marker="braille")
        eval_points = [(e["step"], e["eval_loss"]) for e in evals if e.get("eval_loss") is not None]
        if eval_points:
            plt.plot([p[0] for p in eval_points], [p[1] for p in eval_points], label="eval", marker="dot")
        plt.xlabel("step")
        loss_chart.refresh()

        lr_chart = self.query_one("#train-lr-chart", PlotextPlot)
        plt = lr_chart.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("learning rate")
        points = [(e["step"], e["learning_rate"]) for e in steps if e.get("learning_rate") is not None]
        box.spark("train-lr-chart", [p[1] for p in points], format_number(points[-1][1], 3) if points else "-")
        if points:
            plt.plot([p[0] for p in points], [p[1] for p in points], marker="braille")
        plt.xlabel("step")
        lr_chart.refresh()

    # ---- the form ------------------------------------------------------------------------

    def _values(self) -> dict[str, str]:
        return {field_id: self.query_one(f"#train-{field_id}", Input).value for field_id in FIELDS}

    def check_fields(self) -> Config | None:
        """Validate the fields against the schema; mark bad ones and list their problems."""
        new_cfg, problems = config_from_fields(self.cfg, self._values(), self.query_one("#train-4bit", Checkbox).value)
        for field_id in FIELDS:
            self.query_one(f"#train-{field_id}", Input).set_class(field_id in problems, "-invalid")
        self.query_one("#train-problems", Static).update(Text("\n".join(problems.values())))
        if new_cfg is not None:
            self.query_one("#train-others", Static).update(self._others_text(new_cfg))
        return new_cfg

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("train-"):
            self.check_fields()

    @on(Checkbox.Changed, "#train-4bit")
    def _toggled(self) -> None:
        self.check_fields()

    # ---- actions -------------------------------------------------------------------------

    def _say(self, text: str, style: str = "") -> None:
        self.query_one("#train-message", ElidedLine).set_parts((text, style))

    def action_start(self) -> None:
        if self.busy:
            return
        if self.view is not None and self.view.status in ("running", "pending"):
            self.notify("A run is already going; stop it first (ctrl+t).", severity="warning")
            return
        new_cfg = self.check_fields()
        if new_cfg is None:
            self._say("not started: fix the marked fields first", "red")
            self.show_view("form")
            self.notify("Fix the marked fields first.", severity="error")
            return
        self.busy = True
        self._say("checking the config and the data, then starting the worker ...", "italic")
        self._start(new_cfg)

    @work(thread=True, exclusive=True, group="train-launch", exit_on_error=False)
    def _start(self, cfg: Config) -> None:
        from medtui.train.launch import start_run

        try:
            run_dir = start_run(cfg, detach=True)
        except Exception as exc:  # the message and hint as the CLI prints them, never a traceback in the UI
            self.post_message(self.Failed(describe_error(exc)))
        else:
            self.post_message(self.Launched(run_dir, "started"))

    def action_stop(self) -> None:
        if self.busy or self.view is None:
            return
        if self.view.status != "running":
            self.notify(f"{self.view.run_dir.name} is not running ({self.view.status}).", severity="warning")
            return
        self.busy = True
        self._say("stopping: the worker saves a checkpoint at the end of its current step ...", "italic")
        self._stop(self.view.run_dir)

    @work(thread=True, exclusive=True, group="train-launch", exit_on_error=False)
    def _stop(self, run_dir: Path) -> None:
        from medtui.errors import MedtuiError
        from medtui.train.launch import stop_run

        try:
            stopped = stop_run(run_dir, timeout=300)
        except MedtuiError as exc:  # not this run's worker, or on another machine
            self.post_message(self.Failed(exc.describe()))
            return
        self.post_message(self.Stopped(run_dir, stopped))

    def action_resume(self) -> None:
        if self.busy or self.view is None:
            return
        if self.view.status not in ("stopped", "died", "failed"):
            self.notify(f"{self.view.run_dir.name} cannot be resumed ({self.view.status}).", severity="warning")
            return
        self.busy = True
        self._say("resuming from the latest complete checkpoint ...", "italic")
        self._resume(self.view.run_dir)

    @work(thread=True, exclusive=True, group="train-launch", exit_on_error=False)
    def _resume(self, run_dir: Path) -> None:
        from medtui.train.launch import resume_run

        try:
            plan = resume_run(run_dir, self.cfg, detach=True)
        except Exception as exc:
            self.post_message(self.Failed(describe_error(exc)))
        else:
            for warning in plan.warnings:
                self.app.call_from_thread(self.notify, warning, severity="warning", timeout=10)
            self.post_message(self.Launched(run_dir, "resumed"))

    def action_latest(self) -> None:
        runs = list_runs(self._runs_root())
        if runs:
            self.attach(runs[-1])
            self.show_view("run")

    # ---- results from workers ------------------------------------------------------------

    @on(Launched)
    def _launched(self, message: Launched) -> None:
        self.busy = False
        self.notify(f"Run {message.run_dir.name} {message.note}.")
        self.attach(message.run_dir)
        self._tick()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self._say(message.text, "red")
        if self.view_mode == "form":  # the status box is folded away on a small screen: say it in the form
            self.query_one("#train-problems", Static).update(Text(message.text))
        self.notify(message.text.splitlines()[0], severity="error", timeout=8)

    @on(Stopped)
    def _stopped(self, message: Stopped) -> None:
        self.busy = False
        if not message.ok:
            self.notify("The worker has not stopped yet; it may be evaluating or saving.", severity="warning")
        self._tick()
