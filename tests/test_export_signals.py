"""A Ctrl-C that Python swallows still stops the export.

Python ignores an exception raised inside some callbacks (at-fork hooks as the converter and the
quantizer are spawned, __del__ methods). A Ctrl-C that lands there must not be lost: the export
would finish and write its folder although the user asked it to stop (seen in CI during the
quantize stage).
"""

from __future__ import annotations

import os
import signal

import pytest

from medtui.cli.export import StickyInterrupt


@pytest.fixture
def restore_handlers():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


class _SignalledWhileCollected:
    def __init__(self, signum):
        self.signum = signum

    def __del__(self):
        # The handler runs here, inside __del__, where Python prints and drops the exception.
        os.kill(os.getpid(), self.signum)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_python_swallowed_is_raised_at_the_next_progress_report(signum, restore_handlers):
    interrupt = StickyInterrupt()
    interrupt.install()
    reported = []
    progress = interrupt.wrap(lambda stage, fraction, message: reported.append(stage))
    progress("quantize", 0.1, "tensor 1/272")

    _SignalledWhileCollected(signum)  # collected at once; its KeyboardInterrupt is swallowed

    with pytest.raises(KeyboardInterrupt):
        progress("quantize", 0.2, "tensor 2/272")
    assert reported == ["quantize"]


def test_without_a_signal_progress_passes_through(restore_handlers):
    interrupt = StickyInterrupt()
    interrupt.install()
    reported = []
    progress = interrupt.wrap(lambda stage, fraction, message: reported.append((stage, fraction)))
    progress("merge", 0.5, "saving")
    progress("merge", 1.0, "done")
    assert reported == [("merge", 0.5), ("merge", 1.0)]
