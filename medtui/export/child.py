"""Running a stage's tool in a child process and reading its progress as it prints it.

Children die with their parent (Linux PR_SET_PDEATHSIG): an export killed outright must not
leave a converter writing into a folder nobody will clean up. Output is read in pieces split on
both line breaks and carriage returns, since tqdm redraws its bar with "\\r".
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterable


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _pieces(stream) -> Iterable[str]:
    pending = b""
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not chunk:
            break
        pending += chunk
        while True:
            cut = min((i for i in (pending.find(b"\n"), pending.find(b"\r")) if i >= 0), default=-1)
            if cut < 0:
                break
            piece, pending = pending[:cut], pending[cut + 1:]
            if piece.strip():
                yield piece.decode("utf-8", "replace")
    if pending.strip():
        yield pending.decode("utf-8", "replace")


class ChildFailed(Exception):
    def __init__(self, returncode: int, tail: list[str]):
        self.returncode = returncode
        self.tail = tail
        super().__init__(f"exit status {returncode}")

    def last_error(self) -> str:
        """The most telling line of the child's output (an error line if there is one)."""
        for line in reversed(self.tail):
            lowered = line.lower()
            if "error" in lowered or "exception" in lowered or "failed" in lowered:
                return line.strip()
        return self.tail[-1].strip() if self.tail else f"exit status {self.returncode}"


def run_child(args: list[str], on_line: Callable[[str], None], log_path: Path | None = None,
              env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    """Run `args`, calling on_line for each piece of its merged stdout/stderr. Raises ChildFailed
    with the output's tail on a non-zero exit; kills the child if this process is interrupted."""
    tail: collections.deque[str] = collections.deque(maxlen=60)
    log = open(log_path, "w", encoding="utf-8") if log_path else None
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, cwd=cwd,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    try:
        for piece in _pieces(proc.stdout):
            tail.append(piece)
            if log:
                log.write(piece + "\n")
            on_line(piece)
        proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        if proc.stdout:
            proc.stdout.close()
        if log:
            log.close()
    if proc.returncode != 0:
        raise ChildFailed(proc.returncode, list(tail))
