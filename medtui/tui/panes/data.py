"""The Data pane: open a data file, see its shape, counts and problems, and preview any record
through the model's chat template with the loss-carrying tokens highlighted.

All work (reading, validating, loading the tokenizer, rendering) runs in thread workers that post
messages back; the widgets are only touched from message handlers, so the UI never freezes.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Static
from textual.worker import get_current_worker

from medtui.config import Config
from medtui.data.loaders import KINDS
from medtui.data.records import ERROR, ValidationReport
from medtui.errors import describe_error

TABLE_LIMIT = 2000  # rows shown; the CLI's --json has them all


class _Cancelled(Exception):
    """A newer request superseded this worker."""


class PathSuggester(Suggester):
    """Completes folders and data files (relative paths against the config's folder)."""

    def __init__(self, root: Path):
        super().__init__(use_cache=False, case_sensitive=True)
        self.root = root

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = self.root / path
        folder, prefix = (path, "") if value.endswith("/") else (path.parent, path.name)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: (not e.is_dir(), e.name))
        except OSError:
            return None
        for entry in entries:
            if not entry.name.startswith(prefix) or entry.name == prefix:
                continue
            if entry.name.startswith(".") and not prefix.startswith("."):
                continue
            if entry.is_dir():
                return value + entry.name[len(prefix):] + "/"
            if Path(entry.name).suffix.lower() in KINDS:
                return value + entry.name[len(prefix):]
        return None


