"""Stage 2: the merged safetensors folder -> GGUF F16, by llama.cpp's own convert_hf_to_gguf.py.

The script comes from the llama-cpp-python sdist of the installed version (medtui.llamacpp), so
the GGUF it writes is one the installed llama.cpp reads. It runs as a child process with the
venv's Python; progress comes from its per-tensor log lines, then from its "Writing" bar.
"""

from __future__ import annotations

import json
import re
import struct
import sys
from pathlib import Path
from typing import Callable

from medtui.export.child import ChildFailed, run_child
from medtui.export.source import ExportError

_TENSOR_LINE = re.compile(r"INFO:hf-to-gguf:\S+,\s+torch\.\w+ --> \w+, shape")
_WRITING = re.compile(r"Writing:\s+(\d+)%")


def safetensors_tensor_count(folder: Path) -> int:
    """Number of tensors in a folder's safetensors files, from their headers (no weights read)."""
    count = 0
    for path in sorted(Path(folder).glob("*.safetensors")):
        with open(path, "rb") as handle:
            size = struct.unpack("<Q", handle.read(8))[0]
            header = json.loads(handle.read(size))
        count += sum(1 for key in header if key != "__metadata__")
    return count


def convert_to_gguf(script: Path, merged_dir: Path, outfile: Path, model_name: str, log_path: Path,
                    report: Callable[[float, str], None] = lambda f, m: None) -> None:
    total = max(1, safetensors_tensor_count(merged_dir))
    seen = 0
    last = -1.0

    def on_line(line: str) -> None:
        nonlocal seen, last
        fraction = None
        if _TENSOR_LINE.search(line):
            seen += 1
            fraction = 0.7 * min(1.0, seen / total)
            message = f"converting tensors ({min(seen, total)}/{total})"
        else:
            writing = _WRITING.search(line)
            if writing:
                fraction = 0.7 + 0.3 * int(writing.group(1)) / 100
                message = f"writing {outfile.name} ({writing.group(1)}%)"
        if fraction is not None and fraction - last >= 0.01:
            last = fraction
            report(min(fraction, 0.99), message)

    args = [sys.executable, str(script), str(merged_dir), "--outfile", str(outfile), "--outtype", "f16",
            "--model-name", model_name]
    report(0.0, "starting llama.cpp's convert_hf_to_gguf.py")
    try:
        run_child(args, on_line, log_path=log_path, cwd=script.parent)
    except ChildFailed as exc:
        raise ExportError(f"llama.cpp's converter failed on {merged_dir.name}/: {exc.last_error()} "
                          f"(full log: {log_path})") from None
    if not outfile.exists() or outfile.stat().st_size == 0:
        raise ExportError(f"llama.cpp's converter exited without writing {outfile.name} (log: {log_path})")
    report(1.0, f"{outfile.name} written")
