"""The Export pane: choose a run, a checkpoint and quantized types; start; watch each stage's
progress bar; read the result table (file, size, perplexity, agreement) and the `ollama create`
command to copy.

The export itself runs as `medtui export ... --events`, a child process whose JSON lines a thread
worker reads and posts to the pane as messages. A child rather than a thread: merging loads the
full model (the TUI's memory stays small and torch-free), and Cancel is a SIGTERM the CLI turns
into a clean stop that deletes the half-built folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, DataTable, Label, ProgressBar, Select, SelectionList, Static

from medtui.tui.layout import Elide, ElidedLine
from medtui.tui.panes import pane_is_shown
from medtui.config import Config
from medtui.export.pipeline import STAGES
from medtui.runs import RunSummary, format_bytes, list_runs, runs_root

# The types offered as checkboxes (any llama.cpp type works from the CLI).
OFFERED_QUANTS = ("Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16")
FINAL = "final"


def checkpoint_options(summary: RunSummary) -> list[tuple[str, str]]:
    """(label, value) for each exportable adapter of a run, newest first."""
    options = []
    if summary.adapter is not None:
        options.append(("final adapter", FINAL))
    for ckpt in reversed(summary.checkpoints):
        loss = f"  eval {ckpt.eval_loss:.4f}" if ckpt.eval_loss is not None else ""
        options.append((f"{ckpt.name}{loss}", ckpt.name))
    return options


def _run_label(summary: RunSummary) -> str:
    return f"{summary.run_id}  ({summary.status})"


class ExportPane(Widget):
    """Export a run's adapter to GGUF files and an Ollama Modelfile."""

    # Unscoped: Textual would prefix the pane's type to rules that start with `Screen.-narrow`
    # (the breakpoint classes, medtui.tui.layout), and they would never match.
    SCOPED_CSS = False
    # Wide: run and checkpoint | types | buttons and notes, side by side. Compact (narrow or short,
    # see medtui.tui.layout; the controls are borderless there): a grid with the buttons under the
    # run and checkpoint and the types beside both, so the choices take 7 rows and every stage bar,
    # the result table and the command stay on an 80x24 screen.
    DEFAULT_CSS = """
    ExportPane { layout: vertical; height: 1fr; padding: 0 1; }
    ExportPane #export-choose { height: auto; }
    ExportPane #export-left { width: 58; height: auto; }
    ExportPane #export-middle { width: 22; height: auto; margin-left: 2; }
    ExportPane #export-right { width: 1fr; height: auto; margin-left: 2; }
    ExportPane .field-label { height: 1; color: $text-muted; margin-top: 1; }
    ExportPane #export-run, ExportPane #export-checkpoint { width: 100%; }
    ExportPane #export-quants { height: auto; width: 100%; }
    ExportPane #export-buttons { height: auto; margin-top: 1; }
    ExportPane #export-buttons Button { margin-right: 1; }
    ExportPane #export-info { height: auto; color: $text-muted; margin-top: 1; }
    ExportPane #export-stages { height: auto; margin-top: 1; }
    ExportPane .stage { height: 1; }
    ExportPane .stage-name { width: 20; }
    ExportPane .stage ProgressBar { width: 44; }
    ExportPane .stage-message { width: 1fr; color: $text-muted; }
    ExportPane #export-status { margin-top: 1; }
    ExportPane #export-results { height: auto; max-height: 8; }
    ExportPane #export-command { height: auto; margin-top: 1; }

    Screen.-narrow ExportPane #export-choose, Screen.-short ExportPane #export-choose {
        layout: grid; grid-size: 2 2; grid-columns: 1fr 20; grid-rows: auto auto; grid-gutter: 0 2;
    }
    Screen.-narrow ExportPane #export-left, Screen.-short ExportPane #export-left { width: 1fr; }
    Screen.-narrow ExportPane #export-middle, Screen.-short ExportPane #export-middle { width: 20; margin-left: 0; row-span: 2; }
    Screen.-narrow ExportPane #export-right, Screen.-short ExportPane #export-right { width: 1fr; margin-left: 0; }
    Screen.-narrow ExportPane .field-label, Screen.-short ExportPane .field-label { margin-top: 0; }
    Screen.-narrow ExportPane #export-buttons, Screen.-short ExportPane #export-buttons { margin-top: 0; }
    Screen.-narrow ExportPane #export-info, Screen.-short ExportPane #export-info { margin-top: 0; }
    Screen.-narrow ExportPane #export-stages, Screen.-short ExportPane #export-stages { margin-top: 0; }
    Screen.-narrow ExportPane .stage-name, Screen.-short ExportPane .stage-name { width: 20; }
    Screen.-narrow ExportPane .stage ProgressBar, Screen.-short ExportPane .stage ProgressBar { width: 34; }
    Screen.-narrow ExportPane .stage Bar, Screen.-short ExportPane .stage Bar { width: 1fr; }
    Screen.-narrow ExportPane #export-status, Screen.-short ExportPane #export-status { margin-top: 0; }
    Screen.-narrow ExportPane #export-results, Screen.-short ExportPane #export-results { max-height: 5; }
    Screen.-narrow ExportPane #export-command, Screen.-short ExportPane #export-command { margin-top: 0; }
    """
    BINDINGS = [
        Binding("s", "start", "Start", tooltip="export the chosen run and checkpoint to the ticked types"),
        Binding("x", "cancel", "Cancel", tooltip="stop the export; the half-built folder is removed"),
        Binding("y", "copy_command", "Copy command", tooltip="copy the `ollama create` command of the last export"),
        Binding("ctrl+r", "refresh_runs", "Refresh", tooltip="list the runs again (a run that just finished)"),
    ]

    class StageProgress(Message):
        def __init__(self, stage: str, fraction: float, text: str) -> None:
            super().__init__()
            self.stage, self.fraction, self.text = stage, fraction, text

    class Finished(Message):
        def __init__(self, result: dict[str, Any]) -> None:
            super().__init__()
            self.result = result

    class Failed(Message):
        def __init__(self, text: str, cancelled: bool = False) -> None:
            super().__init__()
            self.text, self.cancelled = text, cancelled

    def __init__(self, cfg: Config, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.summaries: dict[str, RunSummary] = {}
        self.pending_choice: tuple[str, str | None] | None = None
        self.process: subprocess.Popen | None = None
        self.cancelling = False
        self.result: dict[str, Any] | None = None
        self.running = False

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        chosen = set(self.cfg.export.quants)
        with Horizontal(id="export-choose"):
            with Vertical(id="export-left"):
                yield Label("Run", classes="field-label")
                yield Select([], prompt="no runs yet", id="export-run")
                yield Label("Checkpoint", classes="field-label")
                yield Select([], prompt="choose a run first", id="export-checkpoint")
            with Vertical(id="export-middle"):
                yield Label("Types (space ticks)", classes="field-label")
                yield SelectionList[str](*((q, q, q in chosen) for q in OFFERED_QUANTS), id="export-quants")
            with Vertical(id="export-right"):
                with Horizontal(id="export-buttons"):
                    yield Button("Start (s)", variant="primary", id="export-start")
                    yield Button("Cancel (x)", id="export-cancel", disabled=True)
                yield Static(self._info_text(), id="export-info")
        with Vertical(id="export-stages"):
            for name, title in STAGES:
                with Horizontal(classes="stage"):
                    yield Label(title, classes="stage-name")
                    yield ProgressBar(total=100, show_eta=False, id=f"bar-{name}")
                    yield Static("", classes="stage-message", id=f"msg-{name}")
        yield ElidedLine(id="export-status")
        yield DataTable(id="export-results", cursor_type="row", zebra_stripes=True)
        yield ElidedLine(id="export-command")

    def _info_text(self) -> str:
        records = self.cfg.export.fidelity_records
        fidelity = f"fidelity on {records} held-out records" if records else "no fidelity report"
        return (f"Into {self.cfg.export.out_dir}/, merging on {self.cfg.export.merge_device}, {fidelity}.\n"
                "F16 keeps the unquantized GGUF.")

    def on_mount(self) -> None:
        table = self.query_one("#export-results", DataTable)
        for key, label in (("file", "File"), ("size", "Size"), ("ppl", "Perplexity"), ("agree", "Agreement")):
            table.add_column(label, key=key)
        table.display = False
        self.refresh_runs()

    def on_show(self) -> None:
        if pane_is_shown(self) and (self.screen.focused is None or self not in self.screen.focused.ancestors):
            self.query_one("#export-run", Select).focus()
        if pane_is_shown(self) and not self.running:
            self.refresh_runs()  # a run stopped or finished in the Train pane since the last look

    def on_hide(self) -> None:
        if self.screen.focused is not None and self in self.screen.focused.ancestors:
            self.screen.set_focus(None)

    def on_unmount(self) -> None:
        self._stop_child()

    # -- runs and checkpoints ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="export-runs")
    def refresh_runs(self) -> None:
        summaries = list_runs(runs_root(self.cfg))
        self.app.call_from_thread(self._show_runs, summaries)

    def action_refresh_runs(self) -> None:
        self.refresh_runs()

    def _show_runs(self, summaries: list[RunSummary]) -> None:
        exportable = [s for s in summaries if s.exportable]
        self.summaries = {s.run_id: s for s in exportable}
        runs = self.query_one("#export-run", Select)
        current = runs.value
        runs.set_options([(_run_label(s), s.run_id) for s in exportable])
        if not exportable:
            runs.prompt = f"no run with an adapter in {self.cfg.train.output_dir}/"
        if self.pending_choice and self.pending_choice[0] in self.summaries:
            runs.value = self.pending_choice[0]
        elif current in self.summaries:
            runs.value = current
        elif exportable:
            runs.value = exportable[0].run_id
        self._show_checkpoints()

    @on(Select.Changed, "#export-run")
    def _run_changed(self) -> None:
        self._show_checkpoints()

    def _show_checkpoints(self) -> None:
        run_id = self.query_one("#export-run", Select).value
        select = self.query_one("#export-checkpoint", Select)
        summary = self.summaries.get(run_id) if isinstance(run_id, str) else None
        if summary is None:
            select.set_options([])
            return
        options = checkpoint_options(summary)
        current = select.value
        select.set_options(options)
        values = [v for _, v in options]
        wanted = None
        if self.pending_choice and self.pending_choice[0] == run_id:
            wanted = self.pending_choice[1] or FINAL
            self.pending_choice = None
        if wanted in values:
            select.value = wanted
        elif current in values:
            select.value = current
        elif values:
            select.value = values[0]

    def choose(self, run_id: str, checkpoint: str | None = None) -> None:
        """Select a run and checkpoint (None: the final adapter), e.g. from the Runs pane."""
        self.pending_choice = (run_id, checkpoint)
        if run_id in self.summaries:
            self.query_one("#export-run", Select).value = run_id
            self._show_checkpoints()
        self.refresh_runs()  # the run may be newer than the last listing

    # -- starting and cancelling -----------------------------------------------------------------

    def chosen_quants(self) -> list[str]:
        ticked = set(self.query_one("#export-quants", SelectionList).selected)
        return [q for q in OFFERED_QUANTS if q in ticked]

    def export_command(self, target: str, quants: list[str]) -> list[str]:
        """The CLI call that performs the export with this pane's configuration."""
        cfg = self.cfg
        args = [sys.executable, "-m", "medtui", "export", target, "--events"]
        if cfg.source is not None:
            args += ["--config", str(cfg.source)]
        for key, value in (
            ("train.output_dir", str(runs_root(cfg))),
            ("export.out_dir", str(cfg.path(cfg.export.out_dir))),
            ("export.fidelity_records", cfg.export.fidelity_records),
            ("export.merge_device", cfg.export.merge_device),
            ("export.num_ctx", cfg.export.num_ctx),
            ("model.cache_dir", cfg.model.cache_dir),
        ):
            args += ["--set", f"{key}={json.dumps(value)}"]
        for quant in quants:
            args += ["--quant", quant]
        return args

    @on(Button.Pressed, "#export-start")
    def action_start(self) -> None:
        if self.running:
            self.notify("An export is already running.", title="Export", severity="warning")
            return
        run_id = self.query_one("#export-run", Select).value
        checkpoint = self.query_one("#export-checkpoint", Select).value
        if not isinstance(run_id, str) or not isinstance(checkpoint, str):
            self.notify("Choose a run and a checkpoint first.", title="Export", severity="warning")
            return
        quants = self.chosen_quants()
        if not quants:
            self.notify("Tick at least one quantized type.", title="Export", severity="warning")
            return
        self.running, self.cancelling, self.result = True, False, None
        for name, _ in STAGES:
            self.query_one(f"#bar-{name}", ProgressBar).update(progress=0)
            self.query_one(f"#msg-{name}", Static).update("")
        self.query_one("#export-results", DataTable).display = False
        self.query_one("#export-command", ElidedLine).set_parts("")
        self.query_one("#export-status", ElidedLine).set_parts(
            "Exporting ", Elide(f"{run_id}:{checkpoint}", "bold"), f" to {', '.join(quants)} …")
        self._set_running(True)
        self._run_child(self.export_command(f"{run_id}:{checkpoint}", quants))

    def _set_running(self, running: bool) -> None:
        self.query_one("#export-start", Button).disabled = running
        self.query_one("#export-cancel", Button).disabled = not running

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        if not self.running or self.process is None:
            return
        self.cancelling = True
        self.query_one("#export-status", ElidedLine).set_parts("Cancelling: the half-built export is being removed …")
        self._stop_child()

    def _stop_child(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            try:
                process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    @work(thread=True, exclusive=True, group="export-run")
    def _run_child(self, args: list[str]) -> None:
        errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        try:
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL,
                                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        except OSError as exc:
            self.post_message(self.Failed(f"could not start the export: {exc}"))
            return
        outcome: Message | None = None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = event.get("event")
            if kind == "progress":
                self.post_message(self.StageProgress(event["stage"], float(event["fraction"]), event.get("message", "")))
            elif kind == "done":
                outcome = self.Finished(event["result"])
            elif kind == "error":
                outcome = self.Failed(event.get("message", "the export failed"))
        code = self.process.wait()
        if outcome is None:
            errors.seek(0)
            tail = [line.strip() for line in errors.read().splitlines() if line.strip().startswith("medtui:")]
            if self.cancelling or code in (130, -signal.SIGTERM):
                outcome = self.Failed("Export cancelled; nothing was left in the export folder.", cancelled=True)
            else:
                outcome = self.Failed(tail[-1] if tail else f"the export stopped (exit status {code})")
        errors.close()
        self.post_message(outcome)

    # -- progress and results (UI thread) -----------------------------------------------------------

    def on_export_pane_stage_progress(self, message: StageProgress) -> None:
        names = [name for name, _ in STAGES]
        if message.stage not in names:
            return
        for earlier in names[: names.index(message.stage)]:
            self.query_one(f"#bar-{earlier}", ProgressBar).update(progress=100)
        self.query_one(f"#bar-{message.stage}", ProgressBar).update(progress=round(message.fraction * 100, 1))
        self.query_one(f"#msg-{message.stage}", Static).update(message.text)

    def on_export_pane_finished(self, message: Finished) -> None:
        self._done()
        result = self.result = message.result
        for name, _ in STAGES:
            self.query_one(f"#bar-{name}", ProgressBar).update(progress=100)
        table = self.query_one("#export-results", DataTable)
        table.clear()
        table.add_row("merged/ (safetensors)", format_bytes(result.get("merged_bytes") or 0),
                      _number(result.get("merged_perplexity")), "—", key="merged")
        for item in result["gguf"]:
            agreement = f"{item['agreement']:.1%}" if item.get("agreement") is not None else "—"
            table.add_row(Path(item["path"]).name, format_bytes(item["bytes"]), _number(item.get("perplexity")),
                          agreement, key=item["quant"])
        table.display = True
        self.query_one("#export-status", ElidedLine).set_parts(("Done: ", "bold green"), Elide(result["dir"]))
        # One line: a long Modelfile path is elided in the middle on screen; y copies it whole.
        self.query_one("#export-command", ElidedLine).set_parts(
            ("Ollama (y copies): ", "bold"), Elide(result["ollama_create"]))
        for warning in result.get("warnings") or []:
            self.notify(warning, title="Export note", severity="warning", timeout=10)

    def on_export_pane_failed(self, message: Failed) -> None:
        self._done()
        style = "yellow" if message.cancelled else "bold red"
        self.query_one("#export-status", ElidedLine).set_parts((message.text, style))
        if not message.cancelled:
            self.notify(message.text, title="Export failed", severity="error", timeout=15)

    def _done(self) -> None:
        self.running = False
        self.process = None
        self._set_running(False)

    def action_copy_command(self) -> None:
        if not self.result:
            self.notify("No export yet: the command appears when one finishes.", title="Export")
            return
        self.app.copy_to_clipboard(self.result["ollama_create"])
        self.notify(self.result["ollama_create"], title="Copied")


def _number(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "—"