def _display_path(path: str, root: Path) -> str:
    """A path as the user should see it: relative to the config's folder when inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(root.resolve())) if p.is_absolute() else path
    except ValueError:
        return path


class DataPane(Widget):
    """Validate a data file and browse its problems and records."""

    DEFAULT_CSS = """
    DataPane { height: 1fr; layout: vertical; }
    DataPane #data-bar { height: auto; }
    DataPane #data-path { width: 1fr; }
    DataPane #data-open { min-width: 12; }
    DataPane #data-summary { height: auto; padding: 0 1; }
    DataPane #data-status { height: 1; padding: 0 1; }
    DataPane #data-status ProgressBar { width: 40; }
    DataPane #data-status Label { width: 1fr; color: $text-muted; padding-left: 1; }
    DataPane #data-problems { height: 2fr; }
    DataPane #data-record-title { height: auto; padding: 0 1; background: $boost; }
    DataPane #data-preview-scroll { height: 3fr; }
    DataPane #data-preview { padding: 0 1; }
    """

    RECORDS = Binding.Group("Record")
    BINDINGS = [
        Binding("ctrl+o", "open", "Open", tooltip="go to the path box to type a data file or hub id"),
        Binding("ctrl+r", "revalidate", "Revalidate", tooltip="validate the file in the path box again"),
        Binding("ctrl+n", "next_file", "Next file", tooltip="validate the config's next data file"),
        # ctrl+arrows: plain keys would be typed into the path box when it has focus
        Binding("ctrl+up", "step_record(-1)", "Previous record", group=RECORDS,
                tooltip="preview the previous record through the chat template"),
        Binding("ctrl+down", "step_record(1)", "Next record", group=RECORDS,
                tooltip="preview the next record through the chat template"),
    ]

    # Every message carries the generation of the request it answers: a worker that was superseded
    # (a thread cannot be stopped mid-step) may still post, and its news must not overwrite newer news.
    class Progressed(Message):
        def __init__(self, generation: int, stage: str, done: int, total: int) -> None:
            super().__init__()
            self.generation, self.stage, self.done, self.total = generation, stage, done, total

    class Validated(Message):
        def __init__(self, generation: int, report: ValidationReport, note: str, final: bool) -> None:
            super().__init__()
            self.generation, self.report, self.note, self.final = generation, report, note, final

    class Failed(Message):
        def __init__(self, generation: int, text: str) -> None:
            super().__init__()
            self.generation, self.text = generation, text

    class Previewed(Message):
        def __init__(self, generation: int, record: int, title: Text, body: Text) -> None:
            super().__init__()
            self.generation, self.record, self.title, self.body = generation, record, title, body

    def __init__(self, cfg: Config, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.report: ValidationReport | None = None
        self.record: int | None = None
        self._tokenizer = None
        self._loss_template = None
        self._tokenizer_error: str | None = None
        self._tokenizer_lock = threading.Lock()
        self._raw_lines: dict[str, list[bytes]] = {}
        self._generation = 0
        sources = [*cfg.train_files, *([cfg.data.eval_file] if cfg.data.eval_file else [])]
        self.sources = [_display_path(str(cfg.path(s)) if not _is_hub(s, cfg) else s, cfg.root) for s in sources]

    def compose(self) -> ComposeResult:
        with Horizontal(id="data-bar"):
            yield Input(
                value=self.sources[0] if self.sources else "",
                placeholder="data file (.jsonl .json .csv .tsv .parquet) or hub id; → accepts the completion",
                suggester=PathSuggester(self.cfg.root), id="data-path",
            )
            yield Button("Validate", id="data-open", variant="primary")
        yield Static("No file validated yet: type a path and press Enter.", id="data-summary")
        with Horizontal(id="data-status"):
            yield ProgressBar(total=1, show_eta=False, id="data-progress")
            yield Label("", id="data-stage")
        table = DataTable(id="data-problems", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("Select a problem, or ctrl+down to step through records.", id="data-record-title")
        with VerticalScroll(id="data-preview-scroll"):
            yield Static("", id="data-preview")

    def on_mount(self) -> None:
        table = self.query_one("#data-problems", DataTable)
        table.add_column("line", key="line", width=6)
        table.add_column("record", key="record", width=7)
        table.add_column("field", key="field", width=18)
        table.add_column("code", key="code", width=17)
        table.add_column("severity", key="severity", width=8)
        table.add_column("message", key="message")
        self.query_one("#data-status").display = False
        if self.sources:
            self.validate(self.sources[0])

    # ---- actions -------------------------------------------------------------------------

    def action_open(self) -> None:
        self.query_one("#data-path", Input).focus()

    def action_revalidate(self) -> None:
        self.validate(self.query_one("#data-path", Input).value)

    def action_next_file(self) -> None:
        if not self.sources:
            return
        current = self.query_one("#data-path", Input).value
        index = (self.sources.index(current) + 1) % len(self.sources) if current in self.sources else 0
        self.query_one("#data-path", Input).value = self.sources[index]
        self.validate(self.sources[index])

    def action_step_record(self, step: int) -> None:
        if self.report is None or self.report.records == 0:
            return
        current = self.record or (0 if step > 0 else self.report.records + 1)
        self.show_record(min(max(current + step, 1), self.report.records))

    @on(Input.Submitted, "#data-path")
    def _submitted(self, event: Input.Submitted) -> None:
        self.validate(event.value)

    @on(Button.Pressed, "#data-open")
    def _pressed(self) -> None:
        self.validate(self.query_one("#data-path", Input).value)

    @on(DataTable.RowHighlighted, "#data-problems")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        record = self._row_record(event.row_key.value)
        if record is not None and record != self.record:
            self.show_record(record)

    @on(DataTable.RowSelected, "#data-problems")
    def _selected(self, event: DataTable.RowSelected) -> None:
        record = self._row_record(event.row_key.value)
        if record is not None:
            self.show_record(record)
            self.query_one("#data-preview-scroll").focus()

    def _row_record(self, key: str | None) -> int | None:
        if not key or self.report is None:
            return None
        problem = self.report.problems[int(key)]
        return problem.record

    # ---- validation ----------------------------------------------------------------------

    def validate(self, source: str) -> None:
        source = source.strip()
        if not source:
            self.query_one("#data-summary", Static).update(Text("Type a data file path first.", style="bold red"))
            return
        self._generation += 1
        self.report = None
        self.record = None
        self.query_one("#data-problems", DataTable).clear()
        self.query_one("#data-summary", Static).update(Text(f"Validating {source} ...", style="dim"))
        self.query_one("#data-record-title", Static).update("")
        self.query_one("#data-preview", Static).update("")
        self.query_one("#data-status").display = True
        self.query_one("#data-stage", Label).update("reading")
        self.query_one("#data-progress", ProgressBar).update(total=1, progress=0)
        self._run_validation(source, self._generation)

    def _resolve(self, source: str) -> str:
        if _is_hub(source, self.cfg):
            return source
        return str(self.cfg.path(source))

    @work(thread=True, exclusive=True, group="validate", exit_on_error=False)
    def _run_validation(self, source: str, generation: int) -> None:
        from medtui.data import DataOptions, validate_file
        from medtui.data.validate import check_lengths

        worker = get_current_worker()

        def progress(stage: str, done: int, total: int) -> None:
            if worker.is_cancelled:
                raise _Cancelled
            self.post_message(self.Progressed(generation, stage, done, total))

        options = DataOptions.from_config(self.cfg)
        try:
            report = validate_file(self._resolve(source), options, progress=progress)
            report.file = _display_path(report.file, self.cfg.root)
            self.post_message(self.Validated(generation, report, "checking length in model tokens ...", final=False))
            if not report.conversations:
                self.post_message(self.Validated(generation, report, "", final=True))
                return
            progress("loading the tokenizer", 0, 1)
            tokenizer = self._get_tokenizer(generation)
            if tokenizer is None:
                self.post_message(self.Validated(generation, report, f"length not checked: {self._tokenizer_error}",
                                                 final=True))
                return
            checked = report.copy()
            check_lengths(checked, tokenizer, options, progress=progress)
            checked.sort_problems()
            self.post_message(self.Validated(generation, checked, f"length checked against [model] max_length "
                                                                  f"{self.cfg.model.max_length}", final=True))
        except _Cancelled:
            return
        except Exception as exc:  # shown in the pane as the CLI shows it, never a traceback
            self.post_message(self.Failed(generation, describe_error(exc)))

    def _get_tokenizer(self, generation: int):
        with self._tokenizer_lock:
            if self._tokenizer is None and self._tokenizer_error is None:
                from medtui.data import tokenizer_for, training_format

                try:
                    self._tokenizer = tokenizer_for(self.cfg, lambda stage, fraction: self.post_message(
                        self.Progressed(generation, f"preparing the model: {stage}", int(fraction * 100), 100)))
                    self._loss_template = training_format(self._tokenizer)
                except Exception as exc:
                    self._tokenizer_error = describe_error(exc)
            return self._tokenizer

    def on_data_pane_progressed(self, message: Progressed) -> None:
        if message.generation != self._generation:
            return
        status = self.query_one("#data-status")
        status.display = True
        self.query_one("#data-progress", ProgressBar).update(total=max(message.total, 1), progress=message.done)
        self.query_one("#data-stage", Label).update(f"{message.stage} {message.done:,}/{message.total:,}"
                                                    if message.total > 1 else message.stage)

    def on_data_pane_failed(self, message: Failed) -> None:
        if message.generation != self._generation:
            return
        self.query_one("#data-status").display = False
        self._generation += 1
        self.report = None
        self.record = None
        self.query_one("#data-problems", DataTable).clear()
        self.query_one("#data-summary", Static).update(Text(message.text, style="bold red"))
        self.query_one("#data-record-title", Static).update("")
        self.query_one("#data-preview", Static).update("")

    def on_data_pane_validated(self, message: Validated) -> None:
        if message.generation != self._generation:
            return
        report = message.report
        previous = self.report
        first_time = previous is None or previous.file != report.file
        self.report = report
        self.query_one("#data-status").display = not message.final
        summary = Text()
        summary.append(Path(report.file).name, style="bold")
        summary.append(f"  shape: {report.format} ({report.kind})  ")
        summary.append(f"records {report.records:,}  ")
        summary.append(f"usable {report.usable:,}  ", style="bold green" if report.usable else "bold red")
        summary.append(f"errors {report.errors:,}  ", style="red" if report.errors else "")
        summary.append(f"warnings {report.warnings:,}", style="yellow" if report.warnings else "")
        if message.note:
            summary.append(f"\n{message.note}", style="dim")
        if len(report.problems) > TABLE_LIMIT:
            summary.append(f"\nshowing the first {TABLE_LIMIT:,} of {len(report.problems):,} problems "
                           "(medtui data validate --json lists all)", style="dim")
        self.query_one("#data-summary", Static).update(summary)
        table = self.query_one("#data-problems", DataTable)
        # The length check adds rows to the same file's table: keep the cursor on the problem it was on
        # (problems are shared between the two reports) and do not let the rebuild jump to another record.
        current = None
        if not first_time and previous.problems and 0 <= table.cursor_row < min(table.row_count, len(previous.problems)):
            current = previous.problems[table.cursor_row]
        with table.prevent(DataTable.RowHighlighted):
            table.clear()
            for index, problem in enumerate(report.problems[:TABLE_LIMIT]):
                severity = Text(problem.severity, style="bold red" if problem.severity == ERROR else "yellow")
                table.add_row(
                    "" if problem.line is None else str(problem.line),
                    "" if problem.record is None else str(problem.record),
                    problem.field or "", problem.code, severity, problem.message, key=str(index),
                )
            if current is not None:
                row = next((i for i, p in enumerate(report.problems[:TABLE_LIMIT]) if p is current), 0)
                table.move_cursor(row=row, animate=False)
        if first_time or self.record is None:
            first = next((p.record for p in report.problems if p.record is not None), None)
            self.show_record(first or (1 if report.records else None))
        else:
            self.show_record(self.record)

    # ---- records -------------------------------------------------------------------------

    def show_record(self, number: int | None) -> None:
        if number is None or self.report is None:
            return
        self.record = number
        report = self.report
        self.query_one("#data-record-title", Static).update(self._record_title(report, number, None))
        self.query_one("#data-preview", Static).update(self._plain_body(report, number))
        self._render_record(report, number, self._generation)

    def _record_title(self, report: ValidationReport, number: int, extra: str | None) -> Text:
        title = Text()
        title.append(f"record {number}", style="bold")
        line = report.lines.get(number)
        if line is not None:
            title.append(f" (line {line})")
        title.append(f" of {report.records:,}")
        if number in report.excluded:
            title.append("  excluded from training", style="bold red")
        elif number in report.conversations:
            title.append("  usable", style="green")
        if extra:
            title.append(f"  {extra}")
        for problem in (p for p in report.problems if p.record == number):
            style = "red" if problem.severity == ERROR else "yellow"
            where = f" [{problem.field}]" if problem.field else ""
            title.append(f"\n{problem.severity} {problem.code}{where}: {problem.message}", style=style)
        return title

    def _plain_body(self, report: ValidationReport, number: int) -> Text:
        conversation = report.conversations.get(number)
        body = Text()
        if conversation is None:
            body.append("This record cannot be rendered (see its problems above).\n", style="italic")
            raw = self._raw_line(report, number)
            if raw is not None:
                body.append("\nAs written in the file:\n", style="dim")
                body.append(raw)
            return body
        for message in conversation:
            body.append(f"{message['role']}: ", style="bold")
            body.append(message["content"] + "\n")
        return body

    def _raw_line(self, report: ValidationReport, number: int) -> str | None:
        line = report.lines.get(number)
        if line is None or report.kind not in ("jsonl", "csv", "tsv"):
            return None
        path = self._resolve(report.file)
        if path not in self._raw_lines:
            try:
                self._raw_lines = {path: Path(path).read_bytes().split(b"\n")}
            except OSError:
                return None
        lines = self._raw_lines[path]
        return lines[line - 1].decode("utf-8", errors="replace") if line <= len(lines) else None

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _render_record(self, report: ValidationReport, number: int, generation: int) -> None:
        from medtui.data import render_preview, with_system_prompt
        from medtui.data.validate import DataOptions

        conversation = report.conversations.get(number)
        if conversation is None:
            return
        try:
            tokenizer = self._get_tokenizer(generation)
            if get_current_worker().is_cancelled:
                return
            if tokenizer is None:
                title = self._record_title(report, number, f"(no chat template preview: {self._tokenizer_error})")
                self.post_message(self.Previewed(generation, number, title, self._plain_body(report, number)))
                return
            preview = render_preview(
                tokenizer, with_system_prompt(conversation, DataOptions.from_config(self.cfg)), self._loss_template,
                assistant_only_loss=self.cfg.train.assistant_only_loss, max_length=self.cfg.model.max_length)
        except Exception as exc:
            title = self._record_title(report, number, f"(preview failed: {describe_error(exc)})")
            self.post_message(self.Previewed(generation, number, title, self._plain_body(report, number)))
            return
        extra = f"· {preview.tokens} tokens, {preview.loss_tokens} carry loss (green)"
        title = self._record_title(report, number, extra)
        for note in preview.notes:
            title.append(f"\nnote: {note}", style="cyan")
        for warning in preview.warnings:
            title.append(f"\nwarning: {warning}", style="yellow")
        body = Text()
        for text, loss in preview.segments:
            body.append(text, style="bold green" if loss else "dim")
        self.post_message(self.Previewed(generation, number, title, body))

    def on_data_pane_previewed(self, message: Previewed) -> None:
        if message.generation != self._generation or message.record != self.record:
            return
        self.query_one("#data-record-title", Static).update(message.title)
        self.query_one("#data-preview", Static).update(message.body)


def _is_hub(source: str, cfg: Config) -> bool:
    from medtui.data.loaders import is_hub_id

    return is_hub_id(source, cfg.root)
