"""One base class for every failure medtui expects.

A `MedtuiError` carries what went wrong (`message`, naming the file, line or key), what to do about
it (`hint`, optional) and the exit code the command line ends with. The CLI and the TUI present
every such error the same way through `describe`; anything else that escapes is a bug, logged with
its traceback and shown as one line.
"""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class MedtuiError(Exception):
    """A failure medtui expected: a message for people, an optional hint, an exit code.

    Subclasses set `default_code`: 2 (usage) when the request itself was wrong (a missing file, a
    bad key), 1 when the work was attempted and failed.
    """

    default_code = EXIT_FAILED
    # True when every line of the message already starts with where it happened (`file: [section] key ...`),
    # so the CLI prints it as is instead of after "medtui: ".
    located = False

    def __init__(self, message: str, hint: str = "", code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = self.default_code if code is None else code

    def __str__(self) -> str:
        return self.message

    def describe(self) -> str:
        """The message and, on its own line, the hint: what both the CLI and the TUI show."""
        return f"{self.message}\nhint: {self.hint}" if self.hint else self.message


class UsageError(MedtuiError):
    """A request that cannot be carried out as given; exit code 2."""

    default_code = EXIT_USAGE


def describe_error(exc: BaseException) -> str:
    """What a pane shows for a failure in its worker: a MedtuiError exactly as the CLI prints it (the
    message, then the hint); anything else is unexpected (a bug), shown as its kind and first line."""
    if isinstance(exc, MedtuiError):
        return exc.describe()
    lines = str(exc).strip().splitlines()
    return f"unexpected {type(exc).__name__}" + (f": {lines[0]}" if lines else "")
