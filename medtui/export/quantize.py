"""Stage 3: GGUF F16 -> each quantized type, through llama-cpp-python's llama_model_quantize.

No binary to build: the quantizer is the C function inside the installed llama-cpp-python. Each
type runs in a child process (`python -m medtui.export.quantize SRC DST TYPE`) so that Ctrl-C or
the Export pane's cancel stops it at once rather than after the C call returns, and so a crash
inside llama.cpp is reported, not fatal. The child prints llama.cpp's log, whose
"[  12/ 272]" lines give the progress.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Callable

from medtui.config import QUANT_TYPES
from medtui.export.child import ChildFailed, run_child
from medtui.export.source import ExportError

_TENSOR = re.compile(r"\[\s*(\d+)/\s*(\d+)\]")


def quantize_gguf(src: Path, dst: Path, quant: str, log_path: Path,
                  report: Callable[[float, str], None] = lambda f, m: None, threads: int | None = None) -> None:
    if quant not in QUANT_TYPES:
        raise ExportError(f"unknown quantization type {quant}; choose from {', '.join(QUANT_TYPES)}")
    threads = threads or max(1, (os.cpu_count() or 2) // 2)
    last = -1.0

    def on_line(line: str) -> None:
        nonlocal last
        match = _TENSOR.search(line)
        if match:
            done, total = int(match.group(1)), max(1, int(match.group(2)))
            fraction = done / total
            if fraction - last >= 0.02 or done == total:
                last = fraction
                report(min(fraction, 0.99), f"{quant}: tensor {done}/{total}")

    report(0.0, f"{quant}: starting")
    args = [sys.executable, "-m", "medtui.export.quantize", str(src), str(dst), quant, str(threads)]
    try:
        run_child(args, on_line, log_path=log_path)
    except ChildFailed as exc:
        raise ExportError(f"quantizing to {quant} failed: {exc.last_error()} (full log: {log_path})") from None
    report(1.0, f"{quant}: {dst.name} written")


def _main(argv: list[str]) -> int:  # pragma: no cover - exercised through quantize_gguf's child
    import ctypes

    import llama_cpp

    src, dst, quant, threads = argv[0], argv[1], argv[2], int(argv[3])

    @llama_cpp.llama_log_callback
    def log(level, text, user_data):
        sys.stdout.write(text.decode("utf-8", "replace"))
        sys.stdout.flush()

    llama_cpp.llama_log_set(log, ctypes.c_void_p(0))
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = QUANT_TYPES[quant]
    params.nthread = threads
    status = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(params))
    if status != 0:
        print(f"error: llama_model_quantize returned {status}", flush=True)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))
